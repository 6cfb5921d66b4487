import { TextDecoder, TextEncoder } from "node:util";
import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import { onlySafeIntegers, withBigIntegers } from "./big-integers.ts";
import type { Converter } from "./converter.ts";
import { type JsonTree, parseJsonTree } from "./exact-json.ts";
import { type DecimalFormat, JsonData } from "./json-data.ts";
import { schemaFromJson, schemaToJson } from "./json-schema.ts";

export const jsonConverterConfig = new ConfigDef()
  .define({
    name: "schemas.enable",
    type: "boolean",
    default: true,
    importance: "high",
    description:
      'Wrap each key or value in an envelope {"schema": …, "payload": …}; false writes and reads plain JSON.',
  })
  .define({
    name: "schemas.cache.size",
    type: "int",
    default: 1000,
    min: 0,
    importance: "low",
    description:
      "Accepted for compatibility with Kafka Connect; Sluice caches each written schema for as long as it lives.",
  })
  .define({
    name: "decimal.format",
    type: "string",
    default: "BASE64",
    oneOf: ["BASE64", "NUMERIC"],
    importance: "low",
    description: "How Decimal values are written: BASE64 of the unscaled bytes, or NUMERIC as a JSON number.",
  })
  .define({
    name: "replace.null.with.default",
    type: "boolean",
    default: true,
    importance: "low",
    description: "Write and read a null field that has a schema default as that default.",
  });

const ENVELOPE_REQUIRED =
  'with schemas.enable=true the JSON must be an object with exactly the fields "schema" and "payload";' +
  " to read plain JSON, set schemas.enable=false";

/**
 * Kafka Connect's org.apache.kafka.connect.json.JsonConverter. With `schemas.enable` (the default) every
 * key or value is an envelope `{"schema": <schema or null>, "payload": <value>}`; a schemaless value is
 * written with `"schema": null`, as Kafka Connect writes it. Without it, plain JSON is written and read
 * back schemaless: objects as plain objects, integers as numbers (bigint beyond 2^53), bytes as base64.
 */
export class JsonConverter implements Converter {
  readonly #schemasEnabled: boolean;
  readonly #data: JsonData;
  readonly #schemaTexts = new WeakMap<Schema, string>();
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(config: ParsedConfig) {
    this.#schemasEnabled = config.boolean("schemas.enable");
    this.#data = new JsonData({
      decimalFormat: config.string("decimal.format") as DecimalFormat,
      replaceNullWithDefault: config.boolean("replace.null.with.default"),
    });
  }

  fromConnectData(topic: string, schema: Schema | undefined, value: unknown): Uint8Array | null {
    if (schema === undefined && (value === null || value === undefined)) return null;
    try {
      const payload = JSON.stringify(this.#data.toJson(schema, value)) ?? "null";
      const text = this.#schemasEnabled
        ? `{"schema":${this.#schemaText(schema)},"payload":${payload}}`
        : payload;
      return this.#encoder.encode(text);
    } catch (error) {
      throw withTopic(topic, "cannot write JSON", error);
    }
  }

  toConnectData(topic: string, data: Uint8Array | null): { schema?: Schema; value: unknown } {
    if (data === null) return { value: null };
    try {
      const text = this.#decode(data);
      if (!this.#schemasEnabled) {
        // Plain JSON.parse reads the same value as the exact parse below unless an integer needs more
        // than 53 bits, and in a fraction of the time (it was most of a JSON sink's conversion cost).
        // Such integers are then put back exactly, unless duplicate keys make that ambiguous.
        const plain = parseText(text, JSON.parse);
        const value = onlySafeIntegers(plain) ? plain : withBigIntegers(plain, text);
        if (value !== undefined) return { value };
      }
      const tree = parseText(text, parseJsonTree);
      if (!this.#schemasEnabled) return { value: this.#data.fromJson(undefined, tree) };
      if (!isEnvelope(tree)) throw new DataError(ENVELOPE_REQUIRED);
      const schema = schemaFromJson(tree.schema, this.#data);
      const value = this.#data.fromJson(schema, tree.payload);
      return schema === undefined ? { value } : { schema, value };
    } catch (error) {
      throw withTopic(topic, "cannot read JSON", error);
    }
  }

  #decode(data: Uint8Array): string {
    try {
      return this.#decoder.decode(data);
    } catch (error) {
      throw new DataError(`the ${data.length} bytes are not valid UTF-8`, { cause: error });
    }
  }

  #schemaText(schema: Schema | undefined): string {
    if (schema === undefined) return "null";
    let text = this.#schemaTexts.get(schema);
    if (text === undefined) {
      text = JSON.stringify(schemaToJson(schema, this.#data));
      this.#schemaTexts.set(schema, text);
    }
    return text;
  }
}

function isEnvelope(tree: JsonTree): tree is { schema: JsonTree; payload: JsonTree } {
  return (
    typeof tree === "object" &&
    tree !== null &&
    !Array.isArray(tree) &&
    Object.keys(tree).length === 2 &&
    Object.hasOwn(tree, "schema") &&
    Object.hasOwn(tree, "payload")
  );
}

function withTopic(topic: string, what: string, error: unknown): unknown {
  if (!(error instanceof DataError)) return error;
  return new DataError(`JsonConverter ${what} for topic "${topic}": ${error.message}`, { cause: error });
}

function parseText<T>(text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    throw new DataError(`the bytes are not valid JSON (${(error as Error).message})`, { cause: error });
  }
}
