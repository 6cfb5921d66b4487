/** Helpers for Sluice's record values: plain JSON-like data (see runtime/api/records.ts). */

/** True for `{}`-style objects (not arrays, Maps, bytes or class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A short description of a value's kind for error messages: `string`, `bigint`, `Uint8Array`, `object`… */
export function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "Uint8Array";
  if (value instanceof Map) return "Map";
  if (typeof value === "object")
    return isPlainObject(value) ? "object" : (value.constructor?.name ?? "object");
  return typeof value;
}

/** The object's own property `name`, or undefined; never an inherited one such as `constructor`. */
export function ownField(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}
