import { DataError, type Schema, type SinkRecord } from "../../runtime/api/index.ts";

export type StructSchema = Schema & { fields: Array<Schema & { field: string }> };

/** The struct value schema a schema-ful format needs; DataError naming the record otherwise. */
export function structSchema(record: SinkRecord, format: string): StructSchema {
  const schema = record.valueSchema;
  if (schema?.type !== "struct" || schema.fields === undefined) {
    throw new DataError(
      `${format} needs a struct value schema; record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} has ${schema ? `a ${schema.type} schema` : "none"} (use a converter with schemas, e.g. JsonConverter with value.converter.schemas.enable=true)`,
    );
  }
  return schema as StructSchema;
}

/** A key of a record's value schema: equal keys share a file. */
export function schemaKey(record: SinkRecord): string {
  return JSON.stringify(record.valueSchema ?? null);
}
