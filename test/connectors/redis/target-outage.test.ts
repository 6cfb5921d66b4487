// Invariant: while Redis cannot be reached, put throws RetriableError; redelivering the failed batch (as the
// engine does) once Redis is back ends with every record written, in order — nothing lost.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, test } from "vitest";
import { isRetriable, type SinkRecord } from "../../../runtime/api/index.ts";
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

test("an outage of Redis loses nothing: the failed batch is redelivered and written once Redis is back", async () => {
  const proxy = new TcpProxy(hostPort(REDIS_URL));
  const port = await proxy.start();
  const { task, errant } = await startTask(
    sinkConfig({ "redis.uri": `redis://127.0.0.1:${port}`, "redis.type": "SET" }),
  );
  await task.put([record(t, "a", 1), record(t, "b", 1), record(t, "c", 1)]);
  await proxy.stop();
  const batch: SinkRecord[] = [record(t, "d", 1), record(t, "a", null), record(t, "e", 1)];
  let failures = 0;
  const reopened = sleep(20_000).then(() => proxy.start());
  for (;;) {
    try {
      await task.put(batch);
      break;
    } catch (error) {
      expect(isRetriable(error)).toBe(true);
      failures += 1;
      await sleep(100);
    }
  }
  await reopened;
  await task.stop();
  await proxy.stop();
  expect(failures).toBeGreaterThan(0);
  expect(errant).toEqual([]);
  expect(await snapshot(t)).toEqual({ [t]: ["b", "c", "d", "e"] });
});
