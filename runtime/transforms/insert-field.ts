import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { ConfigError, DataError } from "../api/errors.ts";
import type { ConnectRecord, Schema, SinkRecord } from "../api/records.ts";
import { timestampSchema } from "../converters/logical-types.ts";
import { keyAndValuePlugins, type Part, partTransformation, type Side } from "./record-part.ts";
import { asField, perSchema, requireFields, structFields, structWithFields } from "./struct.ts";
import type { Transformation } from "./transformation.ts";

const FIELD_SUFFIX_DOC = 'Suffix "!" makes the field required, "?" (the default) optional.';

const config = new ConfigDef()
  .define({
    name: "topic.field",
    type: "string",
    default: null,
    description: `Field for the record's topic. ${FIELD_SUFFIX_DOC}`,
  })
  .define({
    name: "partition.field",
    type: "string",
    default: null,
    description: `Field for the record's Kafka partition. ${FIELD_SUFFIX_DOC}`,
  })
  .define({
    name: "offset.field",
    type: "string",
    default: null,
    description: `Field for the record's Kafka offset; records read by a sink only. ${FIELD_SUFFIX_DOC}`,
  })
  .define({
    name: "timestamp.field",
    type: "string",
    default: null,
    description: `Field for the record's timestamp, as a Timestamp. ${FIELD_SUFFIX_DOC}`,
  })
  .define({
    name: "static.field",
    type: "string",
    default: null,
    description: `Field for the fixed static.value. ${FIELD_SUFFIX_DOC}`,
  })
  .define({ name: "static.value", type: "string", default: null, description: "The value of static.field." });

interface Insertion {
  name: string;
  schema: Schema;
  read(record: ConnectRecord): unknown;
}

function kafkaOffsetOf(record: ConnectRecord): number | bigint {
  const offset = (record as Partial<SinkRecord>).kafkaOffset;
  if (offset === undefined)
    throw new DataError("offset.field applies only to records read from Kafka by a sink");
  return Number.isSafeInteger(Number(offset)) ? Number(offset) : offset;
}

function insertionsOf(parsed: ParsedConfig): Insertion[] {
  const staticValue = parsed.optionalString("static.value");
  const kinds: Array<[key: string, schema: Schema, read: (record: ConnectRecord) => unknown]> = [
    ["topic.field", { type: "string" }, (record) => record.topic],
    ["partition.field", { type: "int32" }, (record) => record.kafkaPartition ?? null],
    ["offset.field", { type: "int64" }, kafkaOffsetOf],
    ["timestamp.field", timestampSchema(true), (record) => record.timestamp ?? null],
    ["static.field", { type: "string" }, () => staticValue],
  ];
  const insertions: Insertion[] = [];
  for (const [key, schema, read] of kinds) {
    const spec = parsed.optionalString(key);
    if (spec === null || spec === "") continue;
    const required = spec.endsWith("!");
    const name = required || spec.endsWith("?") ? spec.slice(0, -1) : spec;
    insertions.push({ name, schema: { ...schema, optional: !required }, read });
  }
  if (insertions.length === 0) {
    throw new ConfigError([
      {
        field: "topic.field",
        message:
          "no field to insert: set at least one of topic, partition, offset, timestamp or static.field",
      },
    ]);
  }
  if (parsed.optionalString("static.field") && staticValue === null) {
    throw new ConfigError([{ field: "static.value", message: "is required when static.field is set" }]);
  }
  return insertions;
}

/** Kafka Connect's InsertField: adds record metadata (topic, partition, offset, timestamp) or a fixed value as fields. */
function insertField(parsed: ParsedConfig, side: Side): Transformation {
  const insertions = insertionsOf(parsed);
  const purpose = "InsertField";
  const insertedSchema = perSchema((schema) => {
    const fields = structFields(schema, purpose);
    for (const { name } of insertions) {
      if (fields.some((field) => field.field === name)) {
        throw new DataError(`InsertField cannot add "${name}": the struct already has that field`);
      }
    }
    return structWithFields(schema, [
      ...fields,
      ...insertions.map(({ schema: s, name }) => asField(s, name)),
    ]);
  });
  return partTransformation(side, (part, record): Part => {
    const inserted = insertions.map((insertion) => [insertion.name, insertion.read(record)]);
    const value = Object.fromEntries([...Object.entries(requireFields(part, purpose)), ...inserted]);
    return { value, schema: part.schema && insertedSchema(part.schema) };
  });
}

export const insertFieldPlugins = keyAndValuePlugins({
  name: "InsertField",
  description: "Inserts the record's topic, partition, offset or timestamp, or a static value, as fields.",
  config,
  create: insertField,
});
