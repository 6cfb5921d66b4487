import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import { parseDecimal } from "../converters/decimal.ts";
import { DECIMAL } from "../converters/logical-types.ts";
import { describeKind, isPlainObject } from "../converters/values.ts";
import { keyAndValuePlugins, partTransformation, type Side } from "./record-part.ts";
import { fieldSchema, requireFields } from "./struct.ts";
import type { Transformation } from "./transformation.ts";

const config = new ConfigDef()
  .define({
    name: "fields",
    type: "list",
    description: "Fields to mask.",
    validate: (fields) => (fields.length === 0 ? "must name at least one field" : undefined),
  })
  .define({
    name: "replacement",
    type: "string",
    default: null,
    description:
      "A replacement for numeric and string fields; absent masks each with its type's empty value.",
    validate: (replacement) => (replacement === "" ? "must not be empty" : undefined),
  });

/** What a masked value is: decided by the field's schema when there is one, else by the value. */
type MaskKind = "boolean" | "integer" | "float" | "decimal" | "string" | "bytes" | "array" | "map" | "struct";

function kindOf(value: unknown, schema: Schema | undefined): MaskKind {
  if (schema !== undefined) {
    if (schema.name === DECIMAL) return "decimal";
    switch (schema.type) {
      case "int8":
      case "int16":
      case "int32":
      case "int64":
        return "integer";
      case "float32":
      case "float64":
        return "float";
      default:
        return schema.type;
    }
  }
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return "string";
  if (typeof value === "bigint") return "integer";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "float";
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return "array";
  if (isPlainObject(value) || value instanceof Map) return "map";
  throw new DataError(`MaskField cannot mask a ${describeKind(value)}`);
}

function emptyValueOf(kind: MaskKind, value: unknown): unknown {
  switch (kind) {
    case "boolean":
      return false;
    case "integer":
      return typeof value === "bigint" ? 0n : 0;
    case "float":
      return 0;
    case "decimal":
      return "0";
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    case "array":
      return [];
    case "map":
      return value instanceof Map ? new Map() : {};
    case "struct":
      throw new DataError("MaskField cannot mask a whole struct; mask its fields");
  }
}

function replacementFor(kind: MaskKind, value: unknown, replacement: string): unknown {
  const fail = () => new DataError(`MaskField cannot replace a value of type ${kind} with "${replacement}"`);
  switch (kind) {
    case "string":
      return replacement;
    case "integer": {
      if (!/^[+-]?\d+$/.test(replacement.trim())) throw fail();
      const integer = BigInt(replacement.trim());
      return typeof value === "bigint" || !Number.isSafeInteger(Number(integer)) ? integer : Number(integer);
    }
    case "float": {
      const number = Number(replacement);
      if (replacement.trim() === "" || Number.isNaN(number)) throw fail();
      return number;
    }
    case "decimal":
      if (parseDecimal(replacement) === undefined) throw fail();
      return replacement.trim();
    default:
      throw fail();
  }
}

/** Kafka Connect's MaskField: replaces the values of fields with their type's empty value or a replacement. */
function maskField(parsed: ParsedConfig, side: Side): Transformation {
  const masked = new Set(parsed.list("fields"));
  const replacement = parsed.optionalString("replacement");
  const mask = (value: unknown, schema: Schema | undefined): unknown => {
    if (value === null || value === undefined) return value;
    const kind = kindOf(value, schema);
    return replacement === null ? emptyValueOf(kind, value) : replacementFor(kind, value, replacement);
  };
  return partTransformation(side, (part) => {
    const value = requireFields(part, "MaskField");
    const fieldSchemaOf = (name: string) => (part.schema ? fieldSchema(part.schema, name) : undefined);
    return {
      value: Object.fromEntries(
        Object.entries(value).map(([name, item]) => [
          name,
          masked.has(name) ? mask(item, fieldSchemaOf(name)) : item,
        ]),
      ),
      schema: part.schema,
    };
  });
}

export const maskFieldPlugins = keyAndValuePlugins({
  name: "MaskField",
  description: "Masks fields with their type's empty value (0, false, empty text) or a replacement.",
  config,
  create: maskField,
});
