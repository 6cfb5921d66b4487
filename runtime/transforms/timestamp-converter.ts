import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { ConfigError, DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import {
  DATE,
  dateSchema,
  MILLIS_PER_DAY,
  TIME,
  TIMESTAMP,
  timeSchema,
  timestampSchema,
} from "../converters/logical-types.ts";
import { describeKind } from "../converters/values.ts";
import { JavaDateFormat } from "./java-date-format.ts";
import { keyAndValuePlugins, type Part, partTransformation, type Side } from "./record-part.ts";
import { asField, fieldSchema, perSchema, requireFields, structFields, structWithFields } from "./struct.ts";
import type { Transformation } from "./transformation.ts";

const TYPES = ["string", "unix", "Date", "Time", "Timestamp"] as const;
type TimestampType = (typeof TYPES)[number];

/** Units per millisecond of each unix.precision, as a ratio [multiply, divide]. */
const PRECISIONS = {
  seconds: [1n, 1000n],
  milliseconds: [1n, 1n],
  microseconds: [1000n, 1n],
  nanoseconds: [1_000_000n, 1n],
} as const;
type Precision = keyof typeof PRECISIONS;

const config = new ConfigDef()
  .define({
    name: "field",
    type: "string",
    default: "",
    description: "The field holding the timestamp; empty when the whole key or value is the timestamp.",
  })
  .define({
    name: "target.type",
    type: "string",
    oneOf: TYPES,
    description: "What to convert to: string (with format), unix (epoch number), Date, Time or Timestamp.",
  })
  .define({
    name: "format",
    type: "string",
    default: "",
    example: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    description:
      "A SimpleDateFormat pattern (UTC) to write target.type=string, and to read timestamps given as text.",
  })
  .define({
    name: "unix.precision",
    type: "string",
    default: "milliseconds",
    oneOf: Object.keys(PRECISIONS),
    description:
      "The unit of unix timestamps read and written: seconds, milliseconds, microseconds or nanoseconds.",
  });

function typeSchema(type: TimestampType, optional: boolean): Schema {
  switch (type) {
    case "string":
      return { type: "string", optional };
    case "unix":
      return { type: "int64", optional };
    case "Date":
      return dateSchema(optional);
    case "Time":
      return timeSchema(optional);
    case "Timestamp":
      return timestampSchema(optional);
  }
}

/** What a timestamp value is: from its schema when it has one, else from the value (numbers are unix). */
function sourceType(value: unknown, schema: Schema | undefined): TimestampType {
  if (schema !== undefined) {
    if (schema.name === TIMESTAMP) return "Timestamp";
    if (schema.name === DATE) return "Date";
    if (schema.name === TIME) return "Time";
    if (schema.type === "int64") return "unix";
    if (schema.type === "string") return "string";
    throw new DataError(`TimestampConverter cannot read a timestamp from a ${schema.type} schema`);
  }
  if (typeof value === "number" || typeof value === "bigint") return "unix";
  if (typeof value === "string") return "string";
  throw new DataError(`TimestampConverter cannot read a timestamp from a ${describeKind(value)}`);
}

/**
 * Kafka Connect's TimestampConverter: converts a timestamp (the whole key or value, or one field)
 * between text (SimpleDateFormat in UTC), unix epoch numbers (at unix.precision) and the Date, Time and
 * Timestamp logical types (days, milliseconds of day, epoch milliseconds). Schemaless numbers are read as
 * unix timestamps. Sub-millisecond digits are truncated, as in Kafka Connect.
 */
function timestampConverter(parsed: ParsedConfig, side: Side): Transformation {
  const field = parsed.string("field");
  const target = parsed.string("target.type") as TimestampType;
  const [multiply, divide] = PRECISIONS[parsed.string("unix.precision") as Precision];
  const pattern = parsed.string("format");
  if (target === "string" && pattern.trim() === "") {
    throw new ConfigError([{ field: "format", message: "is required when target.type is string" }]);
  }
  let format: JavaDateFormat | undefined;
  try {
    format = pattern.trim() === "" ? undefined : new JavaDateFormat(pattern);
  } catch (error) {
    throw new ConfigError([{ field: "format", message: (error as Error).message }]);
  }

  const toMillis = (value: unknown, type: TimestampType): number => {
    if (type === "string") {
      if (format === undefined)
        throw new DataError("TimestampConverter needs format to read a timestamp given as text");
      const millis = typeof value === "string" ? format.parse(value) : undefined;
      if (millis === undefined)
        throw new DataError(`TimestampConverter: "${String(value)}" does not match "${format.pattern}"`);
      return millis;
    }
    if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))) {
      if (type === "unix") return Number((BigInt(value) * divide) / multiply);
      if (type === "Date") return Number(value) * MILLIS_PER_DAY;
      return Number(value);
    }
    throw new DataError(`TimestampConverter expected an integer ${type}, got ${describeKind(value)}`);
  };

  const fromMillis = (millis: number): unknown => {
    switch (target) {
      case "string":
        return (format as JavaDateFormat).format(millis);
      case "unix": {
        const unix = (BigInt(millis) * multiply) / divide;
        return Number.isSafeInteger(Number(unix)) ? Number(unix) : unix;
      }
      case "Date":
        return Math.floor(millis / MILLIS_PER_DAY);
      case "Time":
        return ((millis % MILLIS_PER_DAY) + MILLIS_PER_DAY) % MILLIS_PER_DAY;
      case "Timestamp":
        return millis;
    }
  };

  const convert = (value: unknown, schema: Schema | undefined): unknown =>
    value === null || value === undefined ? null : fromMillis(toMillis(value, sourceType(value, schema)));

  if (field === "") {
    const convertedSchema = perSchema((schema) => typeSchema(target, schema.optional === true));
    return partTransformation(
      side,
      (part): Part => ({
        value: convert(part.value, part.schema),
        schema: part.schema && convertedSchema(part.schema),
      }),
    );
  }
  const convertedSchema = perSchema((schema) =>
    structWithFields(
      schema,
      structFields(schema, "TimestampConverter").map((candidate) =>
        candidate.field === field
          ? asField(typeSchema(target, candidate.optional === true), field)
          : candidate,
      ),
    ),
  );
  return partTransformation(side, (part): Part => {
    const value = requireFields(part, "TimestampConverter");
    const schema = part.schema && fieldSchema(part.schema, field);
    return {
      value: Object.hasOwn(value, field) ? { ...value, [field]: convert(value[field], schema) } : value,
      schema: part.schema && convertedSchema(part.schema),
    };
  });
}

export const timestampConverterPlugins = keyAndValuePlugins({
  name: "TimestampConverter",
  description:
    "Converts a timestamp between text, unix epoch numbers and the Date, Time and Timestamp types.",
  config,
  create: timestampConverter,
});
