import type { Header, TopicPartition } from "../api/records.ts";

/** A record to produce, already serialised by the converters. */
export interface ProduceRecord {
  topic: string;
  /** Absent: a keyed record goes where Kafka's Java producer would put it (murmur2 of the key). */
  partition?: number;
  key: Uint8Array | null;
  /** null is a tombstone. */
  value: Uint8Array | null;
  /** In order; a key may repeat. String values are written as UTF-8. */
  headers: readonly Header[];
  /** Milliseconds since the epoch; absent means the time of sending. */
  timestamp?: number;
}

/** Where Kafka stored a produced record. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: bigint;
}

/** A header as read from Kafka: the key decoded as UTF-8, the value as bytes. */
export interface RawHeader {
  key: string;
  value: Uint8Array | null;
}

/** A record read from Kafka, not yet converted. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RawHeader[];
  /** Milliseconds since the epoch (create time or log-append time, as the topic says). */
  timestamp: number;
}

/** A committed or to-be-committed consumer position: `offset` is the next offset to read. */
export interface PartitionOffset extends TopicPartition {
  offset: bigint;
}
