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

/** A pipeline failed because Redis did not hold a script the sink runs (see `RedisSinkTask.#check`). */
const NO_SCRIPT = Symbol("NOSCRIPT");

/** Redis's answer to EVALSHA of a script it does not hold. */
function isNoScript(error: unknown): boolean {
  return isReplyError(error) && (error as Error).message.startsWith("NOSCRIPT");
}

function position(record: SinkRecord): string {
  return `${record.topic}/${record.kafkaPartition}/${record.kafkaOffset}`;
}

/** Pipelines a task keeps sent but not yet answered: a put returns once its own are sent. */
const MAX_PIPELINES_IN_FLIGHT = 2;

/** What Redis answered a pipeline, each command's error or result; null when MULTI/EXEC was aborted. */
type Answers = Array<[error: Error | null, result: unknown]> | null;

/** A pipeline sent and not yet checked: its writes, and its answers or why it got none. */
interface InFlight {
  readonly writes: readonly RecordCommands[];
  readonly answered: Promise<{ answers: Answers } | { error: unknown }>;
}

/**
 * Writes each put to Redis in pipelines of redis.batch.size records (in MULTI/EXEC with
 * redis.multiexec), commands in record order through one connection, so each key sees its writes and
 * deletes in order. Every command is idempotent (SET, a hash replaced whole, SADD/SREM, ZADD/ZREM, a
 * list member moved to the tail, a stream append skipped when its Kafka position is already in), so
 * writing a record again leaves Redis as it was.
 *
 * put returns once its pipelines are sent, with up to MAX_PIPELINES_IN_FLIGHT not yet answered, so that
 * Redis works on one while the engine prepares the next; answers are checked in the order sent, by the
 * next put or by flush, which waits for all of them before the engine commits offsets.
 *
 * A pipeline that failed (connection lost; Redis without the scripts) is kept, together with every
 * pipeline sent after it, and all of them are sent again, in order and before anything newer, by the
 * next put or flush: so no key ends with an older write after a newer one. While that fails, put and
 * flush throw RetriableError; the engine then redelivers put's batch (not sent yet) and skips the offset
 * commit. A command Redis refuses (a key of another type, say) or a record that does not fit redis.type
 * is reported through `context.reportErrant` and the rest flows on.
 */
export class RedisSinkTask implements SinkTask {
  readonly kind = "sink";
  #running: Running | null = null;
  #stopping: Promise<void> | null = null;
  /** Keyspaces by topic, rendered once. */
  readonly #keyspaces = new Map<string, string>();
  /** Pipelines sent and not yet checked, oldest first. */
  #inFlight: InFlight[] = [];
  /** Writes of failed pipelines (and of those sent after them), to send again before anything newer. */
  #unsent: Array<readonly RecordCommands[]> = [];

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
    await this.#sendAgain(running);
    for (let start = 0; start < writes.length; start += running.settings.batchSize) {
      await this.#check(running, MAX_PIPELINES_IN_FLIGHT - 1);
      const chunk = writes.slice(start, start + running.settings.batchSize);
      this.#inFlight.push({
        writes: chunk,
        answered: this.#send(running, chunk).then(
          (answers) => ({ answers }),
          (error: unknown) => ({ error }),
        ),
      });
    }
  }

  /** Waits for every pipeline's answers and sends again what failed; throws while that fails. */
  async flush(_offsets: ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>): Promise<void> {
    const running = this.#require();
    await this.#check(running, 0);
    await this.#sendAgain(running);
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const redis = this.#running?.redis;
      await Promise.all(this.#inFlight.map((sent) => sent.answered));
      this.#inFlight = [];
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

  /**
   * Sends the writes in one pipeline (MULTI/EXEC with redis.multiexec) and returns Redis's answers.
   * Throws RetriableError when the connection fails, EXTERNAL_FATAL when Redis discarded a transaction.
   */
  async #send(running: Running, writes: readonly RecordCommands[]): Promise<Answers> {
    const where = describeUri(running.settings.uri);
    const pipeline = running.settings.multiExec ? running.redis.multi() : running.redis.pipeline();
    for (const { commands } of writes) {
      for (const [name, ...args] of commands) pipeline.call(name, ...args);
    }
    try {
      return await pipeline.exec();
    } catch (error) {
      if (isReplyError(error)) {
        throw new SluiceError(
          ErrorCode.EXTERNAL_FATAL,
          `${where} discarded the transaction: ${(error as Error).message}`,
          { cause: error },
        );
      }
      throw new RetriableError(`cannot write to ${where}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Checks the answers of the oldest pipelines until at most `keep` are in flight. When one failed, it
   * and every one sent after it become `#unsent`, to be sent again in order: at once when Redis only
   * lacked the scripts (they are loaded first), else by the next put or flush, and the failure is thrown.
   */
  async #check(running: Running, keep: number): Promise<void> {
    while (this.#inFlight.length > keep) {
      const oldest = this.#inFlight[0] as InFlight;
      const answered = await oldest.answered;
      const failure = "error" in answered ? answered.error : this.#failureIn(running, answered.answers);
      if (failure === null) {
        this.#inFlight.shift();
        await this.#reportRefused(running, oldest.writes, (answered as { answers: Answers }).answers);
        continue;
      }
      const later = this.#inFlight;
      this.#inFlight = [];
      await Promise.all(later.map((sent) => sent.answered));
      this.#unsent.push(...later.map((sent) => sent.writes));
      if (failure === NO_SCRIPT) {
        await this.#loadScripts(running);
        await this.#sendAgain(running);
        continue;
      }
      throw failure;
    }
  }

  /** Sends `#unsent` again, one pipeline at a time, in order; throws at the first that fails. */
  async #sendAgain(running: Running): Promise<void> {
    while (this.#unsent.length > 0) {
      await this.#check(running, 0);
      const writes = this.#unsent[0] as readonly RecordCommands[];
      let answers = await this.#send(running, writes);
      if (this.#failureIn(running, answers) === NO_SCRIPT) {
        await this.#loadScripts(running);
        answers = await this.#send(running, writes);
      }
      const failure = this.#failureIn(running, answers);
      if (failure !== null)
        throw failure === NO_SCRIPT ? new RetriableError("Redis lost the sink's scripts again") : failure;
      this.#unsent.shift();
      await this.#reportRefused(running, writes, answers);
    }
  }

  /** Why a pipeline's answers mean it must be sent again: NO_SCRIPT, a RetriableError, or null when none. */
  #failureIn(running: Running, answers: Answers): RetriableError | typeof NO_SCRIPT | null {
    const where = describeUri(running.settings.uri);
    if (answers === null) return new RetriableError(`${where} aborted the transaction`);
    for (const [error] of answers) {
      if (error === null) continue;
      if (isNoScript(error)) return NO_SCRIPT;
      if (!isReplyError(error))
        return new RetriableError(`cannot write to ${where}: ${error.message}`, { cause: error });
    }
    return null;
  }

  /** Reports the records whose commands Redis refused (a reply error) as errant, each once. */
  async #reportRefused(running: Running, writes: readonly RecordCommands[], answers: Answers): Promise<void> {
    if (answers === null || answers.every(([error]) => error === null)) return;
    const where = describeUri(running.settings.uri);
    const refused = new Map<SinkRecord, Error>();
    let index = 0;
    for (const { record, commands } of writes) {
      for (let i = 0; i < commands.length; i++, index++) {
        const error = answers[index]?.[0];
        if (error && !refused.has(record)) refused.set(record, error);
      }
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
}
