import type { ConfigDef, ParsedConfig } from "../api/config.ts";
import type { ConnectRecord, Schema } from "../api/records.ts";
import type { Transformation, TransformationPlugin } from "./transformation.ts";

/** Which half of a record a `$Key` or `$Value` transform works on. */
export type Side = "key" | "value";

/** A record's key or value with its schema (undefined: schemaless). */
export interface Part {
  value: unknown;
  schema: Schema | undefined;
}

export function partOf(record: ConnectRecord, side: Side): Part {
  return side === "key"
    ? { value: record.key, schema: record.keySchema }
    : { value: record.value, schema: record.valueSchema };
}

/** A copy of `record` with its key or value (and that schema) replaced; an undefined schema is removed. */
export function withPart<R extends ConnectRecord>(record: R, side: Side, part: Part): R {
  if (side === "key") {
    const next: R = { ...record, key: part.value, keySchema: part.schema };
    if (part.schema === undefined) delete next.keySchema;
    return next;
  }
  const next: R = { ...record, value: part.value, valueSchema: part.schema };
  if (part.schema === undefined) delete next.valueSchema;
  return next;
}

/**
 * A transformation that rewrites one part of each record. A null part (a tombstone's value, a null key)
 * passes through unchanged, as Kafka Connect's field transforms let it.
 */
export function partTransformation(
  side: Side,
  rewrite: (part: Part, record: ConnectRecord) => Part,
): Transformation {
  return {
    apply(record) {
      const part = partOf(record, side);
      if (part.value === null || part.value === undefined) return record;
      return withPart(record, side, rewrite(part, record));
    },
  };
}

/**
 * The `$Key` and `$Value` plugins of a Kafka Connect transform that works on either part, e.g.
 * `org.apache.kafka.connect.transforms.Cast$Value`, also accepted as `Cast$Value`.
 */
export function keyAndValuePlugins(spec: {
  name: string;
  description: string;
  config: ConfigDef;
  create(config: ParsedConfig, side: Side): Transformation;
}): TransformationPlugin[] {
  return (["key", "value"] as const).map((side) => {
    const shortName = `${spec.name}$${side === "key" ? "Key" : "Value"}`;
    return {
      type: "transformation",
      className: `org.apache.kafka.connect.transforms.${shortName}`,
      aliases: [shortName],
      description: `${spec.description} Works on the record's ${side}.`,
      config: spec.config,
      create: (config) => spec.create(config, side),
    };
  });
}
