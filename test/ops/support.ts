/** Helpers for the operations tests: a connector whose health a test switches, per connection. */
import { defineConnector } from "../../src/connectors/define.js";
import { createConnectorRegistry } from "../../src/connectors/registry.js";

/** Two switchable connectors, "probe" and "probe-b": `verify` fails while its api key is in `failing`. */
export function probeRegistry() {
  const failing = new Set<string>();
  /** Verifications in flight per api key, and the most seen at once. */
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const tested: string[] = [];
  /** While set, every verification waits for it. */
  let gate: Promise<void> | undefined;
  let active = 0;
  let maxActive = 0;
  const define = (id: string) =>
    defineConnector({
      spec: {
        id,
        displayName: "Probe",
        category: "data",
        description: "A connector the tests switch between healthy and failing",
        fields: [{ name: "apiKey", label: "API key", secret: true, required: true }],
        docsUrl: "https://example.com/probe",
      },
      async setup(context) {
        const apiKey = context.secret("apiKey");
        return {
          client: {},
          methods: {},
          async verify() {
            const key = apiKey.reveal();
            tested.push(key);
            inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
            maxActive = Math.max(maxActive, ++active);
            maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key) ?? 0));
            try {
              await gate;
              if (failing.has(key)) throw Object.assign(new Error(`401 refused key ${key}`), { status: 401 });
              return {};
            } finally {
              inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
              active--;
            }
          },
        };
      },
    });
  const registry = createConnectorRegistry({ builtins: false })
    .register(define("probe"))
    .register(define("probe-b"));
  return {
    registry,
    failing,
    tested,
    maxInFlight,
    /** The most verifications in flight at once, all keys together. */
    maxActive: () => maxActive,
    /** Holds every verification until the returned function is called. */
    hold(): () => void {
      let open!: () => void;
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}
