import { Buffer } from "node:buffer";
import { TextDecoder } from "node:util";
import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import type { Converter } from "./converter.ts";
import { JsonData } from "./json-data.ts";

/** Java charset names → Node's encoding and, where bytes can be malformed, a strict decoder. */
const ENCODINGS = {
  "UTF-8": { buffer: "utf8", strictDecoder: "utf-8" },
  "UTF-16LE": { buffer: "utf16le", strictDecoder: "utf-16le" },
  "ISO-8859-1": { buffer: "latin1", strictDecoder: undefined },
} as const;

type Encoding = keyof typeof ENCODINGS;

export const stringConverterConfig = new ConfigDef().define({
  name: "converter.encoding",
  type: "string",
  default: "UTF-8",
  oneOf: Object.keys(ENCODINGS),
  importance: "high",
  description: "The character set of the bytes.",
});

const OPTIONAL_STRING: Schema = { type: "string", optional: true };

/**
 * Kafka Connect's org.apache.kafka.connect.storage.StringConverter: writes a value as its text and
 * reads bytes back as an optional string. Numbers, bigints and booleans are written as their decimal or
 * `true`/`false` text; other values (objects, arrays, bytes) as schemaless JSON text, where Kafka
 * Connect would write Java's toString. Bytes that are not valid text in the encoding raise DataError.
 */
export class StringConverter implements Converter {
  readonly #encoding: Encoding;
  readonly #strictDecoder: TextDecoder | undefined;
  readonly #json = new JsonData({ decimalFormat: "BASE64", replaceNullWithDefault: true });

  constructor(config: ParsedConfig) {
    this.#encoding = config.string("converter.encoding") as Encoding;
    const { strictDecoder } = ENCODINGS[this.#encoding];
    this.#strictDecoder =
      strictDecoder === undefined ? undefined : new TextDecoder(strictDecoder, { fatal: true });
  }

  fromConnectData(_topic: string, _schema: Schema | undefined, value: unknown): Uint8Array | null {
    if (value === null || value === undefined) return null;
    const text =
      typeof value === "string"
        ? value
        : typeof value === "number" || typeof value === "bigint" || typeof value === "boolean"
          ? String(value)
          : JSON.stringify(this.#json.toJson(undefined, value));
    return Uint8Array.from(Buffer.from(text, ENCODINGS[this.#encoding].buffer));
  }

  toConnectData(topic: string, data: Uint8Array | null): { schema?: Schema; value: unknown } {
    if (data === null) return { schema: OPTIONAL_STRING, value: null };
    try {
      const value =
        this.#strictDecoder === undefined
          ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(
              ENCODINGS[this.#encoding].buffer,
            )
          : this.#strictDecoder.decode(data);
      return { schema: OPTIONAL_STRING, value };
    } catch (error) {
      throw new DataError(
        `StringConverter for topic "${topic}": the ${data.length} bytes are not valid ${this.#encoding}`,
        {
          cause: error,
        },
      );
    }
  }
}
