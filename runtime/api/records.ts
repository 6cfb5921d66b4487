/**
 * Records as they flow through Sluice: values are plain JSON-like data (objects, arrays, strings,
 * numbers, bigints for integers beyond 2^53, booleans, null, Uint8Array for bytes). A schema is
 * optional; when present it has Kafka Connect's JSON schema shape so that JsonConverter with
 * `schemas.enable=true` reads and writes the same envelope as Kafka Connect.
 */

/** Kafka Connect's schema types, as spelled in the JSON converter's envelope. */
export type SchemaType =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "float32"
  | "float64"
  | "boolean"
  | "string"
  | "bytes"
  | "array"
  | "map"
  | "struct";

export interface Schema {
  type: SchemaType;
  optional?: boolean;
  /** Logical type name, e.g. `org.apache.kafka.connect.data.Decimal`, `io.debezium.time.Timestamp`. */
  name?: string;
  version?: number;
  doc?: string;
  default?: unknown;
  parameters?: Record<string, string>;
  /** For `struct`: the fields in order, each with its name in `field`. */
  fields?: Array<Schema & { field: string }>;
  /** For `array`. */
  items?: Schema;
  /** For `map`. */
  keys?: Schema;
  values?: Schema;
}

export interface Header {
  key: string;
  /** A string, bytes, or null; other values are converted to strings when written to Kafka. */
  value: string | Uint8Array | null;
}

/** The fields every record has, source or sink. */
export interface ConnectRecord {
  topic: string;
  /** The Kafka partition; absent on a source record lets the producer's partitioner choose. */
  kafkaPartition?: number;
  key: unknown;
  keySchema?: Schema;
  value: unknown;
  valueSchema?: Schema;
  headers: Header[];
  /** Milliseconds since the epoch; absent means "now" when produced. */
  timestamp?: number;
}

/** Identifies a stream a source reads, e.g. `{server: "db1"}`; a key of the offset store. */
export type SourcePartition = Readonly<Record<string, string | number | boolean | null>>;

/** Where a source stream stands, e.g. `{file, pos, gtids, event, row}`; opaque to the engine. */
export type SourceOffset = Readonly<Record<string, string | number | boolean | null>>;

/** A record a SourceTask produced, with the position that makes it resumable. */
export interface SourceRecord extends ConnectRecord {
  sourcePartition: SourcePartition;
  /**
   * The offset to store once this record and every earlier record of the same source partition are
   * acknowledged by Kafka. The engine commits only the contiguous acknowledged prefix.
   */
  sourceOffset: SourceOffset;
}

/** A record read from Kafka and handed to a SinkTask. */
export interface SinkRecord extends ConnectRecord {
  kafkaPartition: number;
  kafkaOffset: bigint;
  timestamp: number;
}

/** A Kafka topic-partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** `topic-partition`, the string form used as a map key. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** True when the record is a Kafka tombstone: a key with a null value. */
export function isTombstone(record: ConnectRecord): boolean {
  return record.value === null || record.value === undefined;
}
