/** `JSON.rawJSON` (Node 21+): a value that JSON.stringify writes as the given text. */
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * JSON text of a record's data, as Kafka Connect's JsonConverter writes it without a schema: bigints as
 * exact JSON numbers, bytes as base64; undefined for undefined, as JSON.stringify.
 */
export function jsonText(value: unknown): string {
  // A replacer makes JSON.stringify several times slower; most data has nothing for it to do.
  return plainData(value) ? JSON.stringify(value) : JSON.stringify(value, dataReplacer);
}

function dataReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return rawJson(value.toString());
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value;
}

/** True when `value` holds only primitives other than bigint, arrays and plain objects. */
function plainData(value: unknown): boolean {
  if (typeof value === "bigint") return false;
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!plainData(item)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in value) if (!plainData((value as Record<string, unknown>)[key])) return false;
  return true;
}
