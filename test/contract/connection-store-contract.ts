/** The published connection store contract suite (credkit/testing), for the tests here. */
export {
  type ConnectionStoreContractOptions,
  runConnectionStoreContract,
  sampleRecord,
} from "../../src/testing/connection-store-contract.js";
