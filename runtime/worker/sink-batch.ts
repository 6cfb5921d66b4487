import { type SinkRecord, type TopicPartition, topicPartitionKey } from "../api/index.ts";
import type { Converter } from "../converters/converter.ts";
import type { RawRecord } from "../kafka/types.ts";
import type { TransformChain } from "../transforms/chain.ts";
import type { ErrorHandler, FailedRecord, Stage } from "./error-handler.ts";

type Converted = ReturnType<Converter["toConnectData"]>;

/** A record whose conversion or transformation threw: what it got so far, and where it failed. */
class Failure {
  readonly raw: RawRecord;
  readonly stage: Stage;
  readonly error: unknown;
  readonly key: Converted | undefined;
  readonly value: Converted | undefined;

  constructor(raw: RawRecord, stage: Stage, error: unknown, key?: Converted, value?: Converted) {
    this.raw = raw;
    this.stage = stage;
    this.error = error;
    this.key = key;
    this.value = value;
  }
}

/** Where a partition's next record to read is; `key` is its topicPartitionKey. */
export interface PartitionPosition {
  readonly key: string;
  readonly partition: TopicPartition;
  offset: bigint;
}

/** A polled record's way so far: the record to put, null when a transform dropped it, or its failure. */
type Outcome = SinkRecord | null | Failure;

/**
 * One poll's records on their way to SinkTask.put. `prepare` converts and transforms every record at
 * once, reporting nothing; a record that threw is kept with its error, and `finish` hands it to the
 * error handler (retry, dead letter, or task failure) in record order. The sink loop prepares the next
 * batch while the task's put of the previous one is still running and calls `finish` only after that
 * put settled, so errors are reported, and dead letters written, in the order they would be without
 * the overlap.
 */
export class SinkBatch {
  /** The polled records, in poll order; the offsets to commit once the batch is put come from them. */
  #raw: RawRecord[];
  #outcomes: Outcome[];
  /** How long `prepare` took, in ms, for the batch-time metric. */
  readonly preparedMs: number;

  constructor(raw: RawRecord[], outcomes: Outcome[], preparedMs: number) {
    this.#raw = raw;
    this.#outcomes = outcomes;
    this.preparedMs = preparedMs;
  }

  /** How many records were polled (put, dropped by a transform, or failed). */
  get size(): number {
    return this.#raw.length;
  }

  /**
   * Forgets the records of `partition` (the task sought or paused it after they were polled); returns
   * the offset of the first one, or undefined when the batch held none.
   */
  drop(partition: TopicPartition): bigint | undefined {
    const raw: RawRecord[] = [];
    const outcomes: Outcome[] = [];
    let first: bigint | undefined;
    for (let index = 0; index < this.#raw.length; index++) {
      const r = this.#raw[index] as RawRecord;
      if (r.partition === partition.partition && r.topic === partition.topic) {
        first ??= r.offset;
      } else {
        raw.push(r);
        outcomes.push(this.#outcomes[index] as Outcome);
      }
    }
    this.#raw = raw;
    this.#outcomes = outcomes;
    return first;
  }

  /** The next offset to read of each partition in the batch: the one after its last record. */
  nextOffsets(): PartitionPosition[] {
    const positions: PartitionPosition[] = [];
    let last: PartitionPosition | undefined;
    for (const r of this.#raw) {
      if (
        last === undefined ||
        last.partition.partition !== r.partition ||
        last.partition.topic !== r.topic
      ) {
        last = positions.find(
          ({ partition }) => partition.partition === r.partition && partition.topic === r.topic,
        );
        if (last === undefined) {
          last = {
            key: topicPartitionKey(r),
            partition: { topic: r.topic, partition: r.partition },
            offset: 0n,
          };
          positions.push(last);
        }
      }
      last.offset = r.offset + 1n;
    }
    return positions;
  }

  /**
   * The records to put, in poll order. Records that failed in `prepare` go through the error handler
   * first, one after the other: a tolerated failure skips the record (dead-lettered), one not tolerated
   * rejects.
   */
  async finish(steps: SinkRecordSteps, signal: AbortSignal): Promise<SinkRecord[]> {
    const records: SinkRecord[] = [];
    for (const outcome of this.#outcomes) {
      const record = outcome instanceof Failure ? await steps.recover(outcome, signal) : outcome;
      if (record !== null) records.push(record);
    }
    return records;
  }
}

/** The steps from a Kafka record to a SinkRecord: key converter, value converter, transforms. */
export class SinkRecordSteps {
  readonly #keyConverter: Converter;
  readonly #valueConverter: Converter;
  readonly #transforms: TransformChain;
  readonly #errors: ErrorHandler;

  constructor(options: {
    keyConverter: Converter;
    valueConverter: Converter;
    transforms: TransformChain;
    errors: ErrorHandler;
  }) {
    this.#keyConverter = options.keyConverter;
    this.#valueConverter = options.valueConverter;
    this.#transforms = options.transforms;
    this.#errors = options.errors;
  }

  /** Converts and transforms `raw` at once; reports nothing (see SinkBatch). */
  prepare(raw: RawRecord[]): SinkBatch {
    const began = performance.now();
    const outcomes: Outcome[] = [];
    for (const r of raw) outcomes.push(this.#attempt(r));
    return new SinkBatch(raw, outcomes, performance.now() - began);
  }

  #attempt(raw: RawRecord): Outcome {
    let key: Converted;
    let value: Converted;
    try {
      key = this.#keyConverter.toConnectData(raw.topic, raw.key);
    } catch (error) {
      return new Failure(raw, "KEY_CONVERTER", error);
    }
    try {
      value = this.#valueConverter.toConnectData(raw.topic, raw.value);
    } catch (error) {
      return new Failure(raw, "VALUE_CONVERTER", error, key);
    }
    try {
      return this.#transform(raw, key, value);
    } catch (error) {
      return new Failure(raw, "TRANSFORMATION", error, key, value);
    }
  }

  #transform(raw: RawRecord, key: Converted, value: Converted): SinkRecord | null {
    const record: SinkRecord = {
      topic: raw.topic,
      kafkaPartition: raw.partition,
      kafkaOffset: raw.offset,
      key: key.value,
      value: value.value,
      headers: raw.headers.map((h) => ({ key: h.key, value: h.value })),
      timestamp: raw.timestamp,
    };
    if (key.schema !== undefined) record.keySchema = key.schema;
    if (value.schema !== undefined) record.valueSchema = value.schema;
    const transformed = this.#transforms.apply(record);
    return transformed === null || transformed === record ? transformed : { ...record, ...transformed };
  }

  /** Runs a failed record's remaining steps through the error handler, as ErrorHandler.execute would. */
  async recover(failure: Failure, signal: AbortSignal): Promise<SinkRecord | null> {
    const { raw } = failure;
    const failed = failedRaw(raw);
    const step = <T>(stage: Stage, operation: () => T): Promise<T | undefined> =>
      stage === failure.stage
        ? this.#errors.recover(stage, failed, failure.error, operation, signal)
        : this.#errors.execute(stage, failed, operation, signal);
    const key =
      failure.key ??
      (await step("KEY_CONVERTER", () => this.#keyConverter.toConnectData(raw.topic, raw.key)));
    if (key === undefined) return null;
    const value =
      failure.value ??
      (await step("VALUE_CONVERTER", () => this.#valueConverter.toConnectData(raw.topic, raw.value)));
    if (value === undefined) return null;
    return (await step("TRANSFORMATION", () => this.#transform(raw, key, value))) ?? null;
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
