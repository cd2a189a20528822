import type { ConnectorSpec } from "../types.js";

/** The aws connector's catalog entry: pure data, loads no SDK. */
export const awsSpec = {
  id: "aws",
  displayName: "AWS",
  category: "cloud",
  description:
    "AWS access keys: proves the key pair (and a role to assume) with STS, reporting account and principal.",
  fields: [
    {
      name: "accessKeyId",
      label: "Access key id",
      secret: true,
      required: true,
      aliases: ["aws_access_key_id", "accessKey"],
      pattern: "^(AKIA|ASIA)[A-Z0-9]{16}$",
      example: "AKIA...",
      description: "The IAM access key id (AKIA... for a user, ASIA... for temporary credentials).",
    },
    {
      name: "secretAccessKey",
      label: "Secret access key",
      secret: true,
      required: true,
      aliases: ["aws_secret_access_key", "secretKey"],
      pattern: "^[A-Za-z0-9/+=]{40}$",
      example: "40 characters",
      description: "The secret shown once when the access key was created.",
    },
    {
      name: "sessionToken",
      label: "Session token",
      secret: true,
      required: false,
      aliases: ["aws_session_token"],
      description: "For temporary credentials (ASIA...) only.",
    },
    {
      name: "roleArn",
      label: "Role to assume",
      secret: false,
      required: false,
      aliases: ["role_arn", "assumeRoleArn"],
      example: "arn:aws:iam::123456789012:role/billing-reader",
      description:
        "A role the integration works as: testConnection assumes it and reports the assumed principal.",
    },
    {
      name: "region",
      label: "Region",
      secret: false,
      required: false,
      aliases: ["aws_region"],
      description: "The STS region (default us-east-1).",
    },
  ],
  sdk: { package: "@aws-sdk/client-sts", versions: "^3" },
  verification: {
    method: "POST",
    path: "/?Action=GetCallerIdentity",
    description: "STS GetCallerIdentity (after AssumeRole when a role is given): needs no permission.",
  },
  docsUrl: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
} as const satisfies ConnectorSpec<"aws">;
