import { ErrorCode, SluiceError, type SourceOffset, type SourcePartition } from "../api/index.ts";

/** A source partition and the offset committed for it. */
export interface OffsetEntry {
  readonly partition: SourcePartition;
  readonly offset: SourceOffset;
}

/**
 * Source offsets per connector: for each source partition, the offset of the last record that Kafka
 * acknowledged together with every record before it. Sink connectors keep theirs in the consumer
 * group instead. Partitions are told apart by `partitionKey`, so `{a: 1, b: 2}` and `{b: 2, a: 1}` are
 * the same partition.
 *
 * What every backend guarantees:
 *  - `set` is durable when its promise resolves, and reads issued after it see it.
 *  - Each entry is atomic: after a crash a partition holds either its old or its new offset, never a
 *    mix. Entries of one `set` call may become durable one by one (a Kafka backend writes one record
 *    per entry, keyed by `[connector, partition]` as Kafka Connect does); callers only ever pass offsets
 *    that are each safe to resume from on their own. The file backend happens to apply a call at once.
 *  - Calls for one connector are applied in call order.
 *  - Values are JSON: strings, finite numbers, booleans and null; anything else is refused.
 */
export interface OffsetStore {
  /** The committed offset of the partition, or null when it has none. */
  get(connector: string, partition: SourcePartition): Promise<SourceOffset | null>;
  /** Every partition of the connector with its offset, ordered by partition key. */
  getAll(connector: string): Promise<OffsetEntry[]>;
  /** Stores each entry's offset; a null offset removes the partition (a tombstone in Kafka). */
  set(
    connector: string,
    entries: ReadonlyArray<{ partition: SourcePartition; offset: SourceOffset | null }>,
  ): Promise<void>;
  /** Removes every offset of the connector. */
  reset(connector: string): Promise<void>;
  /** Waits for writes already issued, then refuses new ones. Idempotent. */
  close(): Promise<void>;
}

/**
 * The canonical JSON of a partition or offset map: keys sorted, no whitespace. Throws INTERNAL when a
 * value is not a string, finite number, boolean or null, naming the key.
 */
export function canonicalJson(
  map: SourcePartition | SourceOffset,
  what: "source partition" | "source offset",
): string {
  const keys = Object.keys(map).sort();
  for (const key of keys) {
    const value = map[key];
    const ok =
      value === null ||
      typeof value === "string" ||
      typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value));
    if (!ok) {
      throw new SluiceError(
        ErrorCode.INTERNAL,
        `${what} key "${key}" holds ${String(value)} (${typeof value}); values must be strings, finite numbers, booleans or null`,
      );
    }
  }
  return JSON.stringify(Object.fromEntries(keys.map((key) => [key, map[key]])));
}

/** The key that identifies a source partition in the offset store. */
export function partitionKey(partition: SourcePartition): string {
  return canonicalJson(partition, "source partition");
}
