import type { SourceOffset, SourcePartition } from "../api/index.ts";
import { partitionKey } from "../storage/index.ts";

/** One record handed to the producer; `ack()` marks it acknowledged by Kafka. */
export interface SubmittedRecord {
  ack(): void;
}

interface Pending {
  offset: SourceOffset;
  acked: boolean;
}

/**
 * Tracks the records a source task submitted, per source partition, in submission order, and yields
 * for each partition the offset of the longest prefix that Kafka acknowledged — never an offset
 * beyond an unacknowledged record. As Kafka Connect's SubmittedRecords.
 */
export class SubmittedRecords {
  readonly #pending = new Map<string, { partition: SourcePartition; records: Pending[] }>();
  #count = 0;

  /** Records a submission; call `ack()` on the result once Kafka acknowledged the record. */
  submit(partition: SourcePartition, offset: SourceOffset): SubmittedRecord {
    const key = partitionKey(partition);
    let entry = this.#pending.get(key);
    if (!entry) {
      entry = { partition, records: [] };
      this.#pending.set(key, entry);
    }
    const pending: Pending = { offset, acked: false };
    entry.records.push(pending);
    this.#count++;
    return {
      ack: () => {
        pending.acked = true;
      },
    };
  }

  /** Records submitted and not yet removed by `committable()`. */
  get size(): number {
    return this.#count;
  }

  /**
   * Removes the acknowledged prefix of every partition and returns, per partition, the offset of the
   * last record in that prefix. Partitions with no acknowledged prefix are absent.
   */
  committable(): Array<{ partition: SourcePartition; offset: SourceOffset }> {
    const out: Array<{ partition: SourcePartition; offset: SourceOffset }> = [];
    for (const [key, entry] of this.#pending) {
      let n = 0;
      while (n < entry.records.length && entry.records[n]?.acked) n++;
      if (n === 0) continue;
      const last = entry.records[n - 1] as Pending;
      entry.records.splice(0, n);
      this.#count -= n;
      out.push({ partition: entry.partition, offset: last.offset });
      if (entry.records.length === 0) this.#pending.delete(key);
    }
    return out;
  }
}
