// Invariant: the sink commits files named <topic>+<partition>+<start>+<end>.<ext> that hold exactly the
// records of that offset range, rolled by flush.size, by rotate.interval.ms and by the wall clock even when
// the topic is quiet, in directories the partitioner derives without ever leaving topics.dir.
import { afterAll, expect, test } from "vitest";
import {
  committedFiles,
  FakeClock,
  flushAndPreCommit,
  hdfs,
  listFiles,
  openTask,
  orderRecord,
  orderRecords,
  readJsonLines,
  sinkConfig,
  testRoot,
} from "./harness.ts";

const roots: string[] = [];
function root(name: string): string {
  const dir = testRoot(name);
  roots.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of roots) await hdfs.delete(dir, { recursive: true });
});

test("flush.size commits files named by topic, partition and offsets, holding the values as JSON lines", async () => {
  const dir = root("names");
  const { task, context } = await openTask(sinkConfig(dir, { "flush.size": "3" }), [
    { topic: "orders", partition: 0 },
    { topic: "orders", partition: 1 },
  ]);
  expect(context.seeks).toEqual([]);
  await task.put([...orderRecords("orders", 0, 0, 7), ...orderRecords("orders", 1, 0, 2)]);
  expect(await flushAndPreCommit(task)).toEqual({ "orders-0": 6 });
  expect(await committedFiles(dir)).toEqual([
    "orders/partition=0/orders+0+0+2.json",
    "orders/partition=0/orders+0+3+5.json",
  ]);
  expect(await readJsonLines(`${dir}/topics/orders/partition=0/orders+0+3+5.json`)).toEqual([
    { id: 3, region: "eu", amount: 0.75, note: null },
    { id: 4, region: "eu", amount: 1, note: null },
    { id: 5, region: "eu", amount: 1.25, note: null },
  ]);
  expect(context.commitRequests).toBe(2);
  await task.stop();
});

test("a quiet partition's open file is committed at the next wall-clock tick of rotate.schedule.interval.ms", async () => {
  const dir = root("quiet");
  const clock = new FakeClock(Date.UTC(2024, 0, 2, 3, 1, 0));
  const { task, context } = await openTask(
    sinkConfig(dir, { "rotate.schedule.interval.ms": "300000" }),
    [{ topic: "quiet", partition: 0 }],
    { clock },
  );
  await task.put(orderRecords("quiet", 0, 0, 2));
  expect(await flushAndPreCommit(task)).toEqual({});
  clock.advance(4 * 60_000 - 1);
  expect(context.commitRequests).toBe(0);
  clock.advance(1);
  expect(context.commitRequests).toBe(1);
  expect(await flushAndPreCommit(task)).toEqual({ "quiet-0": 2 });
  expect(await committedFiles(dir)).toEqual(["quiet/partition=0/quiet+0+0+1.json"]);

  clock.advance(300_000);
  expect(await flushAndPreCommit(task)).toEqual({ "quiet-0": 2 });
  expect(await committedFiles(dir)).toEqual(["quiet/partition=0/quiet+0+0+1.json"]);
  await task.put([orderRecord("quiet", 0, 2)]);
  clock.advance(300_000);
  expect(await flushAndPreCommit(task)).toEqual({ "quiet-0": 3 });
  expect(await committedFiles(dir)).toEqual([
    "quiet/partition=0/quiet+0+0+1.json",
    "quiet/partition=0/quiet+0+2+2.json",
  ]);
  await task.stop();
});

test("rotate.interval.ms starts a new file once a file's records span it by record time", async () => {
  const dir = root("interval");
  const t0 = Date.UTC(2024, 0, 2, 3, 0, 0);
  const { task } = await openTask(
    sinkConfig(dir, { "rotate.interval.ms": "60000", "timestamp.extractor": "Record" }),
    [{ topic: "ticks", partition: 0 }],
  );
  await task.put(
    [0, 30_000, 59_999, 60_000, 61_000].map((dt, i) => orderRecord("ticks", 0, i, { timestamp: t0 + dt })),
  );
  expect(await flushAndPreCommit(task)).toEqual({ "ticks-0": 3 });
  expect(await committedFiles(dir)).toEqual(["ticks/partition=0/ticks+0+0+2.json"]);
  await task.stop();
});

test("the time partitioner puts each record in the path.format directory of its bucket in the time zone", async () => {
  const dir = root("time");
  const { task } = await openTask(
    sinkConfig(dir, {
      "flush.size": "1",
      "partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
      "path.format": "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
      "partition.duration.ms": "3600000",
      timezone: "Asia/Kolkata",
      "timestamp.extractor": "Record",
    }),
    [{ topic: "events", partition: 2 }],
  );
  await task.put([
    orderRecord("events", 2, 10, { timestamp: Date.UTC(2024, 0, 2, 3, 4, 5) }),
    orderRecord("events", 2, 11, { timestamp: Date.UTC(2024, 0, 1, 20, 0, 0) }),
    orderRecord("events", 2, 12, { timestamp: Date.UTC(2024, 0, 1, 18, 29, 59) }),
  ]);
  await task.commitsSettled();
  expect(await committedFiles(dir)).toEqual([
    "events/year=2024/month=01/day=01/hour=23/events+2+12+12.json",
    "events/year=2024/month=01/day=02/hour=01/events+2+11+11.json",
    "events/year=2024/month=01/day=02/hour=08/events+2+10+10.json",
  ]);
  await task.stop();
});

test("the field partitioner encodes values so that none leaves topics.dir, and unplaceable records are errant", async () => {
  const dir = root("fields");
  const { task, context } = await openTask(
    sinkConfig(dir, { "flush.size": "1", "partitioner.class": "field", "partition.field.name": "region" }),
    [{ topic: "orders", partition: 0 }],
  );
  const regions = ["eu", "../../../../etc", "/abs", "a\\b:c", "..", "x\u0001y", "100%"];
  await task.put([
    ...regions.map((region, i) => orderRecord("orders", 0, i, { region })),
    orderRecord("orders", 0, 7, { value: { id: 7, amount: 1 } }),
    orderRecord("orders", 0, 8, { value: { id: 8, region: { nested: true } } }),
  ]);
  await task.commitsSettled();
  expect(await committedFiles(dir)).toEqual([
    "orders/region=%2E%2E/orders+0+4+4.json",
    "orders/region=%2Fabs/orders+0+2+2.json",
    "orders/region=..%2F..%2F..%2F..%2Fetc/orders+0+1+1.json",
    "orders/region=100%25/orders+0+6+6.json",
    "orders/region=a%5Cb%3Ac/orders+0+3+3.json",
    "orders/region=eu/orders+0+0+0.json",
    "orders/region=x%01y/orders+0+5+5.json",
  ]);
  expect((await hdfs.listStatus(dir)).map((e) => e.pathSuffix)).toEqual(["logs", "topics"]);
  expect(context.errant.map((e) => [Number(e.record.kafkaOffset), e.error.name])).toEqual([
    [7, "DataError"],
    [8, "DataError"],
  ]);
  expect(await flushAndPreCommit(task)).toEqual({ "orders-0": 7 });
  await task.stop();
});

test("tombstones are written nowhere yet move the committed position past them", async () => {
  const dir = root("tombstones");
  const { task } = await openTask(sinkConfig(dir, { "flush.size": "2" }), [{ topic: "t", partition: 0 }]);
  await task.put([orderRecord("t", 0, 0), orderRecord("t", 0, 1, { value: null }), orderRecord("t", 0, 2)]);
  expect(await flushAndPreCommit(task)).toEqual({ "t-0": 3 });
  expect(await committedFiles(dir)).toEqual(["t/partition=0/t+0+0+2.json"]);
  expect(await readJsonLines(`${dir}/topics/t/partition=0/t+0+0+2.json`)).toEqual([
    { id: 0, region: "eu", amount: 0, note: null },
    { id: 2, region: "eu", amount: 0.5, note: null },
  ]);
  await task.stop();
});

test("json.gz files are gzip-compressed JSON lines", async () => {
  const dir = root("gzip");
  const { task } = await openTask(sinkConfig(dir, { "flush.size": "500", "format.class": "json.gz" }), [
    { topic: "gz", partition: 0 },
  ]);
  await task.put(orderRecords("gz", 0, 0, 500));
  await task.commitsSettled();
  const [file] = await listFiles(`${dir}/topics/gz`);
  expect(file?.path).toBe("partition=0/gz+0+0+499.json.gz");
  expect(file?.length).toBeLessThan(500 * 40);
  const values = await readJsonLines(`${dir}/topics/gz/${file?.path}`);
  expect(values.map((v) => (v as { id: number }).id)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  await task.stop();
});

test("stop deletes the temp files of files not yet committed, and a second stop is harmless", async () => {
  const dir = root("stop");
  const { task } = await openTask(sinkConfig(dir, { "flush.size": "100000" }), [
    { topic: "big", partition: 0 },
  ]);
  // ~5 MiB of values: more than one chunk, so a temp file exists in HDFS before any commit.
  const pad = "x".repeat(5_000);
  await task.put(orderRecords("big", 0, 0, 1_100, { region: pad }));
  const temps = await listFiles(`${dir}/topics/+tmp/big`);
  expect(temps.map((f) => f.path)).toEqual([expect.stringMatching(/^big\+0\+[0-9a-f-]{36}\.tmp$/)]);
  expect(temps[0]?.length).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  await task.stop();
  await task.stop();
  expect(await listFiles(`${dir}/topics/+tmp/big`)).toEqual([]);
  expect(await committedFiles(dir)).toEqual([]);
});
