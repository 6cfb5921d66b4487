import type { SourceOffset, SourcePartition } from "../api/index.ts";
import { partitionKey } from "../storage/index.ts";

/** One poll's records handed to the producer; `ack()` once Kafka acknowledged every one of them. */
export interface SubmittedBatch {
  ack(): void;
}

interface Pending {
  offset: SourceOffset;
  batch: { acked: boolean };
}

/**
 * Tracks what a source task submitted, batch by batch, per source partition in submission order, and
 * yields for each partition the offset of the longest acknowledged prefix — never an offset beyond a
 * record Kafka has not acknowledged. As Kafka Connect's SubmittedRecords, at the grain of a batch: a
 * batch counts once all its records are acknowledged, and within it only each partition's last offset
 * matters (records a transform dropped or an error skipped count with their batch).
 */
export class SubmittedRecords {
  readonly #pending = new Map<string, { partition: SourcePartition; records: Pending[] }>();
  /** The last partition seen and its key: a task usually hands every record the same partition object. */
  #lastPartition: SourcePartition | null = null;
  #lastKey = "";

  /** Records a batch's submission; call `ack()` on the result once Kafka acknowledged all of it. */
  submit(
    records: ReadonlyArray<{ sourcePartition: SourcePartition; sourceOffset: SourceOffset }>,
  ): SubmittedBatch {
    const batch = { acked: false };
    const last = new Map<string, { partition: SourcePartition; offset: SourceOffset }>();
    for (const record of records) {
      const key = this.#keyOf(record.sourcePartition);
      const seen = last.get(key);
      if (seen === undefined)
        last.set(key, { partition: record.sourcePartition, offset: record.sourceOffset });
      else seen.offset = record.sourceOffset;
    }
    for (const [key, { partition, offset }] of last) {
      let entry = this.#pending.get(key);
      if (!entry) {
        entry = { partition, records: [] };
        this.#pending.set(key, entry);
      }
      entry.records.push({ offset, batch });
    }
    return {
      ack: () => {
        batch.acked = true;
      },
    };
  }

  /**
   * Removes the acknowledged prefix of every partition and returns, per partition, the offset of the
   * last record in that prefix. Partitions with no acknowledged prefix are absent.
   */
  committable(): Array<{ partition: SourcePartition; offset: SourceOffset }> {
    const out: Array<{ partition: SourcePartition; offset: SourceOffset }> = [];
    for (const [key, entry] of this.#pending) {
      let n = 0;
      while (n < entry.records.length && entry.records[n]?.batch.acked) n++;
      if (n === 0) continue;
      const last = entry.records[n - 1] as Pending;
      entry.records.splice(0, n);
      out.push({ partition: entry.partition, offset: last.offset });
      if (entry.records.length === 0) this.#pending.delete(key);
    }
    return out;
  }

  #keyOf(partition: SourcePartition): string {
    if (partition !== this.#lastPartition) {
      this.#lastKey = partitionKey(partition);
      this.#lastPartition = partition;
    }
    return this.#lastKey;
  }
}
