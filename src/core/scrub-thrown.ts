/**
 * Deciding whether a thrown value may leave as it is, and rebuilding it when not. The whole value
 * is walked with no depth, length or count limit: every own property (enumerable or not, string
 * or symbol keys, their names too), array items, Map and Set entries, typed-array bytes and the
 * cause chain. Anything the walk cannot trust — an own getter, a getter, `toJSON` or custom
 * `inspect` on a class of the error's own, a proxy — counts as carrying a secret, so the value is
 * rebuilt rather than passed through (fail closed).
 */
import { inspect, types } from "node:util";
import { CredkitError } from "./errors.js";
import { type Redactor, ScrubbedError, safeGet } from "./redact.js";

const INSPECT = inspect.custom;

/** Prototypes whose accessors are the platform's own and return nothing the instance lacks. */
const PLATFORM_PROTOTYPES = new Set<unknown>([
  Object.prototype,
  Function.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  Promise.prototype,
  ...[Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError].map(
    (type) => type.prototype,
  ),
]);

/** credkit's own error classes: their `name` getter reads the constructor's name. */
function ownErrorClass(prototype: object): boolean {
  return (
    prototype === CredkitError.prototype ||
    Object.prototype.isPrototypeOf.call(CredkitError.prototype, prototype) ||
    prototype === ScrubbedError.prototype
  );
}

/** Whether a class on the prototype chain could compute what printing the value shows. */
function untrustedPrototype(value: object): boolean {
  for (
    let prototype = Object.getPrototypeOf(value) as object | null;
    prototype !== null && !PLATFORM_PROTOTYPES.has(prototype);
    prototype = Object.getPrototypeOf(prototype) as object | null
  ) {
    if (types.isProxy(prototype)) return true;
    if (ownErrorClass(prototype) || ArrayBuffer.isView(value)) continue;
    for (const key of Reflect.ownKeys(prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
      if (descriptor?.get || descriptor?.set || key === INSPECT || key === "toJSON") return true;
    }
  }
  return false;
}

/** The engine's own `stack` accessor (Node 24's V8 defines `stack` as an accessor on errors). */
const NATIVE_STACK_GETTER = Object.getOwnPropertyDescriptor(new Error(), "stack")?.get;

/** Whether this property is an error's `stack` as the engine defines it: safe to read. */
function isNativeStack(key: string | symbol, descriptor: PropertyDescriptor): boolean {
  return key === "stack" && descriptor.get !== undefined && descriptor.get === NATIVE_STACK_GETTER;
}

/** The values one object holds, for the walk; undefined when it cannot be trusted. */
function childrenOf(redactor: Redactor, value: object): unknown[] | undefined {
  if (types.isProxy(value) || untrustedPrototype(value)) return undefined;
  const children: unknown[] = [];
  if (ArrayBuffer.isView(value)) {
    children.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1"));
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === "symbol" ? redactor.carries(key.description ?? "") : redactor.carries(key))
      return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor && isNativeStack(key, descriptor)) {
      children.push((value as { stack?: unknown }).stack);
      continue;
    }
    if (!descriptor || descriptor.get || descriptor.set) return undefined;
    if (ArrayBuffer.isView(value) && /^\d+$/.test(String(key))) continue;
    children.push(descriptor.value);
  }
  if (value instanceof Map) for (const entry of Map.prototype.entries.call(value)) children.push(...entry);
  if (value instanceof Set) for (const item of Set.prototype.values.call(value)) children.push(item);
  return children;
}

/** Whether `value` carries a known secret anywhere, or cannot be trusted not to. Never throws. */
export function carriesSecret(redactor: Redactor, value: unknown): boolean {
  try {
    const pending: unknown[] = [value];
    const seen = new Set<unknown>();
    while (pending.length > 0) {
      const item = pending.pop();
      if (typeof item === "string") {
        if (redactor.carries(item)) return true;
      } else if (typeof item === "symbol") {
        if (redactor.carries(item.description ?? "")) return true;
      } else if (
        (typeof item === "object" || typeof item === "function") &&
        item !== null &&
        !seen.has(item)
      ) {
        seen.add(item);
        const children = childrenOf(redactor, item);
        if (!children) return true;
        pending.push(...children);
      }
    }
    return false;
  } catch {
    return true;
  }
}

/** A credkit error rebuilt with its class: strings scrubbed, the cause rebuilt, other objects dropped. */
function rebuildTyped(redactor: Redactor, error: CredkitError): Error {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const key of Reflect.ownKeys(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key);
    if (!descriptor || !("value" in descriptor) || key === "stack") continue;
    let value: unknown = descriptor.value;
    if (key === "cause") value = value === undefined ? undefined : redactor.scrubError(value);
    else if (typeof value === "string") value = redactor.redact(value);
    else if (Array.isArray(value))
      value = value.filter((item) => typeof item === "string").map((item) => redactor.redact(item));
    else if (typeof value === "object" && value !== null) continue;
    Object.defineProperty(copy, key, { ...descriptor, value });
  }
  Object.defineProperty(copy, "stack", {
    value: `${String(safeGet(copy, "name"))}: ${String(safeGet(copy, "message"))}`,
    configurable: true,
    writable: true,
  });
  return copy;
}

/**
 * What may be thrown to the caller: `error` itself when it carries none of the redactor's
 * secrets anywhere (and nothing in it can compute one), else a rebuilt, scrubbed copy — of the
 * same class for a credkit error, a `ScrubbedError` otherwise.
 */
export function scrubThrown(redactor: Redactor, error: unknown): unknown {
  if (!carriesSecret(redactor, error)) return error;
  try {
    if (CredkitError.isInstance(error) && !types.isProxy(error)) return rebuildTyped(redactor, error);
  } catch {
    // a credkit error that cannot be copied is rebuilt like any other
  }
  return redactor.scrubError(error);
}
