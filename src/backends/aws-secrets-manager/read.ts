/**
 * Reads: one version by stage or pinned id (`GetSecretValue`), and what `DescribeSecret` says
 * a write needs to know.
 */
import type { Tag } from "@aws-sdk/client-secrets-manager";
import type { BackendRecord } from "../../core/backend.js";
import { IntegrityError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { type AwsContext, unlessMissing } from "./context.js";
import { NAME } from "./errors.js";
import { CURRENT, TYPE_TAG, versionWithStage } from "./names.js";
import { decodeRecord } from "./record.js";

/** Which version `GetSecretValue` returns: the current one when empty. */
export type VersionSelector = { VersionId?: string; VersionStage?: string };

/**
 * GetSecretValue: the record, undefined on confirmed absence. A secret scheduled for deletion
 * is a `DeletedError("scheduled_for_deletion")` (from the error ladder).
 */
export async function readRecord(
  context: AwsContext,
  key: BackendKey,
  selector: VersionSelector,
): Promise<BackendRecord | undefined> {
  const output = await unlessMissing(
    context,
    `read credential "${key.connectionId}"`,
    ({ sdk, client }, abortSignal) =>
      client.send(new sdk.GetSecretValueCommand({ SecretId: context.nameOf(key), ...selector }), {
        abortSignal,
      }),
  );
  if (output === undefined) return undefined;
  return decodeRecord(output.SecretString, output.VersionId, NAME);
}

/** What DescribeSecret says about a secret, reduced to what writes need. */
export interface SecretState {
  readonly deleted: boolean;
  /** The integer version carrying AWSCURRENT; 0 when no version does. */
  readonly latest: number;
  readonly type: string | undefined;
}

/** The value of one tag, if the secret has it. */
export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

/**
 * DescribeSecret reduced to what writes need; undefined when the secret does not exist. A
 * current version credkit did not write is an `IntegrityError`: credkit never writes over it.
 */
export async function describeSecret(
  context: AwsContext,
  name: string,
  what: string,
): Promise<SecretState | undefined> {
  const output = await unlessMissing(context, what, ({ sdk, client }, abortSignal) =>
    client.send(new sdk.DescribeSecretCommand({ SecretId: name }), { abortSignal }),
  );
  if (output === undefined) return undefined;
  const current = versionWithStage(output.VersionIdsToStages, CURRENT);
  if (current && current.version === undefined) {
    throw new IntegrityError(
      `Secret "${name}" has a current version credkit did not write; credkit will not write over it.`,
      { source: NAME },
    );
  }
  return {
    deleted: output.DeletedDate !== undefined,
    latest: current?.version ?? 0,
    type: tagValue(output.Tags, TYPE_TAG),
  };
}
