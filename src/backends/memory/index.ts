/**
 * `memory`: an in-process store for development and tests. Everything is lost when the process
 * ends, so it is refused when `NODE_ENV=production`.
 */
import { randomBytes } from "node:crypto";
import type {
  Backend,
  BackendListEntry,
  BackendListOptions,
  BackendRecord,
  BackendWrite,
} from "../../core/backend.js";
import { deletedRecord, missingRecord, versionConflict } from "../../core/backend-support.js";
import { isProduction } from "../../core/environment.js";
import { ConfigurationError } from "../../core/errors.js";
import type { BackendKey } from "../../core/key-encoding.js";
import { LocalKeyring } from "../../core/keyring.js";
import { pageByKey } from "../../core/list-paging.js";
import type { BackendDefinition, Environment } from "../../kit/definition.js";

interface Slot {
  readonly tenantSegment: string;
  /** Each version as the record `get` returns (frozen, so handing it out shares nothing mutable). */
  readonly versions: Map<number, BackendRecord>;
  latest: number;
  deleted: boolean;
}

/** Options of `memoryBackend`. */
export interface MemoryBackendOptions {
  /**
   * Environment consulted for `NODE_ENV`.
   * @default process.env
   */
  env?: Environment | undefined;
}

const NAME = "memory";

/** Creates an in-memory backend. Throws `ConfigurationError` when `NODE_ENV=production`. */
export function memoryBackend(options: MemoryBackendOptions = {}): Backend {
  const env = options.env ?? process.env;
  if (isProduction(env)) {
    throw new ConfigurationError(
      "The memory backend loses every credential when the process ends and is refused when NODE_ENV=production. Set VAULT_TYPE to a durable backend (docs/backends lists them).",
      { missing: ["VAULT_TYPE"] },
    );
  }
  const slots = new Map<string, Slot>();

  const record = (slot: Slot, version: number): BackendRecord | undefined => slot.versions.get(version);
  const stored = (write: BackendWrite, version: number): BackendRecord =>
    Object.freeze({ value: write.value, metadata: write.metadata, version });

  return {
    name: NAME,
    // why: memory data dies with the process, so an ephemeral key loses nothing.
    developmentKey: async () => new LocalKeyring(randomBytes(32)),
    capabilities: {
      versions: true,
      compareAndSet: "atomic",
      softDelete: true,
      maxKeyLength: 1024,
      inPlaceRewrite: true,
    },

    async get(key, options = {}) {
      const slot = slots.get(key.id);
      if (!slot) return undefined;
      if (slot.deleted && !options.includeDeleted) throw deletedRecord(NAME, key);
      return record(slot, options.version ?? slot.latest);
    },

    async rewriteVersion(key, version, write, options) {
      const current = slots.get(key.id)?.versions.get(version);
      if (!current) throw missingRecord(NAME, key);
      if (current.value !== options.ifValue) throw versionConflict(NAME, key, version);
      slots.get(key.id)?.versions.set(version, stored(write, version));
    },

    async put(key, write, options = {}) {
      const slot = slots.get(key.id);
      const current = slot && !slot.deleted ? slot.latest : 0;
      if (options.ifVersion !== undefined && options.ifVersion !== current) {
        throw versionConflict(NAME, key, options.ifVersion, current);
      }
      const target = slot ?? {
        tenantSegment: key.tenantSegment,
        versions: new Map(),
        latest: 0,
        deleted: false,
      };
      target.latest += 1;
      target.versions.set(target.latest, stored(write, target.latest));
      target.deleted = false;
      slots.set(key.id, target);
      return { version: target.latest };
    },

    async delete(key: BackendKey, options = {}) {
      const slot = slots.get(key.id);
      if (!slot || (slot.deleted && !options.purge)) throw missingRecord(NAME, key);
      if (options.purge) slots.delete(key.id);
      else slot.deleted = true;
    },

    async restore(key) {
      const slot = slots.get(key.id);
      if (!slot) throw missingRecord(NAME, key);
      slot.deleted = false;
    },

    async list(options: BackendListOptions = {}) {
      const entries: Array<[string, BackendListEntry]> = [];
      const sorted = [...slots].sort(([a], [b]) => (a < b ? -1 : 1));
      for (const [id, slot] of sorted) {
        if (options.tenantSegment !== undefined && slot.tenantSegment !== options.tenantSegment) continue;
        if (slot.deleted && !options.includeDeleted) continue;
        const latest = record(slot, slot.latest);
        if (latest)
          entries.push([id, { metadata: latest.metadata, version: latest.version, deleted: slot.deleted }]);
      }
      const page = pageByKey(entries, options.cursor, options.limit);
      return page.cursor ? { entries: page.items, cursor: page.cursor } : { entries: page.items };
    },
  };
}

export const definition: BackendDefinition = {
  type: "memory",
  summary: "in-process, for development and tests; refused when `NODE_ENV=production`",
  variables: [],
  missingVariables: () => [],
  fromEnv: async (env) => memoryBackend({ env }),
};
