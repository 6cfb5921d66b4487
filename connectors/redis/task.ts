import type { Redis } from "ioredis";
import {
  DataError,
  ErrorCode,
  type ParsedConfig,
  RetriableError,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
  SluiceError,
  type TopicPartition,
} from "../../runtime/api/index.ts";
import { connectForTask, describeUri, hasRedisJson, MISSING_REDIS_JSON } from "./client.ts";
import { type Command, commandsOf, SCRIPTS } from "./commands.ts";
import { type RedisSettings, redisSettings, renderKeyspace } from "./config.ts";

interface RecordCommands {
  readonly record: SinkRecord;
  readonly commands: readonly Command[];
}

interface Running {
  readonly settings: RedisSettings;
  readonly redis: Redis;
  readonly context: SinkTaskContext;
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

/** Redis's answer to EVALSHA of a script it does not hold. */
function isNoScript(error: unknown): boolean {
  return isReplyError(error) && (error as Error).message.startsWith("NOSCRIPT");
}

function position(record: SinkRecord): string {
  return `${record.topic}/${record.kafkaPartition}/${record.kafkaOffset}`;
}

/**
 * Writes each put straight to Redis, nothing buffered: one pipeline per redis.batch.size records (in
 * MULTI/EXEC with redis.multiexec), commands in record order, so each key sees its writes and deletes in
 * order. Every command is idempotent (SET, a hash replaced whole, SADD/SREM, ZADD/ZREM, a list member
 * moved to the tail, a stream append skipped when its Kafka position is already in), so a redelivered
 * batch leaves Redis as it was.
 *
 * A connection failure throws RetriableError and the engine redelivers the whole batch; a command Redis
 * refuses (a key of another type, say) or a record that does not fit redis.type is reported through
 * `context.reportErrant` and the rest of the batch flows on.
 */
export class RedisSinkTask implements SinkTask {
  readonly kind = "sink";
  #running: Running | null = null;
  #stopping: Promise<void> | null = null;
  /** Keyspaces by topic, rendered once. */
  readonly #keyspaces = new Map<string, string>();

  async start(config: ParsedConfig, context: SinkTaskContext): Promise<void> {
    const settings = redisSettings(config);
    const redis = connectForTask(settings.uri);
    redis.on("error", (error: Error) =>
      context.logger.debug("redis connection error", { error: error.message }),
    );
    this.#running = { settings, redis, context };
    if (settings.type === "JSON") {
      try {
        await redis.connect();
      } catch (error) {
        throw new RetriableError(`cannot reach ${describeUri(settings.uri)}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (!(await hasRedisJson(redis))) throw new SluiceError(ErrorCode.CONFIG_INVALID, MISSING_REDIS_JSON);
    }
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    const running = this.#require();
    const writes: RecordCommands[] = [];
    for (const record of records) {
      try {
        const commands = commandsOf(record, running.settings, this.#keyspaceOf(record.topic, running));
        if (commands.length > 0) writes.push({ record, commands });
      } catch (error) {
        if (!(error instanceof DataError)) throw error;
        await running.context.reportErrant(record, error);
      }
    }
    for (let start = 0; start < writes.length; start += running.settings.batchSize) {
      await this.#execute(running, writes.slice(start, start + running.settings.batchSize));
    }
  }

  /** Every put is written before it resolves: nothing to do. */
  async flush(_offsets: ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>): Promise<void> {}

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const redis = this.#running?.redis;
      this.#running = null;
      if (redis === undefined) return;
      await redis.quit().catch(() => redis.disconnect());
    })();
    return this.#stopping;
  }

  /** The keyspace of the records of `topic`. */
  #keyspaceOf(topic: string, running: Running): string {
    let keyspace = this.#keyspaces.get(topic);
    if (keyspace === undefined) {
      keyspace = renderKeyspace(running.settings.keyspace, topic);
      this.#keyspaces.set(topic, keyspace);
    }
    return keyspace;
  }

  #require(): Running {
    if (this.#running === null)
      throw new SluiceError(ErrorCode.INTERNAL, "the task is not started (or already stopped)");
    return this.#running;
  }

  /** Sends the writes in one pipeline (MULTI/EXEC with redis.multiexec) and returns each command's answer. */
  async #send(
    running: Running,
    writes: readonly RecordCommands[],
  ): Promise<{ results: Array<[error: Error | null, result: unknown]> | null; owners: SinkRecord[] }> {
    const where = describeUri(running.settings.uri);
    const pipeline = running.settings.multiExec ? running.redis.multi() : running.redis.pipeline();
    const owners: SinkRecord[] = [];
    for (const { record, commands } of writes) {
      for (const [name, ...args] of commands) {
        pipeline.call(name, ...args);
        owners.push(record);
      }
    }
    let results: Array<[error: Error | null, result: unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      if (isReplyError(error)) {
        throw new SluiceError(
          ErrorCode.EXTERNAL_FATAL,
          `${where} discarded the transaction: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      throw new RetriableError(`cannot write to ${where}: ${(error as Error).message}`, { cause: error });
    }
    return { results, owners };
  }

  /** Loads every script the commands run by SHA1 (see `Script`). */
  async #loadScripts(running: Running): Promise<void> {
    try {
      for (const script of SCRIPTS) await running.redis.script("LOAD", script.text);
    } catch (error) {
      throw new RetriableError(
        `cannot load the sink's scripts into ${describeUri(running.settings.uri)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async #execute(running: Running, writes: readonly RecordCommands[]): Promise<void> {
    const where = describeUri(running.settings.uri);
    let { results, owners } = await this.#send(running, writes);
    if (results?.some(([error]) => isNoScript(error))) {
      // Redis lost the scripts (a restart, SCRIPT FLUSH): load them and send the batch again; every
      // command is idempotent, so what did run runs again harmlessly.
      await this.#loadScripts(running);
      ({ results, owners } = await this.#send(running, writes));
    }
    if (results === null) throw new RetriableError(`${where} aborted the transaction`);
    const refused = new Map<SinkRecord, Error>();
    for (const [index, [error]] of results.entries()) {
      if (error === null) continue;
      if (!isReplyError(error))
        throw new RetriableError(`cannot write to ${where}: ${error.message}`, { cause: error });
      const record = owners[index] as SinkRecord;
      if (!refused.has(record)) refused.set(record, error);
    }
    for (const [record, error] of refused) {
      await running.context.reportErrant(
        record,
        new DataError(`${where} refused the write of ${position(record)}: ${error.message}`, {
          cause: error,
        }),
      );
    }
  }
}
