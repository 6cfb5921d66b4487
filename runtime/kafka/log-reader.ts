import { randomUUID } from "node:crypto";
import { Consumer, FetchIsolationLevels, type MessagesStream } from "@platformatic/kafka";
import { ErrorCode, RetriableError, SluiceError } from "../api/errors.ts";
import type { Logger } from "../api/logger.ts";
import { toSluiceError } from "./errors.ts";
import { ClientSettings, readCommonOptions, SettingsReader } from "./settings.ts";

/** A record of the log as the reader hands it over. */
export interface LogRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  /** null for a tombstone. */
  value: Buffer | null;
}

export interface KafkaLogReaderOptions {
  bootstrapServers: readonly string[];
  topic: string;
  /** Called for every committed record, in offset order within a partition. */
  onRecord(record: LogRecord): void;
  /** `consumer.*` worker keys that apply (e.g. request.timeout.ms). */
  settings?: ClientSettings;
  clientId?: string;
  logger?: Logger;
  /** How long `readToEnd` waits before it fails with a RetriableError; default 60 s. */
  readTimeoutMs?: number;
}

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/**
 * Reads one topic from its beginning and keeps reading it, handing every committed record to
 * `onRecord` (read_committed: records of aborted or still-open transactions never arrive). As Kafka
 * Connect's KafkaBasedLog, it is how a worker keeps state in a compacted topic: `readToEnd()` resolves
 * once every record committed before the call has been handed over, so a read that follows a write
 * sees it. The reader is the only member of a consumer group of its own and commits nothing.
 */
export class KafkaLogReader {
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #topic: string;
  readonly #readTimeoutMs: number;
  #stream: Stream | null = null;
  #failure: SluiceError | null = null;
  #fetched: Array<() => void> = [];
  #closing: Promise<void> | null = null;

  private constructor(options: KafkaLogReaderOptions) {
    const reader = new SettingsReader("consumer", options.settings ?? new ClientSettings());
    const common = readCommonOptions(
      reader,
      options.bootstrapServers,
      options.clientId ?? "sluice-log-reader",
    );
    reader.finish(options.logger);
    this.#topic = options.topic;
    this.#readTimeoutMs = options.readTimeoutMs ?? 60_000;
    this.#consumer = new Consumer({
      ...common,
      timeout: common.requestTimeout,
      groupId: `${common.clientId}-${randomUUID()}`,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
    });
  }

  /** Starts reading from the beginning and waits until the log is read to its end. */
  static async open(options: KafkaLogReaderOptions): Promise<KafkaLogReader> {
    const reader = new KafkaLogReader(options);
    try {
      await reader.#start(options.onRecord);
      await reader.readToEnd();
    } catch (error) {
      await reader.close();
      throw error;
    }
    return reader;
  }

  async #start(onRecord: (record: LogRecord) => void): Promise<void> {
    try {
      this.#stream = await this.#consumer.consume({
        topics: [this.#topic],
        mode: "earliest",
        autocommit: false,
        maxWaitTime: 100,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });
    } catch (error) {
      throw toSluiceError(error, `reading topic "${this.#topic}"`);
    }
    this.#stream.on("data", (message) => {
      onRecord({
        partition: message.partition,
        offset: message.offset,
        key: message.key?.length ? message.key : null,
        value: message.value?.length ? message.value : null,
      });
    });
    this.#stream.on("fetch", () => this.#wakeWaiters());
    this.#stream.on("error", (error: unknown) => {
      this.#failure ??= toSluiceError(error, `reading topic "${this.#topic}"`);
      this.#wakeWaiters();
    });
  }

  /**
   * Resolves once every record committed to the topic before this call has been handed to `onRecord`.
   * Rejects with a RetriableError when that takes longer than the read timeout, and with the reader's
   * failure when it can no longer read.
   */
  async readToEnd(): Promise<void> {
    const stream = this.#stream;
    if (stream === null || this.#closing !== null) {
      throw new SluiceError(ErrorCode.INTERNAL, `the reader of "${this.#topic}" is closed`);
    }
    let ends: bigint[];
    try {
      const listed = await this.#consumer.listOffsets({
        topics: [this.#topic],
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });
      ends = listed.get(this.#topic) ?? [];
    } catch (error) {
      throw toSluiceError(error, `finding the end of topic "${this.#topic}"`);
    }
    const deadline = Date.now() + this.#readTimeoutMs;
    // A partition is read to its end when the next fetch would start at or past the last stable offset
    // (positions move past transaction markers too) and no fetched record waits in the stream's buffer.
    const caughtUp = () =>
      stream.readableLength === 0 &&
      ends.every(
        (end, partition) =>
          end === 0n || (stream.offsetsToFetch.get(`${this.#topic}:${partition}`) ?? 0n) >= end,
      );
    while (!caughtUp()) {
      if (this.#failure !== null) throw this.#failure;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RetriableError(
          `reading topic "${this.#topic}" to its end took longer than ${this.#readTimeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.#fetched.push(() => {
          clearTimeout(timer);
          // Let the records of this fetch reach onRecord before looking again.
          setImmediate(resolve);
        });
      });
    }
  }

  #wakeWaiters(): void {
    const waiters = this.#fetched;
    this.#fetched = [];
    for (const wake of waiters) wake();
  }

  /** Stops reading and leaves the group; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#stream?.close().catch(() => {});
      await this.#consumer.close(true).catch(() => {});
    })();
    return this.#closing;
  }
}
