/**
 * The response a metered brokered call hands its SDK, and the settling of the call's reservation
 * with the usage the response reports.
 *
 * - JSON: the provider's own response, read once. Its body readers (`json`, `text`,
 *   `arrayBuffer`) are shadowed by a prototype put under the instance: the SDK's read parses the
 *   body as it would anyway, the usage is taken from that value, and the reservation is settled
 *   before the SDK gets it. No copy of the body, no second stream, no second parse for `json()`.
 * - Server-sent events: the body is passed on chunk by chunk while `StreamUsage` reads the
 *   usage events; the reservation is settled to the reported figures when the stream ends (or
 *   charged in full when it is cancelled or fails before then).
 * - Anything else (or an empty body): the reservation is charged in full, marked estimated.
 */
import type { UsageSpec } from "../types.js";
import type { Reservation } from "./meter.js";
import { StreamUsage } from "./stream-usage.js";
import { type CallUsage, readUsage } from "./usage.js";

/**
 * The response to hand the SDK: its reservation settles with the usage it reports as the SDK
 * reads it (JSON, server-sent events), or, for any other body, is charged in full before the
 * response is handed over (then a promise).
 */
export function meteredResponse(
  response: Response,
  reservation: Reservation,
  spec: UsageSpec,
): Response | Promise<Response> {
  const type = response.headers.get("content-type") ?? "";
  const empty = response.body === null || response.headers.get("content-length") === "0";
  if (!empty && /^text\/event-stream/i.test(type)) return streamed(response, reservation, spec);
  if (empty || !/json/i.test(type)) return reservation.settle(undefined).then(() => response);
  return settledOnRead(response, reservation, spec);
}

/** The settling of one JSON response's reservation when the SDK reads its body. */
class SettleOnRead {
  readonly #reservation: Reservation;
  readonly #spec: UsageSpec;
  #settled: Promise<unknown> | undefined;

  constructor(reservation: Reservation, spec: UsageSpec) {
    this.#reservation = reservation;
    this.#spec = spec;
  }

  /** Reads the body with `reader`, then settles with the usage `parse` finds in it. */
  async read<T>(response: Response, reader: () => Promise<T>, parse: (value: T) => unknown): Promise<T> {
    let value: T;
    try {
      value = await reader.call(response);
    } catch (error) {
      await this.#settle(undefined);
      throw error;
    }
    await this.#settle(usageIn(this.#spec, parse, value));
    return value;
  }

  #settle(usage: CallUsage | undefined): Promise<unknown> {
    this.#settled ??= this.#reservation.settle(usage);
    return this.#settled;
  }
}

const asParsed = (value: unknown) => value;
const parseText = (value: string) => JSON.parse(value);
const parseBytes = (value: ArrayBuffer) => JSON.parse(Buffer.from(value).toString());

/** Where a metered JSON response keeps its settling. */
const SETTLING = Symbol("credkit.settling");
type Metered = Response & { [SETTLING]: SettleOnRead };

/** A response prototype → the prototype its metered responses get (made once per prototype). */
const meteredPrototypes = new WeakMap<object, object>();

/** `prototype` with its body readers (`json`, `text`, `arrayBuffer`) shadowed by ones that settle. */
function meteredPrototype(prototype: Response): object {
  let metered = meteredPrototypes.get(prototype);
  if (metered === undefined) {
    const { json, text, arrayBuffer } = prototype;
    const reading = <T>(reader: () => Promise<T>, parse: (value: T) => unknown) => ({
      value(this: Metered) {
        return this[SETTLING].read(this, reader, parse);
      },
    });
    metered = Object.create(prototype, {
      json: reading(json, asParsed),
      text: reading(text, parseText),
      arrayBuffer: reading(arrayBuffer, parseBytes),
    }) as object;
    meteredPrototypes.set(prototype, metered);
  }
  return metered;
}

function settledOnRead(response: Response, reservation: Reservation, spec: UsageSpec): Response {
  (response as Metered)[SETTLING] = new SettleOnRead(reservation, spec);
  // why: a prototype of its own shadows the readers; the body stays the provider's stream, read
  // once by whichever reader the SDK calls. Unlike own properties, a prototype (one per response
  // class, made once) keeps the response a fast object for every later property access.
  Object.setPrototypeOf(response, meteredPrototype(Object.getPrototypeOf(response) as Response));
  return response;
}

/** The usage in a body, or undefined when parsing it fails (the reservation is charged). */
function usageIn<T>(spec: UsageSpec, parse: (value: T) => unknown, value: T): CallUsage | undefined {
  try {
    return readUsage(spec, parse(value));
  } catch {
    return undefined;
  }
}

function streamed(response: Response, reservation: Reservation, spec: UsageSpec): Response {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const usage = new StreamUsage(spec);
  let settled: Promise<unknown> | undefined;
  const settle = (reported: boolean) => {
    settled ??= reservation.settle(reported ? usage.usage() : undefined);
    return settled;
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read().catch(async (error: unknown) => {
        await settle(false);
        throw error;
      });
      if (chunk.done) {
        usage.observe(decoder.decode());
        await settle(true);
        controller.close();
        return;
      }
      usage.observe(decoder.decode(chunk.value, { stream: true }));
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      await settle(false);
      await reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
