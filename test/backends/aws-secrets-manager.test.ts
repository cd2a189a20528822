/**
 * AWS Secrets Manager backend: the contract suite and AWS-specific behaviour, driven through the
 * official SDK over HTTP to the loopback service in test/servers/aws-secrets-manager.
 */
process.env.AWS_EC2_METADATA_DISABLED = "true";

import { afterAll, beforeAll } from "vitest";
import { awsSecretsManagerBackend } from "../../src/backends/aws-secrets-manager/index.js";
import { runBackendContract } from "../contract/backend-contract.js";
import { FakeSecretsManager } from "../servers/aws-secrets-manager/server.js";

const server = new FakeSecretsManager();
let endpoint: string;
const credentials = { accessKeyId: "AKIDCONTRACT", secretAccessKey: "contract-secret-access-key" };

beforeAll(async () => {
  endpoint = await server.start();
});
afterAll(async () => {
  await server.stop();
});

runBackendContract({
  name: "aws-secrets-manager",
  create: async () =>
    awsSecretsManagerBackend({
      endpoint,
      region: "us-east-1",
      credentials,
      maxAttempts: 1,
      prefix: "contract/",
    }),
});
