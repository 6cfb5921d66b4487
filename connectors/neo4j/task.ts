import type { Driver } from "neo4j-driver";
import {
  DataError,
  ErrorCode,
  isRetriable,
  type ParsedConfig,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
  SluiceError,
} from "../../runtime/api/index.ts";
import {
  createDriver,
  isRecordLevelError,
  neo4jCode,
  toSluiceError,
  writeInOneTransaction,
} from "./client.ts";
import {
  CYPHER_TOPIC_PREFIX,
  type Neo4jSinkSettings,
  neo4jSinkSettings,
  PATTERN_TOPIC_PREFIX,
} from "./config.ts";
import { warnAboutUnindexedKeys } from "./indexes.ts";
import { type PendingWrite, planStatements } from "./strategy.ts";

export const USER_AGENT = "sluice-neo4j-sink/0.1.0";

/**
 * Writes records to Neo4j with each topic's strategy. Records are turned into writes as they are put
 * and buffered; every `neo4j.batch-size` of them, and at flush, they are written in one transaction
 * (one UNWIND statement per run of same-kind writes of a topic). Writes are MERGEs on keys, so a
 * batch written twice leaves the graph as once. A record that cannot be written goes to
 * `reportErrant`, and the rest of its batch is still written.
 *
 * A full batch is written in the background: put starts its transaction and returns, so that the engine
 * polls and converts the next records while Neo4j runs it. One transaction runs at a time, so batches
 * apply in order; put waits for the one under way before it starts another. flush waits for it and
 * writes the rest, so the engine commits no offset of an unwritten record.
 *
 * A batch that fails goes back to the front of the buffer, ahead of newer writes. Until it is written,
 * every put first writes it again, waiting, and throws RetriableError without taking its own records
 * when that fails (the engine redelivers them after a backoff), and flush throws RetriableError (the
 * engine skips that commit). So an outage neither loses nor reorders a write, and the buffer stays near
 * one batch plus one put. A failure that cannot pass (errors.tolerance=none, a refused login) is thrown
 * by the next put or flush.
 */
export class Neo4jSinkTask implements SinkTask {
  readonly kind = "sink";
  #settings: Neo4jSinkSettings | undefined;
  #context: SinkTaskContext | undefined;
  #driver: Driver | undefined;
  #pending: PendingWrite[] = [];
  /** The transaction under way (it never rejects), or null. */
  #writing: Promise<void> | null = null;
  /** Why the last write failed, until a write succeeds; null while writes succeed. */
  #failure: unknown = null;
  #stopping: Promise<void> | undefined;

  async start(config: ParsedConfig, context: SinkTaskContext): Promise<void> {
    const settings = neo4jSinkSettings(config);
    this.#settings = settings;
    this.#context = context;
    this.#driver = createDriver(settings.connection, USER_AGENT);
    await warnAboutUnindexedKeys(this.#driver, settings, context.logger);
  }

  /**
   * Buffers the records' writes and starts writing each full batch, one at a time; returns while the
   * last one is under way. Throws RetriableError, having taken none of the records, while a batch that
   * failed before still cannot be written.
   */
  async put(records: readonly SinkRecord[]): Promise<void> {
    const { batchSize } = this.#started();
    await this.#settle();
    const before = this.#pending.length;
    try {
      for (const record of records) {
        const write = this.#toWrite(record);
        if (write instanceof DataError) await this.#context?.reportErrant(record, write);
        else this.#pending.push(write);
      }
    } catch (error) {
      this.#pending.length = before;
      throw error;
    }
    while (this.#pending.length >= batchSize) {
      await this.#writing;
      if (this.#failure !== null) return;
      this.#writing = this.#writeFront().then(
        () => {
          this.#writing = null;
        },
        (error: unknown) => {
          this.#writing = null;
          this.#context?.logger.warn("writing a batch to Neo4j failed; the next put or flush retries it", {
            error: error instanceof Error ? error.message : String(error),
          });
        },
      );
    }
  }

  /** Writes everything buffered; when it resolves, every record put so far is in Neo4j. */
  async flush(): Promise<void> {
    this.#started();
    await this.#settle();
    while (this.#pending.length > 0) await this.#writeFront();
  }

  async stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#pending = [];
      await this.#driver?.close();
      await this.#writing;
    })();
    return this.#stopping;
  }

  /**
   * Waits for the write under way. After a failed write, throws a failure that cannot pass; else
   * writes the batch that failed, or throws why it still fails.
   */
  async #settle(): Promise<void> {
    await this.#writing;
    if (this.#failure === null) return;
    if (!isRetriable(this.#failure)) throw this.#failure;
    await this.#writeFront();
  }

  /**
   * Writes the first batch of the buffer. On failure the batch goes back to the front of the buffer,
   * the failure is kept in `#failure` and thrown; on success `#failure` is cleared. Callers make sure
   * no other write runs.
   */
  async #writeFront(): Promise<void> {
    const batch = this.#pending.splice(0, this.#started().batchSize);
    try {
      await this.#write(batch);
      this.#failure = null;
    } catch (error) {
      if (this.#stopping === undefined) this.#pending = batch.concat(this.#pending);
      this.#failure = error;
      throw error;
    }
  }

  #started(): Neo4jSinkSettings {
    if (this.#settings === undefined)
      throw new SluiceError(ErrorCode.INTERNAL, "the task was used before start");
    return this.#settings;
  }

  /** The record's write, or why its data cannot be written. */
  #toWrite(record: SinkRecord): PendingWrite | DataError {
    const strategy = this.#started().strategies.get(record.topic);
    if (strategy === undefined) {
      throw new SluiceError(
        ErrorCode.CONFIG_INVALID,
        `a record of topic "${record.topic}" arrived, but the topic has no strategy: set ${CYPHER_TOPIC_PREFIX}${record.topic} or ${PATTERN_TOPIC_PREFIX}${record.topic}`,
      );
    }
    try {
      return { ...strategy.toWrite(record), record, strategy };
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      return error;
    }
  }

  /**
   * Writes `writes` in one transaction. When Neo4j refuses it for what a row holds, the two halves are
   * written apart, in order, down to the single record that is reported errant.
   */
  async #write(writes: readonly PendingWrite[]): Promise<void> {
    const settings = this.#started();
    try {
      await writeInOneTransaction(this.#driver as Driver, planStatements(writes), {
        database: settings.connection.database,
        timeoutMs: settings.batchTimeoutMs,
      });
    } catch (error) {
      if (!isRecordLevelError(error)) {
        throw toSluiceError(error, `writing a batch of ${writes.length} records to Neo4j`);
      }
      const [only] = writes;
      if (writes.length === 1 && only !== undefined) {
        const message = `Neo4j refused the record (${neo4jCode(error)}): ${(error as Error).message.split("\n")[0]}`;
        await this.#context?.reportErrant(only.record, new DataError(message, { cause: error }));
        return;
      }
      const middle = Math.ceil(writes.length / 2);
      await this.#write(writes.slice(0, middle));
      await this.#write(writes.slice(middle));
    }
  }
}
