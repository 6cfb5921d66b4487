import type {
  Header,
  ParsedConfig,
  SourceOffset,
  SourcePartition,
  SourceRecord,
  SourceTask,
  SourceTaskContext,
} from "../api/index.ts";
import { isRetriable } from "../api/index.ts";
import type { Converter } from "../converters/converter.ts";
import type { TargetState } from "../herder.ts";
import type { ProduceRecord, RecordMetadata } from "../kafka/types.ts";
import type { OffsetStore, StatusStore } from "../storage/index.ts";
import type { TransformChain } from "../transforms/chain.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import { type ErrorHandler, type FailedRecord, jsonBytes, type Stage } from "./error-handler.ts";
import type { WorkerMetrics } from "./metrics.ts";
import { SubmittedRecords } from "./submitted-records.ts";
import { WorkerTask } from "./worker-task.ts";

/** What the runner needs of the Kafka producer: one promise per record, resolved when Kafka acknowledged it. */
export interface RecordProducer {
  send(records: readonly ProduceRecord[]): Array<Promise<RecordMetadata>>;
  close(): Promise<void>;
}

/**
 * Exactly-once delivery (Kafka Connect's KIP-618): the producer is transactional, and each transaction
 * holds a run of records together with the offsets they reach, written as offsets-topic records. A
 * crash then leaves the records and their offsets either both committed or both aborted, so the task
 * resumes exactly after the last committed record and read_committed consumers never see a repeat.
 */
export interface ExactlyOnceDelivery {
  /** The producer's transactions; `commit` waits for every record sent in the transaction. */
  transactions: { begin(): Promise<void>; commit(): Promise<void>; abort(): Promise<void> };
  /** transaction.boundary: a transaction per non-empty poll, or one per `intervalMs`. */
  boundary: "poll" | "interval";
  /** transaction.boundary.interval.ms */
  intervalMs: number;
  /** The records that store these offsets, to be written in the transaction (see KafkaOffsetStore). */
  offsetRecords(
    entries: ReadonlyArray<{ partition: SourcePartition; offset: SourceOffset }>,
  ): ProduceRecord[];
}

export interface SourceTaskRunnerOptions {
  connector: string;
  taskId: number;
  task: SourceTask;
  /** The task's config, parsed with the plugin's spec. */
  config: ParsedConfig;
  context: Omit<SourceTaskContext, "offset">;
  transforms: TransformChain;
  keyConverter: Converter;
  valueConverter: Converter;
  producer: RecordProducer;
  /** Where the task's committed offsets are read from; at-least-once delivery also commits to it. */
  offsets: OffsetStore;
  /** Present: exactly-once delivery; `producer` is then transactional. Absent: at-least-once. */
  exactlyOnce?: ExactlyOnceDelivery;
  status: StatusStore;
  /** Creates the topic when it does not exist yet (Kafka Connect's topic.creation); idempotent. */
  ensureTopic(topic: string): Promise<void>;
  errors: ErrorHandler;
  metrics: WorkerMetrics;
  /** offset.flush.interval.ms: how often acknowledged offsets are committed while running. */
  offsetFlushIntervalMs: number;
  /** How long to wait after a poll that returned nothing. */
  idleWaitMs: number;
  /** Produce requests allowed in flight at once. */
  maxInFlight: number;
  initialState: TargetState;
}

/**
 * Runs a SourceTask: poll → transforms → converters → Kafka, and commits, per source partition, only
 * the offsets of records that Kafka acknowledged together with every record before them. A stop waits
 * for in-flight sends and commits.
 *
 * At-least-once (the default): offsets go to the offset store every offset.flush.interval.ms; a crash
 * resumes from the last committed offsets, so records acknowledged after them repeat, none are lost.
 * Exactly-once (`exactlyOnce`): records and offsets are committed in one Kafka transaction per
 * boundary; a crash aborts the open transaction, so nothing repeats for read_committed consumers.
 */
export class SourceTaskRunner extends WorkerTask {
  readonly #o: SourceTaskRunnerOptions;
  readonly #submitted = new SubmittedRecords();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #knownTopics = new Set<string>();
  #sendError: unknown;
  #started = false;
  /** When the open transaction began (exactly-once only); null when none is open. */
  #transactionSince: number | null = null;

  constructor(options: SourceTaskRunnerOptions) {
    super(options.taskId, options.context.logger, options.initialState);
    this.#o = options;
  }

  protected async execute(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const labels = { connector: o.connector, task: String(o.taskId) };
    await o.task.start(o.config, {
      ...o.context,
      offset: (partition) => o.offsets.get(o.connector, partition),
    });
    this.#started = true;
    let lastCommit = Date.now();
    let pollFailures = 0;
    try {
      while (!signal.aborted) {
        await this.awaitUnpaused(signal);
        if (signal.aborted) break;
        this.#throwIfSendFailed();
        let records: SourceRecord[] | null;
        try {
          records = await o.task.poll(signal);
          pollFailures = 0;
        } catch (error) {
          if (signal.aborted || !isRetriable(error)) throw error;
          o.context.logger.warn("poll failed; retrying", { error: (error as Error).message });
          await sleep(backoffDelay(pollFailures++, 200, 30_000), signal);
          continue;
        }
        if (records && records.length > 0) {
          o.metrics.recordsPolled.inc(labels, records.length);
          if (o.exactlyOnce && this.#transactionSince === null) {
            await o.exactlyOnce.transactions.begin();
            this.#transactionSince = Date.now();
          }
          await this.#send(records, signal);
        } else {
          await sleep(o.idleWaitMs, signal).catch(() => {});
        }
        if (o.exactlyOnce) {
          const since = this.#transactionSince;
          const due =
            since !== null &&
            (o.exactlyOnce.boundary === "poll" || Date.now() - since >= o.exactlyOnce.intervalMs);
          if (due) await this.#commitTransaction(o.exactlyOnce);
        } else if (Date.now() - lastCommit >= o.offsetFlushIntervalMs) {
          await this.#commitOffsets();
          lastCommit = Date.now();
        }
      }
    } finally {
      await Promise.allSettled(this.#inFlight);
      if (!o.exactlyOnce) await this.#commitOffsets();
      else if (this.#transactionSince !== null) await this.#commitTransaction(o.exactlyOnce);
    }
    this.#throwIfSendFailed();
  }

  /**
   * Commits the open transaction with the offsets its acknowledged records reach; when a send of the
   * transaction failed, aborts it instead and throws that failure (the task then restarts from the
   * offsets of the last committed transaction).
   */
  async #commitTransaction(eos: ExactlyOnceDelivery): Promise<void> {
    const o = this.#o;
    this.#transactionSince = null;
    await Promise.allSettled(this.#inFlight);
    if (this.#sendError !== undefined) {
      await eos.transactions.abort().catch((error: unknown) => {
        o.context.logger.warn("aborting the transaction failed", { error: (error as Error).message });
      });
      throw this.#sendError;
    }
    const committable = this.#submitted.committable();
    if (committable.length > 0) void o.producer.send(eos.offsetRecords(committable));
    await eos.transactions.commit();
    if (committable.length === 0) return;
    o.metrics.lastOffsetCommit.set({ connector: o.connector, task: String(o.taskId) }, Date.now() / 1000);
    await o.task.commit?.();
  }

  async #send(records: SourceRecord[], signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const began = performance.now();
    const submitted = this.#submitted.submit(records);
    const outgoing: ProduceRecord[] = [];
    for (const record of records) {
      const prepared = this.#prepare(record);
      const produced =
        prepared instanceof SourceFailure ? await this.#recover(record, prepared, signal) : prepared;
      if (produced !== null) outgoing.push(produced);
    }
    if (outgoing.length === 0) {
      submitted.ack();
      return;
    }
    for (const record of outgoing) {
      if (this.#knownTopics.has(record.topic)) continue;
      await o.ensureTopic(record.topic);
      await o.status.addTopic(o.connector, record.topic);
      this.#knownTopics.add(record.topic);
    }
    while (this.#inFlight.size >= o.maxInFlight) await Promise.race(this.#inFlight);
    const labels = { connector: o.connector, task: String(o.taskId) };
    const sending: Promise<void> = Promise.all(o.producer.send(outgoing)).then(
      () => {
        submitted.ack();
        o.metrics.recordsWritten.inc(labels, outgoing.length);
        o.metrics.batchSeconds.observe(labels, (performance.now() - began) / 1000);
      },
      (error: unknown) => {
        this.#sendError ??= error;
      },
    );
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
  }

  /**
   * Transforms and converts a record with no error handler in the way: the record to produce, null when
   * a transform dropped it, or where it failed. Only a failure goes through the error handler (see
   * `#recover`), which keeps the common path synchronous.
   */
  #prepare(record: SourceRecord): ProduceRecord | null | SourceFailure {
    const o = this.#o;
    let transformed: SourceRecord | null;
    try {
      transformed = o.transforms.apply(record);
    } catch (error) {
      return new SourceFailure("TRANSFORMATION", error);
    }
    if (transformed === null) return null;
    let key: Uint8Array | null;
    try {
      key = o.keyConverter.fromConnectData(transformed.topic, transformed.keySchema, transformed.key);
    } catch (error) {
      return new SourceFailure("KEY_CONVERTER", error, transformed);
    }
    try {
      const value = o.valueConverter.fromConnectData(
        transformed.topic,
        transformed.valueSchema,
        transformed.value,
      );
      return produceRecord(transformed, key, value);
    } catch (error) {
      return new SourceFailure("VALUE_CONVERTER", error, transformed, key);
    }
  }

  /**
   * A failed record's way through the error handler: its failed stage is retried or reported from the
   * first attempt's error, the stages after it run under the handler as well. Null: the record is
   * skipped (dropped by a transform, or dead-lettered / logged under errors.tolerance=all).
   */
  async #recover(
    record: SourceRecord,
    failure: SourceFailure,
    signal: AbortSignal,
  ): Promise<ProduceRecord | null> {
    const o = this.#o;
    const failed = failedSourceRecord(record);
    const step = <T>(stage: Stage, operation: () => T): Promise<T | undefined> =>
      stage === failure.stage
        ? o.errors.recover(stage, failed, failure.error, operation, signal)
        : o.errors.execute(stage, failed, operation, signal);
    const transformed =
      failure.transformed ?? (await step("TRANSFORMATION", () => o.transforms.apply(record)));
    if (!transformed) return null;
    const key =
      failure.key !== undefined
        ? failure.key
        : await step("KEY_CONVERTER", () =>
            o.keyConverter.fromConnectData(transformed.topic, transformed.keySchema, transformed.key),
          );
    if (key === undefined) return null;
    const value = await step("VALUE_CONVERTER", () =>
      o.valueConverter.fromConnectData(transformed.topic, transformed.valueSchema, transformed.value),
    );
    return value === undefined ? null : produceRecord(transformed, key, value);
  }

  #throwIfSendFailed(): void {
    if (this.#sendError !== undefined) throw this.#sendError;
  }

  async #commitOffsets(): Promise<void> {
    const o = this.#o;
    const committable = this.#submitted.committable();
    if (committable.length === 0) return;
    await o.offsets.set(o.connector, committable);
    o.metrics.lastOffsetCommit.set({ connector: o.connector, task: String(o.taskId) }, Date.now() / 1000);
    await o.task.commit?.();
  }

  protected async cleanup(): Promise<void> {
    try {
      if (this.#started) await this.#o.task.stop();
    } finally {
      await this.#o.producer.close();
    }
  }

  protected cancel(): void {
    void this.#o.task.stop().catch(() => {});
    void this.#o.producer.close().catch(() => {});
  }
}

/** Where a record's transformation or conversion threw, with what it had got so far. */
class SourceFailure {
  readonly stage: Stage;
  readonly error: unknown;
  readonly transformed: SourceRecord | undefined;
  readonly key: Uint8Array | null | undefined;

  constructor(stage: Stage, error: unknown, transformed?: SourceRecord, key?: Uint8Array | null) {
    this.stage = stage;
    this.error = error;
    this.transformed = transformed;
    this.key = key;
  }
}

function produceRecord(
  record: SourceRecord,
  key: Uint8Array | null,
  value: Uint8Array | null,
): ProduceRecord {
  const produced: ProduceRecord = { topic: record.topic, key, value, headers: record.headers };
  if (record.kafkaPartition !== undefined) produced.partition = record.kafkaPartition;
  if (record.timestamp !== undefined) produced.timestamp = record.timestamp;
  return produced;
}

/**
 * The raw form of a source record that failed before it had bytes: JSON of its key and value. The JSON
 * is made only when read, i.e. when a record does fail: serialising every record for the error path
 * cost about a fifth of a source task's CPU.
 */
function failedSourceRecord(record: SourceRecord): FailedRecord {
  return {
    topic: record.topic,
    get key() {
      return jsonBytes(record.key);
    },
    get value() {
      return jsonBytes(record.value);
    },
    headers: record.headers as Header[],
  };
}
