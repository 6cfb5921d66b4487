// Invariant: while OpenSearch cannot be reached, flush throws RetriableError (the engine commits no
// offsets), and a put that would buffer more than max.buffered.records throws it too, having kept the
// records of earlier puts; redelivering the failed batch (as the engine does) once OpenSearch is back
// ends with every record written, in order — nothing lost, nothing out of order.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, test } from "vitest";
import { isRetriable, type SinkRecord } from "../../../runtime/api/index.ts";
import { hostPort } from "../../../stack/env.ts";
import { TcpProxy } from "../../support/tcp-proxy.ts";
import {
  documents,
  dropIndices,
  OPENSEARCH_URL,
  record,
  sinkConfig,
  startTask,
  uniqueTopic,
} from "./harness.ts";

const t = uniqueTopic("outage");
afterAll(async () => {
  await dropIndices(t);
});

/** Puts the batch until it is accepted, as the engine redelivers after a RetriableError; the attempts. */
async function deliver(put: (records: readonly SinkRecord[]) => Promise<void>, batch: readonly SinkRecord[]) {
  for (let failures = 0; ; failures++) {
    try {
      await put(batch);
      return failures;
    } catch (error) {
      if (!isRetriable(error)) throw error;
      await sleep(100);
    }
  }
}

test("an outage of OpenSearch loses nothing: failed batches are redelivered, buffered ones kept", async () => {
  const proxy = new TcpProxy(hostPort(OPENSEARCH_URL));
  const port = await proxy.start();
  const { task, errant } = await startTask(
    sinkConfig({
      "connection.url": `http://127.0.0.1:${port}`,
      "batch.size": "30",
      "linger.ms": "600000",
      "max.retries": "1",
      "retry.backoff.ms": "10",
      "max.buffered.records": "40",
    }),
  );
  const put = (records: readonly SinkRecord[]) => task.put(records);
  const batch = (from: number, to: number, version: number) => {
    const records: SinkRecord[] = [];
    for (let i = from; i < to; i++) records.push(record(t, `k${i}`, { i, version }));
    return records;
  };
  await deliver(put, batch(0, 40, 1));
  await task.flush(new Map());

  await deliver(put, [...batch(0, 20, 2), record(t, "k39", null)]);
  await proxy.stop();
  const flushed = await task.flush(new Map()).catch((error: unknown) => error);
  expect(isRetriable(flushed)).toBe(true);
  const duringOutage = deliver(put, [
    ...batch(10, 30, 3),
    record(t, "k0", null),
    record(t, "k5", { i: 5, version: 4 }),
  ]);
  await sleep(20_000);
  await proxy.start();
  expect(await duringOutage).toBeGreaterThan(0);
  await task.flush(new Map());
  await task.stop();
  await proxy.stop();

  const expected: Record<string, unknown> = {};
  for (let i = 1; i < 39; i++) expected[`k${i}`] = { i, version: i < 10 ? 2 : i < 30 ? 3 : 1 };
  expected["k5"] = { i: 5, version: 4 };
  expect(errant).toEqual([]);
  expect(await documents(t)).toEqual(expected);
});
