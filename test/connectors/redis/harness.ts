import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { redisPlugin } from "../../../connectors/redis/plugin.ts";
import { RedisSinkTask } from "../../../connectors/redis/task.ts";
import type { Logger, SinkRecord, SinkTaskContext } from "../../../runtime/api/index.ts";
import { loadStackEnv } from "../../../stack/env.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";

/** Drives a RedisSinkTask through the plugin contract against the stack's real Redis. */

export const REDIS_URL = loadStackEnv().redisUrl;

/** A client for checking what the sink wrote. */
export const redis = new Redis(REDIS_URL);

/** A topic (and so a keyspace) no other test uses, e.g. `customers-3fa9c1d2`. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** Deletes every key that starts with one of the prefixes. */
export async function dropKeys(...prefixes: string[]): Promise<void> {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
}

/** A raw sink config: the stack's Redis, plus `extra`. */
export function sinkConfig(extra: Record<string, string> = {}): Record<string, string> {
  return { "redis.uri": REDIS_URL, ...extra };
}

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Errant {
  record: SinkRecord;
  error: Error;
}

/**
 * A started task and the records it reported errant. `tolerance: "none"` makes reportErrant reject, as
 * the engine does with errors.tolerance=none.
 */
export async function startTask(raw: Record<string, string>, options: { tolerance?: "all" | "none" } = {}) {
  const errant: Errant[] = [];
  const context: SinkTaskContext = {
    connectorName: "redis-test",
    metrics: testTaskMetrics("sink").metrics,
    taskId: 0,
    logger: silent,
    assignment: () => [],
    seek() {},
    pause() {},
    resume() {},
    requestCommit() {},
    reportErrant: async (record, error) => {
      errant.push({ record, error });
      if (options.tolerance === "none")
        throw new Error(`Tolerance exceeded in error handler: ${error.message}`);
    },
  };
  const task = new RedisSinkTask();
  await task.start(redisPlugin.config.parse(raw), context);
  return { task, errant };
}

let nextOffset = 0n;

/** A sink record of `topic` at the next offset of `partition`; `value` null makes a tombstone. */
export function record(topic: string, key: unknown, value: unknown, partition = 0): SinkRecord {
  nextOffset += 1n;
  return {
    topic,
    kafkaPartition: partition,
    kafkaOffset: nextOffset,
    key,
    value,
    headers: [],
    timestamp: 1_700_000_000_000,
  };
}

/** Puts the records as one batch and flushes, as the engine does before committing offsets. */
export async function putAndFlush(task: RedisSinkTask, records: readonly SinkRecord[]): Promise<void> {
  await task.put(records);
  await task.flush(new Map());
}

/** Every key under `prefix` with its type and content, for comparing whole states. */
export async function snapshot(prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys(`${prefix}*`)).sort()) {
    const type = await redis.type(key);
    if (type === "string") out[key] = await redis.get(key);
    else if (type === "hash") out[key] = await redis.hgetall(key);
    else if (type === "set") out[key] = (await redis.smembers(key)).sort();
    else if (type === "zset") out[key] = await redis.zrange(key, "0", "-1", "WITHSCORES");
    else if (type === "list") out[key] = await redis.lrange(key, 0, -1);
    else if (type === "stream") out[key] = (await redis.xrange(key, "-", "+")).map(([, fields]) => fields);
    else out[key] = type;
  }
  return out;
}
