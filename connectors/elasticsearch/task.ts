import type { Client } from "@elastic/elasticsearch";
import {
  DataError,
  ErrorCode,
  isRetriable,
  type Logger,
  type ParsedConfig,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
  SluiceError,
  type TopicPartition,
} from "../../runtime/api/index.ts";
import { BulkWriter } from "./bulk-writer.ts";
import { createClient } from "./client.ts";
import { type ElasticsearchSettings, elasticsearchSettings } from "./config.ts";
import { type BulkAction, bulkActionOf } from "./documents.ts";
import { renderIndexName } from "./index-name.ts";
import { IndexCreator } from "./indices.ts";

/** A buffered action and the put that handed over its record. */
interface Buffered {
  readonly action: BulkAction;
  readonly put: number;
}

interface Running {
  readonly settings: ElasticsearchSettings;
  readonly client: Client;
  readonly writer: BulkWriter;
  readonly indices: IndexCreator | null;
  readonly context: SinkTaskContext;
}

/**
 * Writes records as documents through the bulk API, idempotently: the document id comes from the record
 * key (or from topic+partition+offset with key.ignore), never a version, so writing a record again leaves
 * the same document.
 *
 * put buffers the records' bulk actions and writes the buffer once batch.size actions wait, or
 * bulk.size.bytes, or the oldest has waited linger.ms (a timer writes a lingering buffer between puts).
 * flush writes everything. Failed requests and items (connection errors, timeouts, 408/409/429/5xx) are
 * retried inside the task up to max.retries with exponential backoff; then put throws RetriableError,
 * having dropped its own records from the buffer (the engine redelivers them after a backoff) and kept
 * the unwritten ones of earlier puts, ahead of them. So the buffer never holds more than batch.size
 * actions plus one put's, and each document sees its records in order, deletes included.
 *
 * A record that cannot become a document (no key, not an object, a tombstone with
 * behavior.on.null.values=fail) or that the server refuses (behavior.on.malformed.documents=fail) is
 * handed to `context.reportErrant` with the reason: dead-lettered with errors.tolerance=all, else the
 * task fails.
 */
export class ElasticsearchSinkTask implements SinkTask {
  readonly kind = "sink";
  #running: Running | null = null;
  #logger: Logger | null = null;
  readonly #abort = new AbortController();
  #buffer: Buffered[] = [];
  #bufferedBytes = 0;
  /** When the oldest buffered action was buffered (ms since the epoch). */
  #bufferedSince = 0;
  #puts = 0;
  /** Index names by topic, rendered once. */
  readonly #indices = new Map<string, string>();
  /** Serialises puts, flushes and the linger timer's writes. */
  #lock: Promise<unknown> = Promise.resolve();
  #lingerTimer: NodeJS.Timeout | null = null;
  /** A non-retriable failure of a write the linger timer started; thrown by the next put or flush. */
  #fatal: unknown = null;
  #stopping: Promise<void> | null = null;

  async start(config: ParsedConfig, context: SinkTaskContext): Promise<void> {
    const settings = elasticsearchSettings(config);
    const client = createClient(settings);
    const signal = this.#abort.signal;
    this.#logger = context.logger;
    this.#running = {
      settings,
      client,
      context,
      indices: settings.schemaIgnore ? null : new IndexCreator(client, signal),
      writer: new BulkWriter({
        client,
        batchSize: settings.batchSize,
        bulkSizeBytes: settings.bulkSizeBytes,
        maxInFlightRequests: settings.maxInFlightRequests,
        maxRetries: settings.maxRetries,
        retryBackoffMs: settings.retryBackoffMs,
        signal,
        onRefused: (action, status, reason) => this.#refused(action, status, reason),
      }),
    };
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    const running = this.#require();
    await this.#exclusive(async () => {
      this.#throwFatal();
      const put = ++this.#puts;
      for (const record of records) {
        let action: BulkAction | null;
        try {
          action = bulkActionOf(record, running.settings, this.#indexOf(record.topic, running));
        } catch (error) {
          if (!(error instanceof DataError)) throw error;
          await running.context.reportErrant(record, error);
          continue;
        }
        if (action === null) continue;
        if (this.#buffer.length === 0) this.#bufferedSince = Date.now();
        this.#buffer.push({ action, put });
        this.#bufferedBytes += action.bytes;
      }
      if (!this.#bufferIsDue(running.settings)) return;
      try {
        await this.#writeBuffer(running);
      } catch (error) {
        if (isRetriable(error)) this.#dropPut(put);
        throw error;
      }
    });
    this.#scheduleLinger();
  }

  async flush(_offsets: ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>): Promise<void> {
    const running = this.#require();
    await this.#exclusive(async () => {
      this.#throwFatal();
      await this.#writeBuffer(running);
    });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
      await this.#lock.catch(() => {});
      await this.#running?.client.close();
      this.#running = null;
      this.#buffer = [];
    })();
    return this.#stopping;
  }

  #require(): Running {
    if (this.#running === null)
      throw new SluiceError(ErrorCode.INTERNAL, "the task is not started (or already stopped)");
    return this.#running;
  }

  /** Runs `step` after every earlier step has settled. */
  #exclusive(step: () => Promise<void>): Promise<void> {
    const run = this.#lock.then(step, step);
    this.#lock = run.catch(() => {});
    return run;
  }

  #throwFatal(): void {
    if (this.#fatal === null) return;
    const fatal = this.#fatal;
    this.#fatal = null;
    throw fatal;
  }

  /** The index of the records of `topic`. */
  #indexOf(topic: string, running: Running): string {
    let index = this.#indices.get(topic);
    if (index === undefined) {
      index = renderIndexName(running.settings.indexTemplate, topic);
      this.#indices.set(topic, index);
    }
    return index;
  }

  #bufferIsDue(settings: ElasticsearchSettings): boolean {
    if (this.#buffer.length === 0) return false;
    return (
      this.#buffer.length >= settings.batchSize ||
      (settings.bulkSizeBytes !== null && this.#bufferedBytes >= settings.bulkSizeBytes) ||
      Date.now() - this.#bufferedSince >= settings.lingerMs
    );
  }

  /** Writes the whole buffer; keeps what could not be written, in order, and throws why. */
  async #writeBuffer(running: Running): Promise<void> {
    if (this.#buffer.length === 0) return;
    const buffered = this.#buffer;
    const actions = buffered.map((entry) => entry.action);
    await running.indices?.ensure(actions);
    const { unwritten, error } = await running.writer.write(actions);
    const left = new Set(unwritten);
    this.#buffer = buffered.filter((entry) => left.has(entry.action));
    this.#bufferedBytes = this.#buffer.reduce((sum, entry) => sum + entry.action.bytes, 0);
    if (this.#buffer.length > 0) this.#bufferedSince = Date.now();
    if (error !== null) throw error;
  }

  /** Forgets the buffered actions of one put, whose records the engine will hand over again. */
  #dropPut(put: number): void {
    this.#buffer = this.#buffer.filter((entry) => entry.put !== put);
    this.#bufferedBytes = this.#buffer.reduce((sum, entry) => sum + entry.action.bytes, 0);
  }

  /** After a put that left actions buffered, writes them once they have lingered long enough. */
  #scheduleLinger(): void {
    const running = this.#running;
    if (
      running === null ||
      this.#lingerTimer !== null ||
      this.#buffer.length === 0 ||
      this.#abort.signal.aborted
    )
      return;
    const wait = Math.max(0, this.#bufferedSince + running.settings.lingerMs - Date.now());
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = null;
      this.#exclusive(() => this.#writeBuffer(running)).catch((error: unknown) => {
        if (isRetriable(error)) {
          this.#logger?.warn("writing lingering records failed; the next put or flush retries them", {
            error: (error as Error).message,
          });
        } else {
          this.#fatal ??= error;
        }
      });
    }, wait);
    this.#lingerTimer.unref();
  }

  async #refused(action: BulkAction, status: number, reason: string): Promise<void> {
    const running = this.#require();
    const { record } = action;
    const what = `${record.topic}/${record.kafkaPartition}/${record.kafkaOffset} (index ${action.index}, id ${action.id})`;
    const message = `the server refused the document of ${what} with HTTP ${status}: ${reason}`;
    switch (running.settings.onMalformedDocuments) {
      case "ignore":
        running.context.logger.debug(`${message}; ignored (behavior.on.malformed.documents=ignore)`);
        return;
      case "warn":
        running.context.logger.warn(`${message}; skipped (behavior.on.malformed.documents=warn)`);
        return;
      case "fail":
        await running.context.reportErrant(record, new DataError(message));
        return;
    }
  }
}
