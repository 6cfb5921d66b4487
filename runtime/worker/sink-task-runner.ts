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

/**
 * Runs a SinkTask: Kafka → converters → transforms → put, then flush and only then commit the
 * consumer offsets, as Kafka Connect's WorkerSinkTask. Partitions are paused while the task is paused
 * or retrying, so memory stays bounded whatever the lag; before partitions are revoked the task is
 * flushed and their offsets committed.
 */
export class SinkTaskRunner extends WorkerTask {
  readonly #o: SinkTaskRunnerOptions;
  /** Next offset to read per partition, for everything handed to put. */
  readonly #consumed: OffsetMap = new Map();
  #consumer: RecordConsumer | undefined;
  #commitRequested = false;
  #started = false;

  constructor(options: SinkTaskRunnerOptions) {
    super(options.taskId, options.context.logger, options.initialState);
    this.#o = options;
  }

  protected async execute(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const context: SinkTaskContext = {
      ...o.context,
      assignment: () => this.#consumer?.assignment() ?? [],
      seek: (partition, offset) => {
        this.#consumer?.seek(partition, offset);
        this.#consumed.delete(topicPartitionKey(partition));
      },
      pause: (partitions) => this.#consumer?.pause(partitions),
      resume: (partitions) => this.#consumer?.resume(partitions),
      requestCommit: () => {
        this.#commitRequested = true;
      },
      reportErrant: (record, error) => o.errors.report("TASK_PUT", failedSinkRecord(record), error),
    };
    await o.task.start(o.config, context);
    this.#started = true;
    this.#consumer = await o.openConsumer({
      onAssigned: async (partitions) => {
        await o.task.open?.(partitions);
      },
      onRevoked: async (partitions) => {
        await this.#flushAndCommit();
        for (const p of partitions) this.#consumed.delete(topicPartitionKey(p));
        await o.task.close?.(partitions);
      },
    });
    let lastCommit = Date.now();
    let pollFailures = 0;
    try {
      while (!signal.aborted) {
        if (this.isPaused) {
          this.#consumer.pause(this.#consumer.assignment());
          await this.awaitUnpaused(signal);
          this.#consumer.resume(this.#consumer.assignment());
          if (signal.aborted) break;
        }
        let raw: RawRecord[];
        try {
          raw = await this.#consumer.poll(o.maxPollRecords, signal);
          pollFailures = 0;
        } catch (error) {
          // A topic that does not exist yet, a broker that moved: wait, as Kafka Connect's consumer does.
          if (signal.aborted || !isRetriable(error)) throw error;
          if (pollFailures === 0)
            o.context.logger.warn("poll failed; retrying", { error: (error as Error).message });
          await sleep(backoffDelay(pollFailures++, 200, 10_000), signal);
          continue;
        }
        if (raw.length > 0) await this.#deliver(raw, signal);
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
      }
    } finally {
      await this.#flushAndCommit().catch((error: unknown) => {
        o.context.logger.warn("final flush failed; uncommitted records will be redelivered", {
          error: (error as Error).message,
        });
      });
    }
  }

  async #deliver(raw: RawRecord[], signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const labels = { connector: o.connector, task: String(o.taskId) };
    const began = performance.now();
    const records: SinkRecord[] = [];
    for (const r of raw) {
      const failed = failedRaw(r);
      const key = await o.errors.execute(
        "KEY_CONVERTER",
        failed,
        () => o.keyConverter.toConnectData(r.topic, r.key),
        signal,
      );
      const value =
        key &&
        (await o.errors.execute(
          "VALUE_CONVERTER",
          failed,
          () => o.valueConverter.toConnectData(r.topic, r.value),
          signal,
        ));
      if (key && value) {
        const record: SinkRecord = {
          topic: r.topic,
          kafkaPartition: r.partition,
          kafkaOffset: r.offset,
          key: key.value,
          ...(key.schema ? { keySchema: key.schema } : {}),
          value: value.value,
          ...(value.schema ? { valueSchema: value.schema } : {}),
          headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
          timestamp: r.timestamp,
        };
        const transformed = await o.errors.execute(
          "TRANSFORMATION",
          failed,
          () => o.transforms.apply(record),
          signal,
        );
        if (transformed) records.push({ ...record, ...transformed } as SinkRecord);
      }
    }
    if (records.length > 0) await this.#putWithRetry(records, signal);
    for (const r of raw) {
      this.#consumed.set(topicPartitionKey(r), {
        partition: { topic: r.topic, partition: r.partition },
        offset: r.offset + 1n,
      });
    }
    o.metrics.recordsWritten.inc(labels, records.length);
    o.metrics.batchSeconds.observe(labels, (performance.now() - began) / 1000);
    for (const end of (this.#consumer as RecordConsumer).logEndOffsets()) {
      const position = this.#consumed.get(topicPartitionKey(end))?.offset;
      if (position === undefined) continue;
      const lag = end.offset > position ? Number(end.offset - position) : 0;
      o.metrics.consumerLag.set({ ...labels, topic: end.topic, partition: String(end.partition) }, lag);
    }
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

function failedRaw(r: RawRecord): FailedRecord {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    value: r.value,
    headers: r.headers,
  };
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
