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
 * put buffers the records' bulk actions. Once batch.size actions wait, or bulk.size.bytes, or the oldest
 * has waited linger.ms (a timer covers the time between puts), everything buffered is written in the
 * background — one write at a time, each in requests of batch.size sent max.in.flight.requests at once —
 * and put returns without waiting for it, as Confluent's connector does: the records that arrive during
 * a write make the next one, so requests grow with the server's latency. Only a put that would leave
 * more than max.buffered.records unwritten waits, writing everything itself. flush waits for the write
 * under way and writes the rest: the engine commits offsets only after it, so no unwritten record is
 * ever committed.
 *
 * Failed requests and items (connection errors, timeouts, 408/409/429/5xx) are retried inside the task
 * up to max.retries with exponential backoff. What a background write could not write stays buffered, in
 * order ahead of newer actions, for the next write; a flush that cannot write it throws RetriableError
 * (the engine skips that commit), and a waiting put that cannot throws RetriableError having dropped its
 * own records (the engine redelivers them after a backoff). Writes never overlap, so each document sees
 * its records in order, deletes included.
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
  /** Serialises puts and flushes. */
  #lock: Promise<unknown> = Promise.resolve();
  /** The write under way (it never rejects), or null: at most one runs at a time. */
  #writing: Promise<void> | null = null;
  #lingerTimer: NodeJS.Timeout | null = null;
  /** A non-retriable failure of a background write; thrown by the next put or flush. */
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
      if (this.#buffer.length <= running.settings.maxBufferedRecords) return;
      try {
        await this.#writeInTurn(running);
      } catch (error) {
        if (isRetriable(error)) this.#dropPut(put);
        throw error;
      }
    });
    if (this.#bufferIsDue(running.settings)) this.#startWrite(running);
    else this.#scheduleLinger();
  }

  async flush(_offsets: ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>): Promise<void> {
    const running = this.#require();
    await this.#exclusive(async () => {
      this.#throwFatal();
      await this.#writeInTurn(running);
      this.#throwFatal();
    });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
      await this.#lock.catch(() => {});
      await this.#writing;
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

  /**
   * Writes everything buffered now; what could not be written goes back to the front of the buffer, in
   * order, and the failure is thrown. Callers make sure no other write runs (see `#writing`).
   */
  async #writeBuffer(running: Running): Promise<void> {
    if (this.#buffer.length === 0) return;
    const taken = this.#buffer;
    this.#buffer = [];
    this.#bufferedBytes = 0;
    const actions = taken.map((entry) => entry.action);
    let result: Awaited<ReturnType<BulkWriter["write"]>>;
    try {
      await running.indices?.ensure(actions);
      result = await running.writer.write(actions);
    } catch (error) {
      this.#putBack(taken);
      throw error;
    }
    const left = new Set(result.unwritten);
    this.#putBack(taken.filter((entry) => left.has(entry.action)));
    if (result.error !== null) throw result.error;
  }

  /** Returns unwritten entries to the front of the buffer, ahead of what was buffered since. */
  #putBack(entries: Buffered[]): void {
    if (entries.length === 0) return;
    this.#replaceBuffer(entries.concat(this.#buffer));
    this.#bufferedSince = Date.now();
  }

  #replaceBuffer(entries: Buffered[]): void {
    this.#buffer = entries;
    this.#bufferedBytes = entries.reduce((sum, entry) => sum + entry.action.bytes, 0);
  }

  /** Starts a write of everything buffered as the one under way (`#writing`); callers check none runs. */
  #beginWrite(running: Running): Promise<void> {
    const write = this.#writeBuffer(running);
    const done = () => {
      this.#writing = null;
    };
    // Registered first, so that whoever awaits `write` finds the slot free again.
    this.#writing = write.then(done, done);
    return write;
  }

  /** Waits for the write under way, then writes everything buffered and throws what failed. */
  async #writeInTurn(running: Running): Promise<void> {
    while (this.#writing !== null) await this.#writing;
    await this.#beginWrite(running);
  }

  /**
   * Writes everything buffered in the background, unless a write is under way (it starts the next one
   * itself when it ends with a due buffer). A retriable failure leaves the actions buffered for the next
   * write, put or flush; any other becomes `#fatal`.
   */
  #startWrite(running: Running): void {
    if (this.#writing !== null || this.#buffer.length === 0 || this.#abort.signal.aborted) return;
    this.#beginWrite(running).then(
      () => {
        if (this.#bufferIsDue(running.settings)) this.#startWrite(running);
        else this.#scheduleLinger();
      },
      (error: unknown) => {
        if (isRetriable(error)) {
          this.#logger?.warn("writing buffered records failed; the next put or flush retries them", {
            error: (error as Error).message,
          });
        } else {
          this.#fatal ??= error;
        }
      },
    );
  }

  /** Forgets the buffered actions of one put, whose records the engine will hand over again. */
  #dropPut(put: number): void {
    this.#replaceBuffer(this.#buffer.filter((entry) => entry.put !== put));
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
      this.#startWrite(running);
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
