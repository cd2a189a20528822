/**
 * The part of `SecretManagerServiceClient` this backend uses, typed loosely enough that the
 * clients of @google-cloud/secret-manager 5.x, 6.x and 7.x all fit, and the module shape.
 */
import type { SecretManagerServiceClient } from "@google-cloud/secret-manager";

/** The `@google-cloud/secret-manager` module (or any module with a compatible client class). */
export interface SecretManagerModule {
  SecretManagerServiceClient: abstract new (...args: never[]) => SecretManagerServiceClient;
}

/** A Secret Manager client: the SDK's `SecretManagerServiceClient`, or one shaped like it. */
export type SecretManagerClient = SecretManagerServiceClient;

export interface SecretLike {
  name?: string | null | undefined;
  etag?: string | null | undefined;
  labels?: Record<string, string> | null | undefined;
  annotations?: Record<string, string> | null | undefined;
}

export interface VersionLike {
  name?: string | null | undefined;
  state?: string | number | null | undefined;
  etag?: string | null | undefined;
}

export interface AccessLike {
  name?: string | null | undefined;
  payload?: {
    data?: Uint8Array | string | null | undefined;
    dataCrc32c?: number | string | { toString(): string } | null | undefined;
  } | null;
}

/** gax call options: a deadline, and the SDK's own retries switched off (credkit retries). */
export interface CallOptionsLike {
  timeout: number;
  retry: { retryCodes: number[] };
  autoPaginate?: boolean | undefined;
}

type Call<Request, Response> = (request: Request, options: CallOptionsLike) => Promise<Response>;

/** The methods credkit calls, each resolving to gax's `[response, …]` tuple. */
export interface LooseClient {
  getSecret: Call<{ name: string }, [SecretLike, ...unknown[]]>;
  createSecret: Call<
    { parent: string; secretId: string; secret: Record<string, unknown> },
    [SecretLike, ...unknown[]]
  >;
  updateSecret: Call<
    { secret: Record<string, unknown>; updateMask: { paths: string[] } },
    [SecretLike, ...unknown[]]
  >;
  deleteSecret: Call<{ name: string; etag?: string }, unknown[]>;
  listSecrets: Call<
    { parent: string; filter?: string; pageSize?: number; pageToken?: string },
    [SecretLike[], { pageToken?: string | null } | null, ...unknown[]]
  >;
  addSecretVersion: Call<
    { parent: string; payload: { data: Uint8Array; dataCrc32c: number } },
    [VersionLike, ...unknown[]]
  >;
  getSecretVersion: Call<{ name: string }, [VersionLike, ...unknown[]]>;
  accessSecretVersion: Call<{ name: string }, [AccessLike, ...unknown[]]>;
  listSecretVersions: Call<{ parent: string }, [VersionLike[], ...unknown[]]>;
  disableSecretVersion: Call<{ name: string; etag?: string }, [VersionLike, ...unknown[]]>;
  enableSecretVersion: Call<{ name: string; etag?: string }, [VersionLike, ...unknown[]]>;
  destroySecretVersion: Call<{ name: string; etag?: string }, [VersionLike, ...unknown[]]>;
  getProjectId(): Promise<string>;
  close(): Promise<void>;
}

/** A version's state, from the enum name or number the SDK returns. */
export function versionState(version: VersionLike): "enabled" | "disabled" | "destroyed" | "unknown" {
  switch (version.state) {
    case "ENABLED":
    case 1:
      return "enabled";
    case "DISABLED":
    case 2:
      return "disabled";
    case "DESTROYED":
    case 3:
      return "destroyed";
    default:
      return "unknown";
  }
}
