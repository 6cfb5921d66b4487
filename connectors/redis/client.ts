import { Redis } from "ioredis";

/** Where a Redis URI points, without its credentials, for messages. */
export function describeUri(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return "the configured server";
  }
}

/**
 * A connection for a task: commands wait out a short outage in the offline queue (one reconnect
 * attempt), then fail, so that put can throw RetriableError and the engine redelivers the batch.
 * Commands that were sent but not answered are not resent after a reconnect: the redelivered batch
 * repeats them, in order.
 */
export function connectForTask(uri: string): Redis {
  return new Redis(uri, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectionName: "sluice-redis-sink",
  });
}

/** True when the server has the RedisJSON module (its JSON.SET command). */
export async function hasRedisJson(redis: Redis): Promise<boolean> {
  const [info] = (await redis.call("COMMAND", "INFO", "JSON.SET")) as unknown[];
  return Array.isArray(info);
}

export const MISSING_REDIS_JSON =
  "redis.type=JSON needs the RedisJSON module, and the server has no JSON.SET command; load RedisJSON (Redis Stack, Redis 8) or choose STRING, which stores the value as JSON text";

/** `work`, or a rejection as soon as `signal` aborts. */
function beforeAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("no answer before the validation deadline"));
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Connects once, without retrying, within `signal`; checks that the server answers PING and, for
 * redis.type=JSON, has RedisJSON. Returns the problems by config field.
 */
export async function probeServer(
  uri: string,
  needsJson: boolean,
  signal: AbortSignal,
): Promise<Array<{ field: string; message: string }>> {
  const redis = new Redis(uri, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 10_000,
  });
  // The connection's own error (ECONNREFUSED, WRONGPASS) says more than the command's "Connection is closed".
  let connectionError: Error | undefined;
  redis.on("error", (error: Error) => {
    connectionError ??= error;
  });
  try {
    await beforeAbort(
      (async () => {
        await redis.connect();
        await redis.ping();
      })(),
      signal,
    );
    if (needsJson && !(await beforeAbort(hasRedisJson(redis), signal))) {
      return [{ field: "redis.type", message: MISSING_REDIS_JSON }];
    }
    return [];
  } catch (error) {
    const message = (connectionError ?? (error as Error)).message;
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message)) {
      return [{ field: "redis.uri", message: `${describeUri(uri)} refused the credentials: ${message}` }];
    }
    return [{ field: "redis.uri", message: `cannot reach ${describeUri(uri)}: ${message}` }];
  } finally {
    redis.disconnect();
  }
}
