import { Buffer } from "node:buffer";

/**
 * JSON that loses no digit: parsing keeps every number as its source text until a schema (or the lack
 * of one) says what it is, and writing emits integers beyond 2^53 and exact decimals verbatim.
 */

/** A JSON number as written in the source text. */
export class JsonNumber {
  readonly source: string;

  constructor(source: string) {
    this.source = source;
  }

  /** True when the text has no fraction and no exponent, as Jackson's isIntegralNumber decides. */
  get isIntegral(): boolean {
    return !/[.eE]/.test(this.source);
  }
}

export type JsonTree = null | boolean | string | JsonNumber | JsonTree[] | { [key: string]: JsonTree };

type SourceReviver = (key: string, value: unknown, context: { source?: string }) => unknown;
const parseWithSource = JSON.parse as (text: string, reviver: SourceReviver) => unknown;

/** Parses JSON text, with every number as a JsonNumber. Throws SyntaxError on malformed text. */
export function parseJsonTree(text: string): JsonTree {
  return parseWithSource(text, (_key, value, context) =>
    typeof value === "number" ? new JsonNumber(context.source ?? String(value)) : value,
  ) as JsonTree;
}

/** A value that JSON.stringify writes as `text` verbatim; `text` must be one JSON primitive. */
export const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** Standard base64 with padding, as Jackson writes and reads binary nodes. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard padded base64; returns undefined when `text` is not that. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, "base64"));
}
