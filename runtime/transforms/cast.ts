import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import { parseDecimal } from "../converters/decimal.ts";
import { toBase64 } from "../converters/exact-json.ts";
import { DATE, DECIMAL, MILLIS_PER_DAY, TIME, TIMESTAMP } from "../converters/logical-types.ts";
import { describeKind } from "../converters/values.ts";
import { JavaDateFormat } from "./java-date-format.ts";
import { keyAndValuePlugins, partTransformation, type Side } from "./record-part.ts";
import { asField, fieldSchema, perSchema, requireFields, structFields, structWithFields } from "./struct.ts";
import type { Transformation } from "./transformation.ts";

const TARGETS = ["int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string"] as const;

type Target = (typeof TARGETS)[number];

const INTEGER_BITS: Partial<Record<Target, number>> = { int8: 8, int16: 16, int32: 32, int64: 64 };

/** How Kafka Connect writes Date, Time and Timestamp values when casting them to text. */
const LOGICAL_TEXT: Readonly<Record<string, { format: JavaDateFormat; millisPerUnit: number }>> = {
  [DATE]: { format: new JavaDateFormat("yyyy-MM-dd"), millisPerUnit: MILLIS_PER_DAY },
  [TIME]: { format: new JavaDateFormat("HH:mm:ss.SSS'Z'"), millisPerUnit: 1 },
  [TIMESTAMP]: { format: new JavaDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"), millisPerUnit: 1 },
};

/** The parsed `spec`: one type for the whole part, or a type per field. */
type CastSpec = { whole: Target } | { fields: Map<string, Target> };

function isTarget(text: string): text is Target {
  return (TARGETS as readonly string[]).includes(text);
}

function parseSpec(spec: string[]): CastSpec | string {
  if (spec.length === 0) return "must name at least one field:type, or one type for the whole value";
  const fields = new Map<string, Target>();
  for (const entry of spec) {
    const parts = entry.split(":").map((part) => part.trim());
    const type = (parts.length === 1 ? parts[0] : parts[1])?.toLowerCase() ?? "";
    if (parts.length > 2 || !isTarget(type)) {
      return `"${entry}" is not a type or field:type; types are ${TARGETS.join(", ")}`;
    }
    if (parts.length === 1) {
      if (spec.length > 1) return "a cast of the whole value must be the only entry";
      return { whole: type };
    }
    fields.set(parts[0] as string, type);
  }
  return { fields };
}

const config = new ConfigDef().define({
  name: "spec",
  type: "list",
  example: "id:int64,price:float64",
  description: `field:type pairs to cast fields, or one type to cast the whole value; types are ${TARGETS.join(", ")}.`,
  validate: (spec) => {
    const parsed = parseSpec(spec);
    return typeof parsed === "string" ? parsed : undefined;
  },
});

function castFailure(value: unknown, target: Target, why = ""): DataError {
  const shown = typeof value === "string" ? `"${value}"` : String(value);
  return new DataError(`Cast cannot cast ${describeKind(value)} ${shown} to ${target}${why}`);
}

/** The integer a value stands for, truncated toward zero as Java's Number.longValue does. */
function integerOf(value: unknown, schema: Schema | undefined, target: Target): bigint {
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw castFailure(value, target);
    return BigInt(Math.trunc(value));
  }
  if (typeof value === "string" && schema?.name === DECIMAL) {
    const decimal = parseDecimal(value);
    if (decimal === undefined) throw castFailure(value, target);
    return decimal.unscaled / 10n ** BigInt(decimal.scale);
  }
  if (typeof value === "string" && /^[+-]?\d+$/.test(value.trim())) return BigInt(value.trim());
  throw castFailure(value, target);
}

function floatOf(value: unknown, target: Target): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  throw castFailure(value, target);
}

function castValue(value: unknown, schema: Schema | undefined, target: Target): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) {
    if (target !== "string") throw castFailure(value, target, "; bytes cast only to string (base64)");
    return toBase64(value);
  }
  if (typeof value === "object") throw castFailure(value, target, "; only scalars can be cast");
  const bits = INTEGER_BITS[target];
  if (bits !== undefined) {
    const integer = integerOf(value, schema, target);
    if (BigInt.asIntN(bits, integer) !== integer) throw castFailure(value, target, ": out of range");
    return Number.isSafeInteger(Number(integer)) ? Number(integer) : integer;
  }
  switch (target) {
    case "float32":
    case "float64":
      return floatOf(value, target);
    case "boolean":
      if (typeof value === "string") return value.trim().toLowerCase() === "true";
      return integerOf(value, schema, target) !== 0n;
    default: {
      const logical = schema?.name === undefined ? undefined : LOGICAL_TEXT[schema.name];
      if (logical !== undefined && typeof value === "number")
        return logical.format.format(value * logical.millisPerUnit);
      return String(value);
    }
  }
}

function castSchema(schema: Schema, target: Target): Schema {
  const cast: Schema = { type: target, optional: schema.optional === true };
  if (schema.default !== undefined && schema.default !== null)
    cast.default = castValue(schema.default, schema, target);
  return cast;
}

/**
 * Kafka Connect's Cast: casts the whole key or value, or some of its fields, to int8…int64, float32,
 * float64, boolean or string. Floats truncate toward zero when cast to integers; bytes cast only to
 * base64 text; Date/Time/Timestamp cast to string as ISO text, as Kafka Connect writes them; text casts
 * to boolean as Java's Boolean.parseBoolean reads it ("true" in any case, else false). Unlike Kafka
 * Connect, an integer that does not fit the target width is refused with DataError instead of wrapping.
 */
function cast(parsed: ParsedConfig, side: Side): Transformation {
  const spec = parseSpec(parsed.list("spec")) as CastSpec;
  if ("whole" in spec) {
    const wholeSchema = perSchema((schema) => castSchema(schema, spec.whole));
    return partTransformation(side, (part) => ({
      value: castValue(part.value, part.schema, spec.whole),
      schema: part.schema && wholeSchema(part.schema),
    }));
  }
  const fieldsSchema = perSchema((schema) =>
    structWithFields(
      schema,
      structFields(schema, "Cast").map((field) => {
        const target = spec.fields.get(field.field);
        return target === undefined ? field : asField(castSchema(field, target), field.field);
      }),
    ),
  );
  return partTransformation(side, (part) => {
    const value = requireFields(part, "Cast");
    const schemaOf = (name: string) => (part.schema ? fieldSchema(part.schema, name) : undefined);
    return {
      value: Object.fromEntries(
        Object.entries(value).map(([name, item]) => {
          const target = spec.fields.get(name);
          return [name, target === undefined ? item : castValue(item, schemaOf(name), target)];
        }),
      ),
      schema: part.schema && fieldsSchema(part.schema),
    };
  });
}

export const castPlugins = keyAndValuePlugins({
  name: "Cast",
  description: "Casts fields, or the whole key or value, to another primitive type.",
  config,
  create: cast,
});
