import { type ClusterMetadata, Producer as LibraryProducer } from "@platformatic/kafka";
import { DataError, ErrorCode, SluiceError } from "../api/errors.ts";
import type { Logger } from "../api/logger.ts";
import type { Header } from "../api/records.ts";
import { toSluiceError } from "./errors.ts";
import { murmur2 } from "./murmur2.ts";
import { ClientSettings, integer, oneOf, readCommonOptions, SettingsReader } from "./settings.ts";
import type { ProduceRecord, RecordMetadata } from "./types.ts";

export interface KafkaProducerOptions {
  bootstrapServers: readonly string[];
  /** `producer.*` worker keys and `producer.override.*` connector keys (see ClientSettings.fromConfigs). */
  settings?: ClientSettings;
  /** The client id when the settings name none, e.g. `connector-producer-<connector>-<task>`. */
  clientId?: string;
  /**
   * Makes the producer transactional with this transactional.id: records are then sent only between
   * `beginTransaction` and `commitTransaction`. A new producer with the same id fences the old one and
   * aborts its open transaction, so a restarted task cannot leave a half-written batch visible.
   */
  transactionalId?: string;
  logger?: Logger;
}

const COMPRESSION_TYPES = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

/** Metadata look-ups are retried this often (retry.backoff.ms apart) before the records fail. */
const METADATA_RETRIES = 5;

/** Bytes a record adds to a request beyond its key, value and headers (record and batch framing). */
const RECORD_OVERHEAD = 70;

/** The producer settings Sluice maps, with Kafka's defaults. */
interface ProducerTuning {
  lingerMs: number;
  batchSize: number;
  maxRequestSize: number;
  maxInFlight: number;
  deliveryTimeoutMs: number;
  compression: (typeof COMPRESSION_TYPES)[number];
}

interface PendingRecord {
  record: ProduceRecord;
  bytes: number;
  enqueuedAt: number;
  resolve(metadata: RecordMetadata): void;
  reject(error: SluiceError): void;
}

type LibraryMessage = {
  topic: string;
  partition: number;
  key?: Buffer;
  value?: Buffer;
  headers: Map<Buffer, Buffer>;
  timestamp?: bigint;
};

/** The library's transaction handle (its class is not exported). */
type Transaction = Awaited<ReturnType<LibraryProducer["beginTransaction"]>>;

function noop(): void {}

function toBuffer(bytes: Uint8Array | null): Buffer | undefined {
  if (bytes === null) return undefined;
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headerBytes(value: Header["value"]): Buffer | undefined {
  if (value === null) return undefined;
  return typeof value === "string" ? Buffer.from(value, "utf8") : toBuffer(value);
}

/** The record's size on the wire, near enough to cut requests at max.request.size; or why it is invalid. */
function measure(record: ProduceRecord): number | string {
  if (typeof record.topic !== "string" || record.topic === "") return "the record has no topic";
  if (record.partition !== undefined && !(Number.isInteger(record.partition) && record.partition >= 0)) {
    return `partition must be a whole number >= 0; got ${record.partition}`;
  }
  let bytes = RECORD_OVERHEAD + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
  for (const header of record.headers) {
    bytes += Buffer.byteLength(header.key) + 8;
    if (typeof header.value === "string") bytes += Buffer.byteLength(header.value);
    else if (header.value !== null) bytes += header.value.byteLength;
  }
  return bytes;
}

/**
 * The producer of source tasks: idempotent, acks=all, with Kafka's batching. Records given to `send`
 * are queued and leave in requests of up to max.request.size bytes, as soon as batch.size bytes are
 * queued or the oldest queued record has waited linger.ms; at most
 * max.in.flight.requests.per.connection requests are under way at once. With the default of 1 (as
 * Kafka Connect sets for source tasks) records of one partition are written exactly in the order they
 * were given to `send`, also when a request fails and its records are retried one by one; with more,
 * such retried records may land after later records of their partition.
 *
 * Settings (`producer.*` / `producer.override.*`): linger.ms (default 5), batch.size (16384),
 * max.request.size (1048576), compression.type (none|gzip|snappy|lz4|zstd), max.in.flight.requests.
 * per.connection (1–5, default 1), delivery.timeout.ms (120000), retries (at least 2; default
 * unlimited within delivery.timeout.ms), retry.backoff.ms, request.timeout.ms, metadata.max.age.ms,
 * socket.connection.setup.timeout.ms, client.id. acks and enable.idempotence are accepted only as
 * all/true. Java-only keys such as buffer.memory are ignored with a warning; unknown keys are a
 * ConfigError.
 *
 * With a transactionalId the producer is transactional: records are sent between beginTransaction and
 * commitTransaction (or abortTransaction), and become visible to read_committed consumers only when the
 * transaction commits; a failed record dooms its transaction.
 *
 * Partitioning follows Kafka's Java producer: an explicit partition is used as is (an out-of-range one
 * is a DataError), a key goes to murmur2(key) mod partitions, records without a key stick to one
 * partition per request.
 */
export class KafkaProducer {
  readonly #client: LibraryProducer;
  readonly #tuning: ProducerTuning;
  readonly #queue: PendingRecord[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #inFlight = 0;
  #lingerTimer: NodeJS.Timeout | null = null;
  #dispatchScheduled = false;
  #sticky = Math.floor(Math.random() * 1_000_000);
  /** Set while flush() or close() waits: queued records leave without waiting for linger.ms. */
  #draining = 0;
  #idleWaiters: Array<() => void> = [];
  #closed = false;
  #closing: Promise<void> | null = null;
  readonly #transactional: boolean;
  #transaction: Transaction | null = null;
  /** The first record failure inside the open transaction: the transaction can then only abort. */
  #transactionFailure: SluiceError | null = null;

  /** Validates the settings (ConfigError names every bad key); connects lazily on the first send. */
  constructor(options: KafkaProducerOptions) {
    const reader = new SettingsReader("producer", options.settings ?? new ClientSettings());
    const common = readCommonOptions(reader, options.bootstrapServers, options.clientId ?? "sluice-producer");
    reader.read(
      "acks",
      (text) =>
        ["all", "-1"].includes(text.toLowerCase())
          ? { value: text }
          : { error: "Sluice produces with acks=all only" },
      "all",
    );
    reader.read(
      "enable.idempotence",
      (text) =>
        text.toLowerCase() === "true" ? { value: true } : { error: "Sluice's producer is always idempotent" },
      true,
    );
    this.#tuning = {
      lingerMs: reader.read("linger.ms", integer(0), 5),
      batchSize: reader.read("batch.size", integer(1), 16_384),
      maxRequestSize: reader.read("max.request.size", integer(1024), 1_048_576),
      maxInFlight: reader.read("max.in.flight.requests.per.connection", integer(1, 5), 1),
      deliveryTimeoutMs: reader.read("delivery.timeout.ms", integer(1), 120_000),
      compression: reader.read("compression.type", oneOf(COMPRESSION_TYPES), "none"),
    };
    const retries = reader.read("retries", integer(2), Number.MAX_SAFE_INTEGER);
    reader.finish(options.logger);
    this.#transactional = options.transactionalId !== undefined;
    this.#client = new LibraryProducer({
      ...common,
      ...(options.transactionalId === undefined
        ? {}
        : {
            transactionalId: options.transactionalId,
            // No id yet: the broker then fences whatever producer held this transactional.id before
            // (the library would otherwise claim id 0, epoch 0, which the broker answers PRODUCER_FENCED).
            producerId: -1n,
            producerEpoch: -1,
          }),
      timeout: common.requestTimeout,
      retries,
      idempotent: true,
      acks: -1,
      compression: this.#tuning.compression,
      autocreateTopics: false,
    });
  }

  /**
   * Queues the records and returns one promise per record, in the same order. Each resolves with the
   * record's topic, partition and offset once Kafka acknowledged it (acks=all), or rejects with a
   * SluiceError: DataError for a record that can never be written (malformed, larger than
   * max.request.size or than the broker accepts, partition out of range), RetriableError for a failure
   * that may pass on a retry (broker unreachable, leader moved; the library has retried already),
   * TIMEOUT when delivery.timeout.ms passed (the record may still have been written: at-least-once),
   * EXTERNAL_FATAL for missing privileges. A record that fails in a request with others is retried alone
   * once before it is rejected as DataError, so that one bad record does not condemn its neighbours.
   * Rejections the caller never observes are swallowed, so one forgotten promise cannot crash the worker.
   */
  send(records: readonly ProduceRecord[]): Array<Promise<RecordMetadata>> {
    const now = performance.now();
    const promises = records.map((record) => {
      const { promise, resolve, reject } = Promise.withResolvers<RecordMetadata>();
      promise.catch(noop);
      if (this.#closed) {
        reject(new SluiceError(ErrorCode.INTERNAL, "send() after the producer was closed"));
        return promise;
      }
      if (this.#transactional && this.#transaction === null) {
        reject(
          new SluiceError(ErrorCode.INTERNAL, "send() outside a transaction on a transactional producer"),
        );
        return promise;
      }
      const bytes = measure(record);
      if (typeof bytes === "string") {
        this.#refuse(reject, new DataError(`cannot produce to "${record.topic}": ${bytes}`));
      } else if (bytes > this.#tuning.maxRequestSize) {
        this.#refuse(
          reject,
          new DataError(
            `cannot produce to "${record.topic}": the record is about ${bytes} bytes, more than max.request.size (${this.#tuning.maxRequestSize})`,
          ),
        );
      } else {
        this.#queue.push({ record, bytes, enqueuedAt: now, resolve, reject });
        this.#queuedBytes += bytes;
      }
      return promise;
    });
    this.#schedule();
    return promises;
  }

  /** Resolves once every record given to `send` before this call is acknowledged or rejected. */
  async flush(): Promise<void> {
    if (this.#queueLength() === 0 && this.#inFlight === 0) return;
    this.#draining++;
    try {
      const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      this.#dispatch();
      await idle;
    } finally {
      this.#draining--;
    }
  }

  /** Whether a transaction is open. */
  get inTransaction(): boolean {
    return this.#transaction !== null;
  }

  /**
   * Opens a transaction (transactional producers only). The first call registers the transactional.id
   * with the broker, which fences any earlier producer with that id and aborts its open transaction.
   */
  async beginTransaction(): Promise<void> {
    if (!this.#transactional) {
      throw new SluiceError(
        ErrorCode.INTERNAL,
        "beginTransaction() on a producer without a transactional.id",
      );
    }
    if (this.#transaction !== null)
      throw new SluiceError(ErrorCode.INTERNAL, "a transaction is already open");
    try {
      this.#transaction = await this.#client.beginTransaction();
    } catch (error) {
      throw toSluiceError(error, "beginning a Kafka transaction");
    }
    this.#transactionFailure = null;
  }

  /**
   * Waits for every record sent in the open transaction, then commits it: the records become visible
   * to read_committed consumers all at once. When a record of the transaction failed, the transaction
   * is aborted instead and that record's error is thrown; nothing of it becomes visible.
   */
  async commitTransaction(): Promise<void> {
    const transaction = this.#openTransaction();
    await this.flush();
    if (this.#transactionFailure !== null) {
      const failure = this.#transactionFailure;
      await this.abortTransaction();
      throw failure;
    }
    try {
      await transaction.commit();
    } catch (error) {
      throw toSluiceError(error, "committing a Kafka transaction");
    } finally {
      this.#transaction = null;
    }
  }

  /** Waits for the records under way, then aborts the open transaction: none of its records become visible. */
  async abortTransaction(): Promise<void> {
    const transaction = this.#openTransaction();
    await this.flush();
    try {
      await transaction.abort();
    } catch (error) {
      throw toSluiceError(error, "aborting a Kafka transaction");
    } finally {
      this.#transaction = null;
    }
  }

  /** Rejects a record; inside a transaction its failure also dooms the transaction. */
  #refuse(reject: (error: SluiceError) => void, error: SluiceError): void {
    if (this.#transaction !== null) this.#transactionFailure ??= error;
    reject(error);
  }

  #openTransaction(): Transaction {
    if (this.#transaction === null) throw new SluiceError(ErrorCode.INTERNAL, "no transaction is open");
    return this.#transaction;
  }

  /**
   * Flushes, then disconnects; idempotent. Soft, then hard: if the flush takes longer than `timeoutMs`,
   * every record still pending is rejected with ABORTED and the connections are dropped.
   */
  close(timeoutMs = 30_000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const timer = AbortSignal.timeout(timeoutMs);
    const timedOut = new Promise<"timeout">((resolve) =>
      timer.addEventListener("abort", () => resolve("timeout")),
    );
    const outcome = await Promise.race([this.flush().then(() => "flushed" as const), timedOut]);
    if (outcome === "timeout") {
      const aborted = new SluiceError(
        ErrorCode.ABORTED,
        "the producer was closed before Kafka acknowledged the record",
      );
      for (const pending of this.#takeQueued(Number.POSITIVE_INFINITY)) pending.reject(aborted);
    }
    await this.#client.close(true);
  }

  #queueLength(): number {
    return this.#queue.length - this.#queueHead;
  }

  #schedule(): void {
    if (this.#queueLength() === 0 || this.#dispatchScheduled) return;
    if (this.#tuning.lingerMs === 0 || this.#queuedBytes >= this.#tuning.batchSize) {
      // Dispatch after the current tick so that records sent in the same tick share requests.
      this.#dispatchScheduled = true;
      setImmediate(() => {
        this.#dispatchScheduled = false;
        this.#dispatch();
      });
    } else if (this.#lingerTimer === null) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = null;
        this.#dispatch();
      }, this.#tuning.lingerMs);
    }
  }

  /** Starts requests while a slot is free and the queue is due (full enough, old enough, or draining). */
  #dispatch(): void {
    while (this.#inFlight < this.#tuning.maxInFlight && this.#queueLength() > 0) {
      const oldest = this.#queue[this.#queueHead]!;
      const due =
        this.#draining > 0 ||
        this.#queuedBytes >= this.#tuning.batchSize ||
        performance.now() - oldest.enqueuedAt >= this.#tuning.lingerMs;
      if (!due) {
        this.#schedule();
        return;
      }
      if (this.#lingerTimer !== null) {
        clearTimeout(this.#lingerTimer);
        this.#lingerTimer = null;
      }
      const batch = this.#takeQueued(this.#tuning.maxRequestSize);
      this.#inFlight++;
      void this.#sendBatch(batch, true).finally(() => {
        this.#inFlight--;
        this.#dispatch();
        if (this.#queueLength() === 0 && this.#inFlight === 0) {
          const waiters = this.#idleWaiters;
          this.#idleWaiters = [];
          for (const wake of waiters) wake();
        }
      });
    }
  }

  /** Removes queued records from the front, up to `maxBytes` (at least one record). */
  #takeQueued(maxBytes: number): PendingRecord[] {
    const batch: PendingRecord[] = [];
    let bytes = 0;
    while (this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead]!;
      if (batch.length > 0 && bytes + next.bytes > maxBytes) break;
      batch.push(next);
      bytes += next.bytes;
      this.#queueHead++;
    }
    this.#queuedBytes -= bytes;
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueHead = 0;
    } else if (this.#queueHead > 4096 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return batch;
  }

  /** Sends one request and settles each of its records; never rejects. */
  async #sendBatch(batch: PendingRecord[], mayRetryAlone: boolean): Promise<void> {
    const topics = [...new Set(batch.map((pending) => pending.record.topic))];
    const action = `producing to ${topics.join(", ")}`;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message = `${action}: not acknowledged within delivery.timeout.ms (${this.#tuning.deliveryTimeoutMs} ms)`;
        reject(new SluiceError(ErrorCode.TIMEOUT, message));
      }, this.#tuning.deliveryTimeoutMs);
    });
    let sent: Array<{ pending: PendingRecord; partition: number }> = batch.map((pending) => ({
      pending,
      partition: -1,
    }));
    try {
      // The idempotent producer retries without end; a topic that does not exist must fail instead.
      const metadata = await Promise.race([
        this.#client.metadata({ topics, retries: METADATA_RETRIES }),
        deadline,
      ]);
      const { accepted, messages } = this.#toMessages(batch, metadata);
      sent = accepted;
      if (messages.length === 0) return;
      const transaction = this.#transaction;
      const result = await Promise.race([
        transaction === null ? this.#client.send({ messages }) : transaction.send({ messages }),
        deadline,
      ]);
      const next = new Map<string, bigint>();
      for (const { topic, partition, offset } of result.offsets ?? [])
        next.set(`${topic}:${partition}`, offset);
      for (const { pending, partition } of sent) {
        const key = `${pending.record.topic}:${partition}`;
        const offset = next.get(key);
        if (offset === undefined) {
          pending.reject(new SluiceError(ErrorCode.INTERNAL, `Kafka returned no offset for ${key}`));
          continue;
        }
        next.set(key, offset + 1n);
        pending.resolve({ topic: pending.record.topic, partition, offset });
      }
    } catch (error) {
      const failure = toSluiceError(error, action);
      if (this.#transaction !== null) {
        // A failed write dooms the transaction; retrying records alone could not save it.
        for (const { pending } of sent) this.#refuse(pending.reject, failure);
        return;
      }
      if (failure.code === ErrorCode.DATA_INVALID && mayRetryAlone && sent.length > 1) {
        // One by one, in order, so that the bad record is found and the others keep their order.
        for (const { pending } of sent) await this.#sendBatch([pending], false);
        return;
      }
      for (const { pending } of sent) pending.reject(failure);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Chooses each record's partition and converts it; a record for a partition that does not exist is rejected. */
  #toMessages(
    batch: readonly PendingRecord[],
    metadata: ClusterMetadata,
  ): { accepted: Array<{ pending: PendingRecord; partition: number }>; messages: LibraryMessage[] } {
    const sticky = this.#sticky++;
    const accepted: Array<{ pending: PendingRecord; partition: number }> = [];
    const messages: LibraryMessage[] = [];
    for (const pending of batch) {
      const { record } = pending;
      const partitions = metadata.topics.get(record.topic)?.partitionsCount ?? 0;
      const key = toBuffer(record.key);
      const partition =
        record.partition ??
        (key !== undefined ? (murmur2(key) & 0x7fffffff) % partitions : sticky % partitions);
      if (!(partition < partitions)) {
        this.#refuse(
          pending.reject,
          new DataError(
            `cannot produce to "${record.topic}": partition ${partition} does not exist (${partitions} partitions)`,
          ),
        );
        continue;
      }
      const headers = new Map<Buffer, Buffer>();
      // Distinct Buffer objects as map keys keep repeated header keys apart, in order.
      for (const header of record.headers)
        headers.set(Buffer.from(header.key, "utf8"), headerBytes(header.value)!);
      const message: LibraryMessage = { topic: record.topic, partition, headers };
      if (key !== undefined) message.key = key;
      // The library requires the property; null on the wire is what a tombstone is.
      message.value = toBuffer(record.value) ?? (null as unknown as Buffer);
      if (record.timestamp !== undefined) message.timestamp = BigInt(Math.trunc(record.timestamp));
      messages.push(message);
      accepted.push({ pending, partition });
    }
    return { accepted, messages };
  }
}
