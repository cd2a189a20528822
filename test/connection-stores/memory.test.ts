/** The in-memory connection store passes the connection store contract. */
import { afterAll, beforeAll, describe, it } from "vitest";
import { memoryConnectionStore } from "../../src/connectors/connection-store.js";
import { runConnectionStoreContract } from "../contract/connection-store-contract.js";

runConnectionStoreContract(
  { name: "memory", create: () => memoryConnectionStore() },
  { describe, it, beforeAll, afterAll },
);
