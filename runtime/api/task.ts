import type { ParsedConfig } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { TaskMetrics } from "./metrics.ts";
import type { SinkRecord, SourceOffset, SourcePartition, SourceRecord, TopicPartition } from "./records.ts";

/** What the engine offers every task. */
export interface TaskContext {
  readonly connectorName: string;
  readonly taskId: number;
  readonly logger: Logger;
  /** Where the task declares the figures it publishes (on GET /metrics and in its status); using it is optional. */
  readonly metrics: TaskMetrics;
}

export interface SourceTaskContext extends TaskContext {
  /** The last committed offset of each source partition; null when the partition was never committed. */
  offset(partition: SourcePartition): Promise<SourceOffset | null>;
}

/**
 * A source task reads one share of an external system into records. The engine runs one loop:
 *  1. `start(config, context)` once: read the committed offset through the context and resume there.
 *  2. `poll(signal)` repeatedly: return a batch of records (may be empty), or null when there is
 *     nothing now. The engine waits briefly after an empty poll. `signal` aborts when the task is
 *     being stopped; poll must then return promptly. A thrown RetriableError is retried with backoff;
 *     any other throw fails the task.
 *  3. `commit()` after the engine committed offsets (every record acknowledged by Kafka up to them);
 *     a task may release resources that the committed records held.
 *  4. `stop()` once, after the last poll returned; idempotent.
 */
export interface SourceTask {
  readonly kind: "source";
  start(config: ParsedConfig, context: SourceTaskContext): Promise<void>;
  poll(signal: AbortSignal): Promise<SourceRecord[] | null>;
  commit?(): Promise<void>;
  stop(): Promise<void>;
}

export interface SinkTaskContext extends TaskContext {
  /** Partitions assigned to this task now. */
  assignment(): readonly TopicPartition[];
  /** Asks the engine to rewind/forward a partition to `offset` before the next put. */
  seek(partition: TopicPartition, offset: bigint): void;
  /** Stops fetching from these partitions until `resume`; records already handed over stay valid. */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Asks for a flush and commit soon, e.g. when a file was rolled. */
  requestCommit(): void;
  /**
   * Reports one record that the task could not write (errors.tolerance=all: it goes to the DLQ with
   * `error`); with errors.tolerance=none it rejects, and the task should rethrow.
   */
  reportErrant(record: SinkRecord, error: Error): Promise<void>;
}

/**
 * A sink task writes records from Kafka into an external system. The engine drives it:
 *  1. `start(config, context)` once.
 *  2. `open(partitions)` when partitions are assigned (also at start); a task that keeps its position
 *     outside Kafka calls `context.seek` here.
 *  3. `put(records)` with batches in offset order per partition. It may buffer; a RetriableError makes
 *     the engine pause and redeliver the same batch after backoff; any other throw fails the task.
 *  4. `flush(offsets)` before offsets are committed: everything put so far must be durably written
 *     when it resolves. Offsets are committed only after flush resolves.
 *  5. `preCommit(offsets)` (optional) returns the offsets that are safe to commit (default: those given).
 *  6. `close(partitions)` when partitions are revoked, after a final flush.
 *  7. `stop()` once; idempotent.
 * The engine never runs two of these calls at once. While a put runs it may already read and convert
 * the next batch; the task gets that batch only after the put resolved, and not the records of a
 * partition it sought or paused meanwhile (they are read again from where they should be).
 */
export interface SinkTask {
  readonly kind: "sink";
  start(config: ParsedConfig, context: SinkTaskContext): Promise<void>;
  open?(partitions: readonly TopicPartition[]): Promise<void>;
  put(records: readonly SinkRecord[]): Promise<void>;
  flush(offsets: ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>): Promise<void>;
  preCommit?(
    offsets: ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>,
  ): Promise<ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>>;
  close?(partitions: readonly TopicPartition[]): Promise<void>;
  stop(): Promise<void>;
}
