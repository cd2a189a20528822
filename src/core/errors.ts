/**
 * The typed error hierarchy. Every error credkit throws is a `CredkitError` with a stable `code`;
 * messages name keys, options and environment variables, never values. The original error, if
 * any, is kept as a scrubbed `cause` (see `scrubError`).
 */

const MARKER = Symbol.for("credkit.error");

/** Stable error codes. Branch on these, not on messages. */
export type CredkitErrorCode =
  | "not_found"
  | "deleted"
  | "validation"
  | "configuration"
  | "dependency_missing"
  | "integrity"
  | "conflict"
  | "auth"
  | "throttled"
  | "unavailable"
  | "expired"
  | "unsupported"
  | "unknown_connector"
  | "egress_blocked"
  | "oauth"
  | "key_disabled"
  | "key_policy"
  | "budget_exceeded";

/** Options common to every credkit error. */
export interface CredkitErrorOptions {
  /** The underlying error; pass it through `scrubError` first when it may carry secrets. */
  cause?: unknown | undefined;
  /** Name of the backend or connector that raised it, when there is one. */
  source?: string | undefined;
  /** For transient errors: how long the service asked us to wait (`Retry-After`), in ms. */
  retryAfterMs?: number | undefined;
}

/** Base class of every error credkit throws. */
export class CredkitError extends Error {
  readonly code: CredkitErrorCode;
  /** Backend or connector that raised the error, if any. */
  readonly source: string | undefined;
  /** Whether retrying the same call later may succeed. */
  readonly transient: boolean = false;
  /** How long the service asked us to wait before a retry (`Retry-After`), in ms, if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: CredkitErrorCode, message: string, options: CredkitErrorOptions = {}) {
    super(options.source ? `[credkit] [${options.source}] ${message}` : `[credkit] ${message}`, {
      cause: options.cause,
    });
    this.code = code;
    this.source = options.source;
    this.retryAfterMs = options.retryAfterMs;
    Object.defineProperty(this, MARKER, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** Cross-copy-safe `instanceof`: true for any credkit error, whichever copy of credkit made it. */
  static isInstance(error: unknown): error is CredkitError {
    return typeof error === "object" && error !== null && MARKER in error;
  }
}

/** Builds an `isInstance` that checks the marker and the code, so it works across package copies. */
function codeCheck<T extends CredkitError>(...codes: CredkitErrorCode[]) {
  return (error: unknown): error is T => CredkitError.isInstance(error) && codes.includes(error.code);
}

/** No credential (or no such version) exists under that name. */
export class NotFoundError extends CredkitError {
  constructor(message: string, options?: CredkitErrorOptions, code: CredkitErrorCode = "not_found") {
    super(code, message, options);
  }
  static override isInstance = codeCheck<NotFoundError>("not_found", "deleted");
}

/** What a deleted thing is: soft-deleted, scheduled for deletion, a disabled or destroyed version. */
export type DeletedState = "deleted" | "scheduled_for_deletion" | "disabled" | "destroyed";

/** The credential or version existed but is deleted (restorable where the backend allows it). */
export class DeletedError extends NotFoundError {
  readonly state: DeletedState;
  constructor(message: string, state: DeletedState = "deleted", options?: CredkitErrorOptions) {
    super(message, options, "deleted");
    this.state = state;
  }
  static override isInstance = codeCheck<DeletedError>("deleted");
}

/** Input was rejected. `field` names the offending field; the value is never echoed. */
export class ValidationError extends CredkitError {
  readonly field: string | undefined;
  constructor(message: string, field?: string, options?: CredkitErrorOptions) {
    super("validation", message, options);
    this.field = field;
  }
  static override isInstance = codeCheck<ValidationError>("validation");
}

/** Configuration is missing or wrong. `missing` lists every missing variable or option at once. */
export class ConfigurationError extends CredkitError {
  readonly missing: readonly string[];
  readonly available: readonly string[];
  constructor(
    message: string,
    details: { missing?: readonly string[]; available?: readonly string[] } = {},
    options?: CredkitErrorOptions,
  ) {
    super("configuration", message, options);
    this.missing = details.missing ?? [];
    this.available = details.available ?? [];
  }
  static override isInstance = codeCheck<ConfigurationError>("configuration");
}

/** An optional peer dependency (a cloud or provider SDK) is not installed. */
export class DependencyMissingError extends CredkitError {
  readonly packageName: string;
  constructor(packageName: string, usedBy: string, options?: CredkitErrorOptions) {
    super(
      "dependency_missing",
      `Cannot import \`${packageName}\`, needed by ${usedBy}. Install it (npm install ${packageName}) or pass the module in through the \`lib\` option.`,
      options,
    );
    this.packageName = packageName;
  }
  static override isInstance = codeCheck<DependencyMissingError>("dependency_missing");
}

/** Stored data failed an integrity check: tampered, truncated, moved, or encrypted with an unknown key. */
export class IntegrityError extends CredkitError {
  constructor(message: string, options?: CredkitErrorOptions) {
    super("integrity", message, options);
  }
  static override isInstance = codeCheck<IntegrityError>("integrity");
}

/** A compare-and-set failed or the name is taken: someone else changed the record first. */
export class ConflictError extends CredkitError {
  /** The version the caller expected, when the conflict came from `ifVersion`. */
  readonly expectedVersion: number | undefined;
  constructor(message: string, expectedVersion?: number, options?: CredkitErrorOptions) {
    super("conflict", message, options);
    this.expectedVersion = expectedVersion;
  }
  static override isInstance = codeCheck<ConflictError>("conflict");
}

/** The backend refused our own credentials or permissions (401/403, access denied). */
export class AuthError extends CredkitError {
  constructor(message: string, options?: CredkitErrorOptions) {
    super("auth", message, options);
  }
  static override isInstance = codeCheck<AuthError>("auth");
}

/** The backend asked us to slow down (429, throttling). Transient. */
export class ThrottledError extends CredkitError {
  override readonly transient = true;
  constructor(message: string, options?: CredkitErrorOptions) {
    super("throttled", message, options);
  }
  static override isInstance = codeCheck<ThrottledError>("throttled");
}

/** The backend could not be reached or failed (5xx, connection error, timeout). Transient. */
export class UnavailableError extends CredkitError {
  override readonly transient = true;
  constructor(message: string, options?: CredkitErrorOptions) {
    super("unavailable", message, options);
  }
  static override isInstance = codeCheck<UnavailableError>("unavailable");
}

/** The credential is past its `expiresAt`. */
export class ExpiredError extends CredkitError {
  readonly expiresAt: Date;
  constructor(message: string, expiresAt: Date, options?: CredkitErrorOptions) {
    super("expired", message, options);
    this.expiresAt = expiresAt;
  }
  static override isInstance = codeCheck<ExpiredError>("expired");
}

/** The backend cannot do what was asked (e.g. restore on a store without soft delete). */
export class UnsupportedError extends CredkitError {
  constructor(message: string, options?: CredkitErrorOptions) {
    super("unsupported", message, options);
  }
  static override isInstance = codeCheck<UnsupportedError>("unsupported");
}

/**
 * A request to a URL from tenant data would reach a loopback, link-local, private or
 * unique-local address, and the operator did not allow it. Never transient.
 */
export class EgressBlockedError extends CredkitError {
  constructor(message: string, options?: CredkitErrorOptions) {
    super("egress_blocked", message, options);
  }
  static override isInstance = codeCheck<EgressBlockedError>("egress_blocked");
}

/** No connector is registered under that id. `available` lists the ids that are. */
export class UnknownConnectorError extends CredkitError {
  readonly available: readonly string[];
  constructor(id: string, available: readonly string[]) {
    super("unknown_connector", `Unknown connector "${id}". Available connectors: ${available.join(", ")}.`);
    this.available = available;
  }
  static override isInstance = codeCheck<UnknownConnectorError>("unknown_connector");
}

/** The key-encryption key is disabled, or scheduled for deletion, in its KMS. */
export class KeyDisabledError extends CredkitError {
  constructor(message: string, options?: CredkitErrorOptions) {
    super("key_disabled", message, options);
  }
  static override isInstance = codeCheck<KeyDisabledError>("key_disabled");
}

/**
 * The key policy has no key for this call: the tenant has none of its own and the policy does
 * not allow the platform's (fail closed). No request was sent.
 */
export class KeyPolicyError extends CredkitError {
  constructor(message: string, options?: CredkitErrorOptions) {
    super("key_policy", message, options);
  }
  static override isInstance = codeCheck<KeyPolicyError>("key_policy");
}

/** The call could exceed a hard budget (tokens or money), so it was not sent. */
export class BudgetExceededError extends CredkitError {
  /** The budget's name, as the operator configured it. */
  readonly budget: string;
  constructor(budget: string, message: string, options?: CredkitErrorOptions) {
    super("budget_exceeded", message, options);
    this.budget = budget;
  }
  static override isInstance = codeCheck<BudgetExceededError>("budget_exceeded");
}

/** True for errors that a retry may fix: throttling and unavailability. */
export function isTransientError(error: unknown): boolean {
  return CredkitError.isInstance(error) && error.transient;
}
