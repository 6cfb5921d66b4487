// Invariant: a record that does not fit redis.type, or whose command Redis refuses, is handed to
// reportErrant with the reason while the rest of the batch is written; with errors.tolerance=none the
// rejection fails the put; a Redis that cannot be reached makes put throw RetriableError.
import { afterAll, expect, test } from "vitest";
import { DataError, RetriableError } from "../../../runtime/api/index.ts";
import {
  dropKeys,
  putAndFlush,
  REDIS_URL,
  record,
  redis,
  sinkConfig,
  snapshot,
  startTask,
  uniqueTopic,
} from "./harness.ts";

const created: string[] = [];
function topic(prefix: string): string {
  const name = uniqueTopic(prefix);
  created.push(name);
  return name;
}

afterAll(async () => {
  await dropKeys(...created);
  redis.disconnect();
});

test("values that do not fit the type and records without a key are errant; the others are written", async () => {
  const hashes = topic("hashes");
  const scores = topic("scores");
  const hashTask = await startTask(sinkConfig());
  const hashRecords = [
    record(hashes, "1", "text"),
    record(hashes, null, { a: 1 }),
    record(hashes, "3", { a: 3 }),
  ];
  await putAndFlush(hashTask.task, hashRecords);
  await hashTask.task.stop();
  const zsetTask = await startTask(sinkConfig({ "redis.type": "ZSET" }));
  const zsetRecords = [
    record(scores, "a", { score: 1 }),
    record(scores, "b", "high"),
    record(scores, "c", 3),
  ];
  await putAndFlush(zsetTask.task, zsetRecords);
  await zsetTask.task.stop();
  expect(hashTask.errant.map((e) => [e.record, e.error.message])).toEqual([
    [hashRecords[0], 'HASH needs a struct or map as the record value; got "text"'],
    [hashRecords[1], "the record has no key; it names the Redis key or member"],
  ]);
  expect(zsetTask.errant.map((e) => [e.record, e.error.message])).toEqual([
    [zsetRecords[0], 'ZSET needs a number as the record value (the member\'s score); got {"score":1}'],
    [zsetRecords[1], 'ZSET needs a number as the record value (the member\'s score); got "high"'],
  ]);
  expect(hashTask.errant.every((e) => e.error instanceof DataError)).toBe(true);
  expect(await snapshot(hashes)).toEqual({ [`${hashes}:3`]: { a: "3" } });
  expect(await snapshot(scores)).toEqual({ [scores]: ["c", "3"] });
});

test("a command Redis refuses (a key of another type) is errant with Redis's reason; the batch flows on", async () => {
  const clash = topic("clash");
  const fine = topic("fine");
  await redis.set(clash, "a string, not a set");
  const { task, errant } = await startTask(sinkConfig({ "redis.type": "SET", "redis.multiexec": "true" }));
  const records = [record(fine, "a", 1), record(clash, "x", 1), record(fine, "b", 1)];
  await putAndFlush(task, records);
  await task.stop();
  expect(errant).toHaveLength(1);
  expect(errant[0]?.record).toBe(records[1]);
  expect(errant[0]?.error).toBeInstanceOf(DataError);
  expect(errant[0]?.error.message).toBe(
    `${REDIS_URL} refused the write of ${clash}/0/${records[1]?.kafkaOffset}: WRONGTYPE Operation against a key holding the wrong kind of value`,
  );
  expect(await snapshot(clash)).toEqual({ [clash]: "a string, not a set" });
  expect(await snapshot(fine)).toEqual({ [fine]: ["a", "b"] });
});

test("with errors.tolerance=none an errant record fails the put", async () => {
  const t = topic("intolerant");
  const { task } = await startTask(sinkConfig(), { tolerance: "none" });
  const failure = await task.put([record(t, "1", 42)]).catch((error: unknown) => error);
  await task.stop();
  expect((failure as Error).message).toBe(
    "Tolerance exceeded in error handler: HASH needs a struct or map as the record value; got 42",
  );
});

test("an unreachable Redis makes flush throw RetriableError, so the engine commits nothing", async () => {
  const { task } = await startTask(sinkConfig({ "redis.uri": "redis://127.0.0.1:1" }));
  await task.put([record(topic("nowhere"), "1", { a: 1 })]);
  const failure = await task.flush(new Map()).catch((error: unknown) => error);
  await task.stop();
  expect(failure).toBeInstanceOf(RetriableError);
  expect((failure as Error).message).toMatch(/^cannot write to redis:\/\/127\.0\.0\.1:1: /);
});
