import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import {
  bigintToTwosComplement,
  type Decimal,
  formatDecimal,
  parseDecimal,
  rescaleDecimal,
  twosComplementToBigint,
} from "./decimal.ts";
import { fromBase64, JsonNumber, type JsonTree, rawJson, toBase64 } from "./exact-json.ts";
import { DECIMAL } from "./logical-types.ts";
import { describeKind, isPlainObject } from "./values.ts";

/** How Decimal values are written: base64 of the unscaled bytes (Kafka's default) or a JSON number. */
export type DecimalFormat = "BASE64" | "NUMERIC";

export interface JsonDataOptions {
  decimalFormat: DecimalFormat;
  /** A null value whose schema has a default is written and read as that default. */
  replaceNullWithDefault: boolean;
}

const INTEGER_RANGES = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

type IntegerType = keyof typeof INTEGER_RANGES;

const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

/** A struct schema's fields, looked up once per schema. */
interface StructFields {
  readonly fields: readonly (Schema & { field: string })[];
  readonly names: ReadonlySet<string>;
}

/** Throws when `value` has a field that is not undefined and not in the struct schema. */
function refuseUnknownFields(names: ReadonlySet<string>, value: Record<string, unknown>, path: string): void {
  for (const [name, item] of Object.entries(value)) {
    if (item !== undefined && !names.has(name)) {
      throw new DataError(`field "${child(path, name)}" is not in the struct schema ${at(path)}`);
    }
  }
}

/** `at "after.id"` for a field path, or `at the top level` for the whole value. */
function at(path: string): string {
  return path === "" ? "at the top level" : `at "${path}"`;
}

function child(path: string, name: string | number): string {
  return path === "" ? String(name) : `${path}.${name}`;
}

/**
 * Translates values between Sluice's data model and JSON trees, following Kafka Connect's
 * JsonConverter: a schema decides each value's JSON form; without a schema the form follows the value.
 * Every mismatch throws a DataError naming the field path and what was expected.
 */
export class JsonData {
  readonly #options: JsonDataOptions;
  readonly #structs = new WeakMap<Schema, StructFields>();

  constructor(options: JsonDataOptions) {
    this.#options = options;
  }

  /** A value JSON.stringify writes as Kafka Connect's JSON for `value`; `path` names it in errors. */
  toJson(schema: Schema | undefined, value: unknown, path = ""): unknown {
    if (schema === undefined) return this.#schemalessToJson(value, path);
    if (value === null || value === undefined) return this.#nullToJson(schema, path);
    if (schema.name === DECIMAL) return this.#decimalToJson(schema, value, path);
    switch (schema.type) {
      case "int8":
      case "int16":
      case "int32":
      case "int64":
        return integerToJson(schema.type, value, path);
      case "float32":
      case "float64":
        return floatToJson(value, path);
      case "boolean":
        if (typeof value !== "boolean") throw mismatch(schema, value, path);
        return value;
      case "string":
        if (typeof value !== "string") throw mismatch(schema, value, path);
        return value;
      case "bytes":
        if (!(value instanceof Uint8Array)) throw mismatch(schema, value, path);
        return toBase64(value);
      case "array": {
        if (!Array.isArray(value)) throw mismatch(schema, value, path);
        const items = requireSubschema(schema.items, "items", path);
        return value.map((item, index) => this.toJson(items, item, child(path, index)));
      }
      case "map":
        return this.#mapToJson(schema, value, path);
      case "struct":
        return this.#structToJson(schema, value, path);
    }
  }

  /** The Sluice value of a parsed JSON node under `schema` (undefined: infer from the JSON). */
  fromJson(schema: Schema | undefined, node: JsonTree | undefined, path = ""): unknown {
    if (schema === undefined) return schemalessFromJson(node ?? null);
    if (node === null || node === undefined) return this.#nullFromJson(schema, path);
    if (schema.name === DECIMAL) return decimalFromJson(schema, node, path);
    switch (schema.type) {
      case "int8":
      case "int16":
      case "int32":
      case "int64":
        return integerFromJson(schema.type, node, path);
      case "float32":
      case "float64":
        // A float32 is kept as the double nearest its text, so it prints back as Kafka Connect prints it.
        return floatFromJson(node, path);
      case "boolean":
        if (typeof node !== "boolean") throw unexpected(schema.type, node, path);
        return node;
      case "string":
        if (typeof node !== "string") throw unexpected(schema.type, node, path);
        return node;
      case "bytes": {
        const bytes = typeof node === "string" ? fromBase64(node) : undefined;
        if (bytes === undefined) throw unexpected("bytes as base64 text", node, path);
        return bytes;
      }
      case "array": {
        if (!Array.isArray(node)) throw unexpected(schema.type, node, path);
        const items = requireSubschema(schema.items, "items", path);
        return node.map((item, index) => this.fromJson(items, item, child(path, index)));
      }
      case "map":
        return this.#mapFromJson(schema, node, path);
      case "struct":
        return this.#structFromJson(schema, node, path);
    }
  }

  #nullToJson(schema: Schema, path: string): unknown {
    if (this.#options.replaceNullWithDefault && schema.default !== undefined && schema.default !== null) {
      return this.toJson(schema, schema.default, path);
    }
    if (schema.optional) return null;
    throw new DataError(`null ${at(path)}, but its ${schema.type} schema is required and has no default`);
  }

  #nullFromJson(schema: Schema, path: string): unknown {
    if (this.#options.replaceNullWithDefault && schema.default !== undefined && schema.default !== null) {
      return schema.default;
    }
    if (schema.optional) return null;
    throw new DataError(`null ${at(path)}, but its ${schema.type} schema is required and has no default`);
  }

  #schemalessToJson(value: unknown, path: string): unknown {
    if (value === null || value === undefined) return null;
    switch (typeof value) {
      case "boolean":
      case "string":
        return value;
      case "number":
        return Number.isFinite(value) ? value : String(value);
      case "bigint":
        return rawJson(value.toString());
    }
    if (value instanceof Uint8Array) return toBase64(value);
    if (Array.isArray(value))
      return value.map((item, index) => this.#schemalessToJson(item, child(path, index)));
    if (value instanceof Map) {
      const entries = [...value.entries()];
      if (entries.every(([key]) => typeof key === "string")) {
        return Object.fromEntries(
          entries.map(([key, item]) => [key, this.#schemalessToJson(item, child(path, key))]),
        );
      }
      return entries.map(([key, item], index) => [
        this.#schemalessToJson(key, child(path, index)),
        this.#schemalessToJson(item, child(path, index)),
      ]);
    }
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, item]) => item !== undefined)
          .map(([key, item]) => [key, this.#schemalessToJson(item, child(path, key))]),
      );
    }
    throw new DataError(`a ${describeKind(value)} ${at(path)} has no JSON form`);
  }

  #decimalToJson(schema: Schema, value: unknown, path: string): unknown {
    const scale = decimalScale(schema, path);
    let decimal: Decimal | undefined;
    if (typeof value === "string") decimal = parseDecimal(value);
    else if (typeof value === "number" && Number.isFinite(value)) decimal = parseDecimal(String(value));
    else if (typeof value === "bigint") decimal = { unscaled: value, scale: 0 };
    if (decimal === undefined) throw mismatch(schema, value, path, 'a decimal string such as "12.30"');
    const rescaled = rescaleDecimal(decimal, scale);
    if (rescaled === undefined) {
      throw new DataError(
        `decimal ${String(value)} ${at(path)} has more fractional digits than its scale ${scale}`,
      );
    }
    return this.#options.decimalFormat === "NUMERIC"
      ? rawJson(formatDecimal(rescaled))
      : toBase64(bigintToTwosComplement(rescaled.unscaled));
  }

  #mapToJson(schema: Schema, value: unknown, path: string): unknown {
    const keys = requireSubschema(schema.keys, "keys", path);
    const values = requireSubschema(schema.values, "values", path);
    let entries: Array<[unknown, unknown]>;
    if (value instanceof Map) entries = [...value.entries()];
    else if (isPlainObject(value)) entries = Object.entries(value);
    else throw mismatch(schema, value, path, "an object or a Map");
    if (keys.type === "string") {
      return Object.fromEntries(
        entries.map(([key, item]) => {
          const name = this.toJson(keys, key, path);
          return [name, this.toJson(values, item, child(path, String(name)))];
        }),
      );
    }
    return entries.map(([key, item], index) => [
      this.toJson(keys, key, child(path, index)),
      this.toJson(values, item, child(path, index)),
    ]);
  }

  #mapFromJson(schema: Schema, node: JsonTree, path: string): unknown {
    const keys = requireSubschema(schema.keys, "keys", path);
    const values = requireSubschema(schema.values, "values", path);
    if (keys.type === "string") {
      if (!isJsonObject(node)) throw unexpected("a map with string keys, as a JSON object", node, path);
      return Object.fromEntries(
        Object.entries(node).map(([key, item]) => [key, this.fromJson(values, item, child(path, key))]),
      );
    }
    if (!Array.isArray(node))
      throw unexpected(`a map with ${keys.type} keys, as an array of pairs`, node, path);
    return new Map(
      node.map((entry, index) => {
        if (!Array.isArray(entry) || entry.length !== 2) {
          throw unexpected("a [key, value] pair", entry, child(path, index));
        }
        return [
          this.fromJson(keys, entry[0], child(path, index)),
          this.fromJson(values, entry[1], child(path, index)),
        ];
      }),
    );
  }

  #structToJson(schema: Schema, value: unknown, path: string): unknown {
    if (!isPlainObject(value)) throw mismatch(schema, value, path);
    const { fields, names } = this.#structOf(schema);
    const json: Record<string, unknown> = {};
    let own = 0;
    try {
      for (const field of fields) {
        const name = field.field;
        let item: unknown;
        if (Object.hasOwn(value, name)) {
          own++;
          item = value[name];
        }
        const itemJson = this.#fieldToJson(field, item, path, name);
        if (name === "__proto__") Object.defineProperty(json, name, { value: itemJson, enumerable: true });
        else json[name] = itemJson;
      }
    } catch (error) {
      // A field the schema lacks is the first thing wrong with the value.
      refuseUnknownFields(names, value, path);
      throw error;
    }
    if (Object.keys(value).length > own) refuseUnknownFields(names, value, path);
    return json;
  }

  /**
   * A struct field's JSON, without building the field's path for errors on the way: only when the
   * conversion throws is it repeated with the path (conversion is pure, so it throws the same error, now
   * naming the field). Under a parent that is itself converted this way (`UNTRACKED`), the parent's
   * caller repeats the whole parent instead.
   */
  #fieldToJson(field: Schema, item: unknown, path: string, name: string): unknown {
    if (path === UNTRACKED) return this.toJson(field, item, UNTRACKED);
    try {
      return this.toJson(field, item, UNTRACKED);
    } catch {
      return this.toJson(field, item, path === "" ? name : `${path}.${name}`);
    }
  }

  #structFromJson(schema: Schema, node: JsonTree, path: string): unknown {
    if (!isJsonObject(node)) throw unexpected("a struct, as a JSON object", node, path);
    return Object.fromEntries(
      (schema.fields ?? []).map((field) => [
        field.field,
        this.fromJson(
          field,
          Object.hasOwn(node, field.field) ? node[field.field] : null,
          child(path, field.field),
        ),
      ]),
    );
  }

  #structOf(schema: Schema): StructFields {
    let struct = this.#structs.get(schema);
    if (struct === undefined) {
      const fields = schema.fields ?? [];
      struct = { fields, names: new Set(fields.map((field) => field.field)) };
      this.#structs.set(schema, struct);
    }
    return struct;
  }
}

/** The path given to a conversion whose errors are never shown (see `JsonData.#fieldToJson`). */
const UNTRACKED = "\u0000untracked";

/** Each integer type's bounds for number values: min inclusive, max exclusive (exact as doubles). */
const NUMBER_RANGES = {
  int8: [-(2 ** 7), 2 ** 7],
  int16: [-(2 ** 15), 2 ** 15],
  int32: [-(2 ** 31), 2 ** 31],
  int64: [-(2 ** 63), 2 ** 63],
} as const;

function integerToJson(type: IntegerType, value: unknown, path: string): unknown {
  if (typeof value === "number" && Number.isInteger(value)) {
    const [min, end] = NUMBER_RANGES[type];
    if (value < min || value >= end) throw outOfRange(type, value, path);
    return value;
  }
  if (typeof value !== "bigint") {
    throw new DataError(`expected an integer for ${type} ${at(path)}, got ${describeKind(value)}`);
  }
  const [min, max] = INTEGER_RANGES[type];
  if (value < min || value > max) throw outOfRange(type, value, path);
  return Number.isSafeInteger(Number(value)) ? Number(value) : rawJson(value.toString());
}

function floatToJson(value: unknown, path: string): unknown {
  const number = typeof value === "bigint" ? Number(value) : value;
  if (typeof number !== "number")
    throw new DataError(`expected a number ${at(path)}, got ${describeKind(value)}`);
  if (!Number.isFinite(number)) return String(number);
  // Jackson writes integral doubles with ".0"; keep that, so schemaless readers still see a float.
  if (Number.isInteger(number) && Math.abs(number) < 1e21)
    return rawJson(`${Object.is(number, -0) ? "-0" : number}.0`);
  return number;
}

/** The integer a JSON integer's text stands for: a number when that is exact, else a bigint. */
function integerOfText(text: string): number | bigint {
  if (text.length <= 15) return Number(text);
  const value = BigInt(text);
  return Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

function integerFromJson(type: IntegerType, node: JsonTree, path: string): number | bigint {
  if (!(node instanceof JsonNumber) || !node.isIntegral) throw unexpected(`an ${type} integer`, node, path);
  const value = integerOfText(node.source);
  const [min, max] = INTEGER_RANGES[type];
  if (value < min || value > max) throw outOfRange(type, node.source, path);
  return value;
}

function floatFromJson(node: JsonTree, path: string): number {
  if (node instanceof JsonNumber) return Number(node.source);
  if (typeof node === "string" && Object.hasOwn(NON_FINITE, node)) return NON_FINITE[node] as number;
  throw unexpected("a number", node, path);
}

function decimalFromJson(schema: Schema, node: JsonTree, path: string): string {
  const scale = decimalScale(schema, path);
  if (node instanceof JsonNumber) {
    const decimal = parseDecimal(node.source) as Decimal;
    return formatDecimal(rescaleDecimal(decimal, scale) ?? decimal);
  }
  const bytes = typeof node === "string" ? fromBase64(node) : undefined;
  const unscaled = bytes === undefined ? undefined : twosComplementToBigint(bytes);
  if (unscaled === undefined)
    throw unexpected("a decimal as a number or base64 of its unscaled bytes", node, path);
  return formatDecimal({ unscaled, scale });
}

function decimalScale(schema: Schema, path: string): number {
  const scale = schema.parameters?.scale;
  if (scale === undefined || !/^\d+$/.test(scale)) {
    throw new DataError(
      `the Decimal schema ${at(path)} needs a non-negative "scale" parameter, got ${scale}`,
    );
  }
  return Number(scale);
}

/** Infers a value from JSON alone, as Kafka Connect does without a schema: objects become maps. */
function schemalessFromJson(node: JsonTree): unknown {
  if (node instanceof JsonNumber) return node.isIntegral ? integerOfText(node.source) : Number(node.source);
  if (Array.isArray(node)) return node.map(schemalessFromJson);
  if (isJsonObject(node)) {
    return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, schemalessFromJson(item)]));
  }
  return node;
}

function isJsonObject(node: JsonTree | undefined): node is { [key: string]: JsonTree } {
  return typeof node === "object" && node !== null && !Array.isArray(node) && !(node instanceof JsonNumber);
}

function requireSubschema(schema: Schema | undefined, name: string, path: string): Schema {
  if (schema === undefined) throw new DataError(`the schema ${at(path)} has no "${name}" schema`);
  return schema;
}

function jsonKind(node: JsonTree | undefined): string {
  if (node instanceof JsonNumber) return `number ${node.source}`;
  if (Array.isArray(node)) return "array";
  if (node === null || node === undefined) return "null";
  return typeof node === "object" ? "object" : typeof node;
}

function unexpected(expected: string, node: JsonTree | undefined, path: string): DataError {
  return new DataError(`expected ${expected} ${at(path)}, found JSON ${jsonKind(node)}`);
}

function mismatch(schema: Schema, value: unknown, path: string, expected: string = schema.type): DataError {
  return new DataError(`expected ${expected} ${at(path)}, got ${describeKind(value)}`);
}

function outOfRange(type: IntegerType, value: unknown, path: string): DataError {
  return new DataError(`${String(value)} ${at(path)} is out of range for ${type}`);
}
