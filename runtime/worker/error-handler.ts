import { errorClassName, type Header, isRetriable, type Logger } from "../api/index.ts";
import { backoffDelay, sleep } from "./backoff.ts";

/** Where in the record's path an error happened, as Kafka Connect names the stages. */
export type Stage =
  | "KEY_CONVERTER"
  | "VALUE_CONVERTER"
  | "HEADER_CONVERTER"
  | "TRANSFORMATION"
  | "TASK_PUT"
  | "TASK_POLL"
  | "KAFKA_PRODUCE";

export interface ErrorHandlingConfig {
  /** errors.tolerance: none fails the task on the first bad record; all skips it (and dead-letters it). */
  tolerance: "none" | "all";
  /** errors.retry.timeout: how long retriable failures are retried, in ms; 0 none, -1 forever. */
  retryTimeoutMs: number;
  /** errors.retry.delay.max.ms */
  retryDelayMaxMs: number;
  /** errors.log.enable */
  logEnable: boolean;
  /** errors.log.include.messages */
  logIncludeMessages: boolean;
  /** errors.deadletterqueue.topic.name; empty for none. */
  dlqTopic: string;
  /** errors.deadletterqueue.context.headers.enable */
  dlqContextHeaders: boolean;
}

/** The raw bytes of the failed record as read from (or about to be written to) Kafka. */
export interface FailedRecord {
  topic: string;
  partition?: number;
  offset?: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Header[];
}

/** A record part without Kafka bytes (it failed before or after conversion) as JSON, bigints exact; null stays null. */
export function jsonBytes(value: unknown): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return new TextEncoder().encode(
    JSON.stringify(value, (_k, x) => (typeof x === "bigint" ? x.toString() : x)),
  );
}

/** Writes dead-letter records; backed by the Kafka producer. */
export interface DeadLetterWriter {
  write(
    topic: string,
    record: { key: Uint8Array | null; value: Uint8Array | null; headers: Header[] },
  ): Promise<void>;
}

/** Thrown when a failure is not tolerated: the task fails with it. */
export class ToleranceExceededError extends Error {
  constructor(stage: Stage, cause: unknown) {
    super(
      `Tolerance exceeded in error handler at stage ${stage}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.name = "ToleranceExceededError";
  }
}

const HEADER_PREFIX = "__connect.errors.";

/**
 * Runs one stage of one record with Kafka Connect's error semantics (RetryWithToleranceOperator):
 * retriable failures are retried with backoff until `retryTimeoutMs`; what still fails is, with
 * tolerance `all`, logged and dead-lettered and the record skipped (`execute` resolves undefined);
 * with tolerance `none`, `execute` rejects with ToleranceExceededError and the task fails.
 */
export class ErrorHandler {
  readonly #config: ErrorHandlingConfig;
  readonly #logger: Logger;
  readonly #dlq: DeadLetterWriter | undefined;
  readonly #identity: { connector: string; task: number };
  readonly #onError: (stage: Stage, deadLettered: boolean) => void;

  constructor(options: {
    config: ErrorHandlingConfig;
    logger: Logger;
    dlq?: DeadLetterWriter;
    identity: { connector: string; task: number };
    onError?: (stage: Stage, deadLettered: boolean) => void;
  }) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#dlq = options.dlq;
    this.#identity = options.identity;
    this.#onError = options.onError ?? (() => {});
  }

  get tolerateAll(): boolean {
    return this.#config.tolerance === "all";
  }

  /** Runs `operation`; see the class comment for what a failure does. */
  async execute<T>(
    stage: Stage,
    record: FailedRecord,
    operation: () => T | Promise<T>,
    signal?: AbortSignal,
  ): Promise<T | undefined> {
    try {
      return await operation();
    } catch (error) {
      return this.recover(stage, record, error, operation, signal);
    }
  }

  /**
   * What `execute` does once the first attempt of `operation` threw `error`: retries it while that is
   * allowed, else reports the failure. For callers that make the first attempt themselves (the sink
   * loop converts a whole batch before it may report anything) and hand over only what threw.
   */
  async recover<T>(
    stage: Stage,
    record: FailedRecord,
    error: unknown,
    operation: () => T | Promise<T>,
    signal?: AbortSignal,
  ): Promise<T | undefined> {
    const deadline =
      this.#config.retryTimeoutMs < 0 ? Number.POSITIVE_INFINITY : Date.now() + this.#config.retryTimeoutMs;
    let failure = error;
    for (let attempt = 0; ; attempt++) {
      const delay = backoffDelay(attempt, 300, this.#config.retryDelayMaxMs);
      if (!isRetriable(failure) || Date.now() + delay >= deadline || signal?.aborted) {
        await this.report(stage, record, failure);
        return undefined;
      }
      await sleep(delay, signal);
      try {
        return await operation();
      } catch (next) {
        failure = next;
      }
    }
  }

  /**
   * Handles a failure that already happened: logs it, dead-letters the record when tolerated, or
   * throws ToleranceExceededError when not.
   */
  async report(stage: Stage, record: FailedRecord, error: unknown): Promise<void> {
    const tolerated = this.tolerateAll;
    if (this.#config.logEnable || !tolerated) {
      this.#logger.error(
        `error at stage ${stage} for ${record.topic}/${record.partition ?? "-"}/${record.offset ?? "-"}`,
        {
          stage,
          error: (error as Error)?.message ?? String(error),
          ...(this.#config.logIncludeMessages
            ? { key: decode(record.key), value: decode(record.value) }
            : {}),
        },
      );
    }
    if (!tolerated) {
      this.#onError(stage, false);
      throw new ToleranceExceededError(stage, error);
    }
    const deadLettered = this.#dlq !== undefined && this.#config.dlqTopic !== "";
    if (deadLettered) {
      const headers = this.#config.dlqContextHeaders
        ? [...record.headers, ...this.#contextHeaders(stage, record, error)]
        : record.headers;
      await this.#dlq?.write(this.#config.dlqTopic, { key: record.key, value: record.value, headers });
    }
    this.#onError(stage, deadLettered);
  }

  #contextHeaders(stage: Stage, record: FailedRecord, error: unknown): Header[] {
    const err = error instanceof Error ? error : new Error(String(error));
    const headers: Array<[string, string]> = [
      ["topic", record.topic],
      ["partition", String(record.partition ?? "")],
      ["offset", String(record.offset ?? "")],
      ["connector.name", this.#identity.connector],
      ["task.id", String(this.#identity.task)],
      ["stage", stage],
      ["class.name", stage],
      ["exception.class.name", errorClassName(err)],
      ["exception.message", err.message],
      ["exception.stacktrace", err.stack ?? err.message],
    ];
    return headers.map(([key, value]) => ({ key: HEADER_PREFIX + key, value }));
  }
}

function decode(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString("utf8");
}
