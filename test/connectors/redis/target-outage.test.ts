// Invariant: while Redis cannot be reached, flush throws RetriableError (the engine commits nothing) and a
// put throws it once a failure is known (the engine redelivers that batch); pipelines that failed are sent
// again, with every one sent after them, in order, once Redis is back: nothing lost, no key left with an
// older write after a newer one.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, test } from "vitest";
import { isRetriable } from "../../../runtime/api/index.ts";
import { hostPort } from "../../../stack/env.ts";
import { TcpProxy } from "../../support/tcp-proxy.ts";
import {
  dropKeys,
  REDIS_URL,
  record,
  redis,
  sinkConfig,
  snapshot,
  startTask,
  uniqueTopic,
} from "./harness.ts";

const t = uniqueTopic("outage");
afterAll(async () => {
  await dropKeys(t);
  redis.disconnect();
});

/** Runs `step` until it does not throw RetriableError, as the engine does; how often it threw. */
async function untilAccepted(step: () => Promise<void>): Promise<number> {
  for (let failures = 0; ; failures++) {
    try {
      await step();
      return failures;
    } catch (error) {
      expect(isRetriable(error)).toBe(true);
      await sleep(100);
    }
  }
}

test("an outage of Redis loses nothing and keeps each key's order: failed pipelines are sent again, in order", async () => {
  const proxy = new TcpProxy(hostPort(REDIS_URL));
  const port = await proxy.start();
  const { task, errant } = await startTask(
    sinkConfig({ "redis.uri": `redis://127.0.0.1:${port}`, "redis.type": "SET" }),
  );
  const flush = () => task.flush(new Map());
  await task.put([record(t, "a", 1), record(t, "b", 1), record(t, "c", 1)]);
  await flush();
  await proxy.stop();
  // Sent while Redis is away: put returns, the pipelines fail in the background.
  await task.put([record(t, "d", 1), record(t, "a", null), record(t, "e", 1)]);
  await task.put([record(t, "e", null), record(t, "f", 1)]);
  const reopened = sleep(15_000).then(() => proxy.start());
  const flushFailures = await untilAccepted(flush);
  await reopened;
  await proxy.stop();
  const restarted = sleep(15_000).then(() => proxy.start());
  await task.put([record(t, "g", 1)]);
  await flush().catch(() => {});
  // A failure is known now: put throws until Redis is back, without sending its batch.
  const putFailures = await untilAccepted(() => task.put([record(t, "h", 1)]));
  await restarted;
  await untilAccepted(flush);
  await task.stop();
  await proxy.stop();
  expect(flushFailures).toBeGreaterThan(0);
  expect(putFailures).toBeGreaterThan(0);
  expect(errant).toEqual([]);
  expect(await snapshot(t)).toEqual({ [t]: ["b", "c", "d", "f", "g", "h"] });
});
