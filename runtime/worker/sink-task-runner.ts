import {
  isRetriable,
  type ParsedConfig,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
  type TopicPartition,
  topicPartitionKey,
} from "../api/index.ts";
import type { Converter } from "../converters/converter.ts";
import type { TargetState } from "../herder.ts";
import type { PartitionOffset, RawRecord } from "../kafka/types.ts";
import type { TransformChain } from "../transforms/chain.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import { type ErrorHandler, type FailedRecord, jsonBytes } from "./error-handler.ts";
import type { WorkerMetrics } from "./metrics.ts";
import { type SinkBatch, SinkRecordSteps } from "./sink-batch.ts";
import { WorkerTask } from "./worker-task.ts";

/** Called by the consumer when the group hands partitions to this task or takes them away. */
export interface RebalanceListener {
  onAssigned(partitions: readonly TopicPartition[]): Promise<void>;
  /** Awaited before the partitions move to another member. */
  onRevoked(partitions: readonly TopicPartition[]): Promise<void>;
}

/** What the runner needs of the Kafka consumer. */
export interface RecordConsumer {
  /** Up to `maxRecords` records, in offset order per partition; empty when none arrived in time. */
  poll(maxRecords: number, signal: AbortSignal): Promise<RawRecord[]>;
  /** Commits next-offsets-to-read for the group. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  seek(partition: TopicPartition, offset: bigint): void;
  assignment(): readonly TopicPartition[];
  /** Each partition's log end offset as last seen, for the consumer-lag metric. */
  logEndOffsets(): ReadonlyArray<TopicPartition & { offset: bigint }>;
  close(): Promise<void>;
}

export interface SinkTaskRunnerOptions {
  connector: string;
  taskId: number;
  task: SinkTask;
  config: ParsedConfig;
  context: Pick<SinkTaskContext, "connectorName" | "taskId" | "logger" | "metrics">;
  transforms: TransformChain;
  keyConverter: Converter;
  valueConverter: Converter;
  openConsumer(listener: RebalanceListener): Promise<RecordConsumer>;
  errors: ErrorHandler;
  metrics: WorkerMetrics;
  /** offset.flush.interval.ms: how often the task is flushed and offsets committed. */
  offsetFlushIntervalMs: number;
  /** consumer max.poll.records */
  maxPollRecords: number;
  initialState: TargetState;
  /** Releases what the runner's creator opened for it (e.g. the dead-letter producer); runs last. */
  onClose(): Promise<void>;
}

type OffsetMap = Map<string, { partition: TopicPartition; offset: bigint }>;

/** A rewind asked by the task: to an offset (seek), or to the first record held back (pause). */
type Rewind = { readonly partition: TopicPartition; readonly to: bigint | "first-held-back" };

/**
 * Runs a SinkTask: Kafka → converters → transforms → put, then flush and only then commit the
 * consumer offsets, as Kafka Connect's WorkerSinkTask. Partitions are paused while the task is paused
 * or retrying, so memory stays bounded whatever the lag; before partitions are revoked the task is
 * flushed and their offsets committed.
 *
 * Put and poll overlap: while the task's put of one batch runs, the loop polls and converts the next,
 * so the target's write time and the engine's own work no longer add up. The task sees none of it: at
 * most one put at a time, in offset order, and open, flush, preCommit and close only while no put
 * runs. A batch's offsets count as consumed (and may be committed after the next flush) only once its
 * put resolved. Errors of the next batch's conversion are reported only after the running put settled,
 * so dead letters and failures come in record order, and a failed put wins over them. A seek or pause
 * by the task during a put drops the next batch's records of those partitions (they are read again).
 * Memory: one batch being put and one waiting, besides the consumer's own buffer.
 */
export class SinkTaskRunner extends WorkerTask {
  readonly #o: SinkTaskRunnerOptions;
  readonly #steps: SinkRecordSteps;
  /** Next offset to read per partition, for everything put. */
  readonly #consumed: OffsetMap = new Map();
  #consumer: RecordConsumer | undefined;
  #commitRequested = false;
  #started = false;
  /** The put under way, if any; never rejects (see #putFailure). */
  #putting: Promise<void> | null = null;
  /** Why the last put failed, until the loop rethrows it. */
  #putFailure: { error: unknown } | null = null;
  /** True while a rebalance callback runs: the records polled next come after whatever the task asks. */
  #rebalancing = false;
  /** Seeks and pauses by the task that the batch waiting for its put may predate, by partition key. */
  readonly #rewinds = new Map<string, Rewind>();

  constructor(options: SinkTaskRunnerOptions) {
    super(options.taskId, options.context.logger, options.initialState);
    this.#o = options;
    this.#steps = new SinkRecordSteps(options);
  }

  protected async execute(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const context: SinkTaskContext = {
      ...o.context,
      assignment: () => this.#consumer?.assignment() ?? [],
      seek: (partition, offset) => {
        this.#consumer?.seek(partition, offset);
        this.#consumed.delete(topicPartitionKey(partition));
        this.#rewind({ partition, to: offset });
      },
      pause: (partitions) => {
        this.#consumer?.pause(partitions);
        for (const partition of partitions) {
          if (!this.#rewinds.has(topicPartitionKey(partition)))
            this.#rewind({ partition, to: "first-held-back" });
        }
      },
      resume: (partitions) => {
        for (const partition of partitions) {
          if (this.#rewinds.get(topicPartitionKey(partition))?.to === "first-held-back")
            this.#rewinds.delete(topicPartitionKey(partition));
        }
        this.#consumer?.resume(partitions);
      },
      requestCommit: () => {
        this.#commitRequested = true;
      },
      reportErrant: (record, error) => o.errors.report("TASK_PUT", failedSinkRecord(record), error),
    };
    await o.task.start(o.config, context);
    this.#started = true;
    this.#consumer = await o.openConsumer({
      onAssigned: (partitions) =>
        this.#inRebalance(async () => {
          await o.task.open?.(partitions);
        }),
      onRevoked: (partitions) =>
        this.#inRebalance(async () => {
          await this.#flushAndCommit();
          for (const p of partitions) this.#consumed.delete(topicPartitionKey(p));
          await o.task.close?.(partitions);
        }),
    });
    try {
      await this.#loop(this.#consumer, signal);
    } catch (error) {
      // A put still running settles first; its failure came first, so it is the one reported.
      await this.#settlePut();
      throw this.#takePutFailure()?.error ?? error;
    } finally {
      await this.#settlePut();
      await this.#flushAndCommit().catch((error: unknown) => {
        o.context.logger.warn("final flush failed; uncommitted records will be redelivered", {
          error: (error as Error).message,
        });
      });
    }
  }

  async #loop(consumer: RecordConsumer, signal: AbortSignal): Promise<void> {
    const o = this.#o;
    let lastCommit = Date.now();
    let pollFailures = 0;
    while (!signal.aborted) {
      if (this.isPaused) {
        await this.#awaitPut();
        consumer.pause(consumer.assignment());
        await this.awaitUnpaused(signal);
        consumer.resume(consumer.assignment());
        if (signal.aborted) break;
      }
      let batch: SinkBatch | null = null;
      try {
        const raw = await consumer.poll(o.maxPollRecords, signal);
        pollFailures = 0;
        if (raw.length > 0) batch = this.#steps.prepare(raw);
      } catch (error) {
        // A topic that does not exist yet, a broker that moved: wait, as Kafka Connect's consumer does.
        if (signal.aborted || !isRetriable(error)) throw error;
        await this.#awaitPut();
        if (pollFailures === 0)
          o.context.logger.warn("poll failed; retrying", { error: (error as Error).message });
        await sleep(backoffDelay(pollFailures++, 200, 10_000), signal);
        continue;
      }
      await this.#awaitPut();
      if (this.#commitRequested || Date.now() - lastCommit >= o.offsetFlushIntervalMs) {
        try {
          await this.#flushAndCommit();
        } catch (error) {
          // As Kafka Connect: a retriable flush failure skips this commit; the next one tries again.
          if (!isRetriable(error)) throw error;
          o.context.logger.warn("flush failed; offsets not committed this time", {
            error: (error as Error).message,
          });
        }
        lastCommit = Date.now();
        this.#commitRequested = false;
      }
      if (batch === null) continue;
      this.#applyRewinds(consumer, batch);
      const records = await batch.finish(this.#steps, signal);
      if (signal.aborted) break;
      this.#putting = this.#put(batch, records, signal).catch((error: unknown) => {
        this.#putFailure = { error };
      });
    }
    await this.#awaitPut();
  }

  /** Runs a rebalance callback once no put is under way (the task never sees the two overlap). */
  async #inRebalance(callback: () => Promise<void>): Promise<void> {
    await this.#settlePut();
    this.#rebalancing = true;
    try {
      await callback();
    } finally {
      this.#rebalancing = false;
    }
  }

  /**
   * Notes a seek or pause by the task, unless nothing polled can predate it: before the consumer opened,
   * or in a rebalance callback (which runs inside a poll, before its records are taken).
   */
  #rewind(rewind: Rewind): void {
    if (this.#consumer === undefined || this.#rebalancing) return;
    this.#rewinds.set(topicPartitionKey(rewind.partition), rewind);
  }

  /**
   * Before `batch` is put: drops its records of partitions the task sought or paused after they were
   * polled, and points the consumer at where they should be read from again.
   */
  #applyRewinds(consumer: RecordConsumer, batch: SinkBatch): void {
    for (const [key, { partition, to }] of this.#rewinds) {
      // A put that ended after the seek recorded its own offsets; the seek decides instead.
      if (to !== "first-held-back") this.#consumed.delete(key);
      const heldBack = batch.drop(partition);
      if (heldBack === undefined) continue;
      const assigned = consumer.assignment().some((p) => topicPartitionKey(p) === key);
      if (assigned) consumer.seek(partition, to === "first-held-back" ? heldBack : to);
    }
    this.#rewinds.clear();
  }

  /** Puts one batch; once put, its records count as consumed. */
  async #put(batch: SinkBatch, records: SinkRecord[], signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const labels = { connector: o.connector, task: String(o.taskId) };
    const began = performance.now();
    if (records.length > 0) await this.#putWithRetry(records, signal);
    for (const { key, partition, offset } of batch.nextOffsets())
      this.#consumed.set(key, { partition, offset });
    o.metrics.recordsWritten.inc(labels, records.length);
    o.metrics.batchSeconds.observe(labels, (batch.preparedMs + performance.now() - began) / 1000);
    for (const end of (this.#consumer as RecordConsumer).logEndOffsets()) {
      const position = this.#consumed.get(topicPartitionKey(end))?.offset;
      if (position === undefined) continue;
      const lag = end.offset > position ? Number(end.offset - position) : 0;
      o.metrics.consumerLag.set({ ...labels, topic: end.topic, partition: String(end.partition) }, lag);
    }
  }

  /** Waits for the put under way, if any; its failure stays for #takePutFailure. */
  async #settlePut(): Promise<void> {
    const putting = this.#putting;
    if (putting === null) return;
    await putting;
    if (this.#putting === putting) this.#putting = null;
  }

  #takePutFailure(): { error: unknown } | null {
    const failure = this.#putFailure;
    this.#putFailure = null;
    return failure;
  }

  /** Waits for the put under way, if any, and rethrows its failure. */
  async #awaitPut(): Promise<void> {
    await this.#settlePut();
    const failure = this.#takePutFailure();
    if (failure !== null) throw failure.error;
  }

  /** A RetriableError from put pauses consumption and redelivers the same batch after a backoff. */
  async #putWithRetry(records: SinkRecord[], signal: AbortSignal): Promise<void> {
    const consumer = this.#consumer as RecordConsumer;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#o.task.put(records);
        if (attempt > 0) consumer.resume(consumer.assignment());
        return;
      } catch (error) {
        if (!isRetriable(error) || signal.aborted) throw error;
        consumer.pause(consumer.assignment());
        const delay = backoffDelay(attempt, 200, 30_000);
        this.#o.context.logger.warn(`put failed; retrying the batch in ${delay} ms`, {
          error: (error as Error).message,
        });
        await sleep(delay, signal);
      }
    }
  }

  /** Flushes the task and commits what it flushed (or what preCommit allows). */
  async #flushAndCommit(): Promise<void> {
    const o = this.#o;
    if (!this.#consumer || this.#consumed.size === 0) return;
    const offsets: OffsetMap = new Map(this.#consumed);
    await o.task.flush(offsets);
    const committable = o.task.preCommit ? await o.task.preCommit(offsets) : offsets;
    if (committable.size === 0) return;
    await this.#consumer.commit(
      [...committable.values()].map(({ partition, offset }) => ({ ...partition, offset })),
    );
    o.metrics.lastOffsetCommit.set({ connector: o.connector, task: String(o.taskId) }, Date.now() / 1000);
  }

  protected async cleanup(): Promise<void> {
    try {
      await this.#consumer?.close();
      if (this.#started) await this.#o.task.stop();
    } finally {
      await this.#o.onClose();
    }
  }

  protected cancel(): void {
    void this.#consumer?.close().catch(() => {});
    void this.#o.onClose().catch(() => {});
  }
}

function failedSinkRecord(record: SinkRecord): FailedRecord {
  return {
    topic: record.topic,
    partition: record.kafkaPartition,
    offset: record.kafkaOffset,
    key: jsonBytes(record.key),
    value: jsonBytes(record.value),
    headers: record.headers,
  };
}
