import type { Driver } from "neo4j-driver";
import {
  DataError,
  ErrorCode,
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
 */
export class Neo4jSinkTask implements SinkTask {
  readonly kind = "sink";
  #settings: Neo4jSinkSettings | undefined;
  #context: SinkTaskContext | undefined;
  #driver: Driver | undefined;
  #pending: PendingWrite[] = [];
  #stopping: Promise<void> | undefined;

  async start(config: ParsedConfig, context: SinkTaskContext): Promise<void> {
    const settings = neo4jSinkSettings(config);
    this.#settings = settings;
    this.#context = context;
    this.#driver = createDriver(settings.connection, USER_AGENT);
    await warnAboutUnindexedKeys(this.#driver, settings, context.logger);
  }

  /**
   * Buffers the records' writes and writes every full batch. On a throw, the buffer is as it was
   * before this call, so that the engine's redelivery of the same records neither loses nor repeats a
   * write out of order (a batch already written is written again: MERGE makes that harmless).
   */
  async put(records: readonly SinkRecord[]): Promise<void> {
    const { batchSize } = this.#started();
    const before = [...this.#pending];
    try {
      for (const record of records) {
        const write = await this.#toWrite(record);
        if (write !== undefined) this.#pending.push(write);
      }
      while (this.#pending.length >= batchSize) {
        await this.#write(this.#pending.slice(0, batchSize));
        this.#pending.splice(0, batchSize);
      }
    } catch (error) {
      this.#pending = before;
      throw error;
    }
  }

  /** Writes everything buffered; when it resolves, every record put so far is in Neo4j. */
  async flush(): Promise<void> {
    const { batchSize } = this.#started();
    while (this.#pending.length > 0) {
      await this.#write(this.#pending.slice(0, batchSize));
      this.#pending.splice(0, batchSize);
    }
  }

  async stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#pending = [];
      await this.#driver?.close();
    })();
    return this.#stopping;
  }

  #started(): Neo4jSinkSettings {
    if (this.#settings === undefined)
      throw new SluiceError(ErrorCode.INTERNAL, "the task was used before start");
    return this.#settings;
  }

  /** The record's write, or undefined when its data cannot be written and it was reported errant. */
  async #toWrite(record: SinkRecord): Promise<PendingWrite | undefined> {
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
      await this.#context?.reportErrant(record, error);
      return undefined;
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
