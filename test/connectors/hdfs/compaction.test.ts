// Invariant: compaction turns the small files of closed partitions into files of at most the target size
// that hold exactly the same records in offset order under the merged offset range; a crash at any step
// followed by a rerun leaves every record exactly once; BullMQ runs it on its cron and on demand.
import { Queue } from "bullmq";
import { afterAll, expect, test } from "vitest";
import {
  CompactionJobs,
  compact,
  compactionQueueName,
  type MergeStep,
} from "../../../connectors/hdfs/compaction.ts";
import { hdfsPlugin } from "../../../connectors/hdfs/plugin.ts";
import { ErrorCode } from "../../../runtime/api/index.ts";
import {
  committedFiles,
  committedIds,
  hdfs,
  listFiles,
  multiset,
  orderRecord,
  range,
  STACK,
  settingsOf,
  silent,
  sinkConfig,
  testRoot,
  writeCommittedFiles,
  writeThroughSink,
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

const HOUR = 3_600_000;
const T3 = Date.UTC(2024, 0, 2, 3, 10, 0);
const NOW = Date.UTC(2024, 0, 2, 5, 30, 0);

function hourly(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return sinkConfig(dir, {
    "partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner",
    "timestamp.extractor": "Record",
    ...extra,
  });
}

test("the small files of a closed hour merge into one with identical bytes; the current hour and single files stay", async () => {
  const dir = root("merge");
  const raw = hourly(dir);
  await writeThroughSink(
    raw,
    [
      ...range(0, 9).map((i) => orderRecord("orders", 0, i, { timestamp: T3 + i })),
      ...range(9, 3).map((i) => orderRecord("orders", 0, i, { timestamp: NOW })),
    ],
    3,
  );
  await writeThroughSink(
    raw,
    range(0, 3).map((i) => orderRecord("orders", 1, i, { timestamp: T3 })),
    3,
  );
  const hour3 = `${dir}/topics/orders/year=2024/month=01/day=02/hour=03`;
  const sources = ["orders+0+0+2.json", "orders+0+3+5.json", "orders+0+6+8.json"];
  const before = Buffer.concat(await Promise.all(sources.map((name) => hdfs.open(`${hour3}/${name}`))));

  const report = await compact(settingsOf(raw), { now: NOW });
  expect(report).toMatchObject({
    resumed: 0,
    filesIn: 3,
    filesOut: 1,
    bytesIn: before.length,
    bytesOut: before.length,
  });
  expect(report.merges).toEqual([{ directory: hour3, sources, target: "orders+0+0+8.json" }]);
  expect(await committedFiles(dir)).toEqual([
    "orders/year=2024/month=01/day=02/hour=03/orders+0+0+8.json",
    "orders/year=2024/month=01/day=02/hour=03/orders+1+0+2.json",
    "orders/year=2024/month=01/day=02/hour=05/orders+0+9+11.json",
  ]);
  expect(Buffer.from(await hdfs.open(`${hour3}/orders+0+0+8.json`)).equals(before)).toBe(true);

  const again = await compact(settingsOf(raw), { now: NOW });
  expect(again).toMatchObject({ resumed: 0, filesIn: 0, filesOut: 0, merges: [] });

  const later = await compact(settingsOf(raw), { now: NOW + HOUR });
  expect(later.merges).toEqual([]);
  expect((await committedIds(dir)).length).toBe(15);
});

test("compaction.target.size bounds each merged file; files already that large are left alone", async () => {
  const dir = root("target");
  const raw = sinkConfig(dir);
  await writeThroughSink(
    raw,
    range(0, 12).map((i) => orderRecord("orders", 0, i)),
    2,
  );
  const sizes = (await listFiles(`${dir}/topics/orders/partition=0`)).map((f) => f.length);
  expect(sizes.length).toBe(6);
  const size = Math.max(...sizes);
  const report = await compact(settingsOf({ ...raw, "compaction.target.size": String(2 * size + 1) }));
  expect(report.merges.map((m) => m.target)).toEqual([
    "orders+0+0+3.json",
    "orders+0+4+7.json",
    "orders+0+8+11.json",
  ]);
  const bigger = await compact(settingsOf({ ...raw, "compaction.target.size": String(2 * size + 1) }));
  expect(bigger.merges).toEqual([]);
  expect(multiset(await committedIds(dir)).ids).toEqual(range(0, 12));
});

test("a merge takes no more sources than one CONCAT request can name; the rest merge separately", async () => {
  const dir = root("many");
  const raw = sinkConfig(dir);
  // 450 one-record files: their paths, URL-encoded, are about 45 KiB, more than one merge may name.
  await writeCommittedFiles(
    dir,
    "json",
    range(0, 450).map((i) => orderRecord("orders", 0, i)),
    1,
  );
  const report = await compact(settingsOf(raw));
  expect(report.filesIn).toBe(450);
  expect(report.merges.length).toBe(2);
  expect(report.merges.map((m) => m.sources.length).reduce((a, b) => a + b)).toBe(450);
  expect(multiset(await committedIds(dir))).toEqual({ ids: range(0, 450), duplicates: [] });
}, 120_000);

test("Avro and Parquet files merge into one readable file with the same records in order", async () => {
  for (const format of ["avro", "parquet"]) {
    const dir = root(`merge-${format}`);
    const raw = sinkConfig(dir, { "format.class": format });
    await writeThroughSink(
      raw,
      range(0, 9).map((i) => orderRecord("orders", 0, i, { schema: true })),
      3,
    );
    const report = await compact(settingsOf(raw));
    expect(report).toMatchObject({ filesIn: 3, filesOut: 1 });
    expect(await committedFiles(dir)).toEqual([`orders/partition=0/orders+0+0+8.${format}`]);
    expect((await committedIds(dir)).map((x) => x.id)).toEqual(range(0, 9));
  }
});

const STEPS: Array<[string, MergeStep]> = [
  ["json", "manifest-written"],
  ["json", "swapped"],
  ["json", "sources-removed"],
  ["avro", "merged-written"],
  ["avro", "manifest-written"],
  ["avro", "swapped"],
  ["avro", "sources-removed"],
  ["parquet", "merged-written"],
  ["parquet", "manifest-written"],
  ["parquet", "swapped"],
  ["parquet", "sources-removed"],
];

test.each(STEPS)(
  "%s: a compaction that crashes after %s is completed by the next run, every record once",
  async (format, step) => {
    const dir = root(`crash-${format}`);
    const raw = sinkConfig(dir, { "format.class": format });
    await writeThroughSink(
      raw,
      range(0, 12).map((i) => orderRecord("orders", 0, i, { schema: true })),
      3,
    );
    const settings = settingsOf(raw);
    await expect(
      compact(settings, {
        onStep: (s) => {
          if (s === step) throw new Error(`crash after ${s}`);
        },
      }),
    ).rejects.toThrow(`crash after ${step}`);
    if (format !== "avro") {
      // CONCAT swaps atomically: whatever step the run died at, a reader sees each record once.
      expect(multiset(await committedIds(dir))).toEqual({ ids: range(0, 12), duplicates: [] });
    }
    const rerun = await compact(settings);
    expect(rerun.resumed).toBe(step === "merged-written" ? 0 : 1);
    expect((await listFiles(`${dir}/topics/orders`)).map((f) => f.path)).toEqual([
      `partition=0/orders+0+0+11.${format}`,
    ]);
    expect(multiset(await committedIds(dir))).toEqual({ ids: range(0, 12), duplicates: [] });
    expect(await listFiles(`${dir}/topics/+tmp`)).toEqual([]);
    expect((await listFiles(`${dir}/logs`)).map((f) => f.path)).toEqual(["orders/0/wal.json"]);
  },
);

/** Polls until `check` returns a value, or fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function dropQueue(connector: string): Promise<void> {
  const queue = new Queue(compactionQueueName(connector), {
    connection: { url: STACK.redisUrl },
    prefix: "sluice",
  });
  await queue.obliterate({ force: true });
  await queue.close();
}

test("a running connector's job scheduler compacts on its cron; stopping it stops the worker", async () => {
  const dir = root("cron");
  const name = `hdfs-cron-${Date.now()}`;
  const raw = sinkConfig(dir, {
    "compaction.redis.url": STACK.redisUrl,
    "compaction.schedule": "*/2 * * * * *",
  });
  await writeThroughSink(
    raw,
    range(0, 6).map((i) => orderRecord("orders", 0, i)),
    2,
  );
  const connector = hdfsPlugin.createConnector();
  const parsed = hdfsPlugin.config.parse(raw);
  await connector.start(parsed, { name, logger: silent, requestTaskReconfiguration() {}, raiseError() {} });
  const jobs = new CompactionJobs(name, parsed);
  try {
    expect(await jobs.scheduleInfo()).toMatchObject({
      pattern: "*/2 * * * * *",
      timezone: "UTC",
      next: expect.any(Number),
    });
    // Runs are listed newest first; the first completed one did the merge, later ones found nothing to do.
    const run = await eventually(async () => (await jobs.runs()).findLast((r) => r.state === "completed"));
    expect(run).toMatchObject({
      trigger: "schedule",
      path: null,
      error: null,
      report: { filesIn: 3, filesOut: 1 },
    });
    expect(await committedFiles(dir)).toEqual(["orders/partition=0/orders+0+0+5.json"]);
  } finally {
    await connector.stop();
    await connector.stop();
    expect(await jobs.unschedule()).toBe(true);
    expect(await jobs.scheduleInfo()).toBeNull();
    await jobs.close();
    await dropQueue(name);
  }
});

test("a run triggered on demand compacts only the directory it names and is listed with its report", async () => {
  const dir = root("on-demand");
  const name = `hdfs-manual-${Date.now()}`;
  const raw = sinkConfig(dir, { "compaction.redis.url": STACK.redisUrl, "compaction.schedule": "0 2 * * *" });
  await writeThroughSink(
    raw,
    [
      ...range(0, 4).map((i) => orderRecord("orders", 0, i)),
      ...range(0, 4).map((i) => orderRecord("orders", 1, i)),
    ],
    2,
  );
  const parsed = hdfsPlugin.config.parse(raw);
  const jobs = new CompactionJobs(name, parsed);
  try {
    await expect(jobs.trigger({ path: "orders/../../etc" })).rejects.toMatchObject({
      code: ErrorCode.BAD_REQUEST,
    });
    const { jobId } = await jobs.trigger({ path: "orders/partition=1" });
    expect((await jobs.runs())[0]).toMatchObject({
      id: jobId,
      trigger: "manual",
      path: "orders/partition=1",
      state: "waiting",
    });
    jobs.startWorker(silent);
    const run = await eventually(async () =>
      (await jobs.runs()).find((r) => r.id === jobId && r.state === "completed"),
    );
    expect(run.report).toMatchObject({ filesIn: 2, filesOut: 1, merges: [{ target: "orders+1+0+3.json" }] });
    expect(run.startedAt).toBeGreaterThanOrEqual(run.enqueuedAt);
    expect(run.finishedAt).toBeGreaterThanOrEqual(run.startedAt ?? 0);
    expect(await committedFiles(dir)).toEqual([
      "orders/partition=0/orders+0+0+1.json",
      "orders/partition=0/orders+0+2+3.json",
      "orders/partition=1/orders+1+0+3.json",
    ]);
  } finally {
    await jobs.close();
    await dropQueue(name);
  }
});

test("a connector whose compaction Redis does not answer fails to start with a retriable error that names it", async () => {
  const raw = sinkConfig(testRoot("no-redis"), { "compaction.redis.url": "redis://127.0.0.1:1" });
  const connector = hdfsPlugin.createConnector();
  const context = { name: "no-redis", logger: silent, requestTaskReconfiguration() {}, raiseError() {} };
  const failure = await connector
    .start(hdfsPlugin.config.parse(raw), context)
    .catch((error: unknown) => error);
  expect(failure).toMatchObject({
    code: ErrorCode.EXTERNAL_TRANSIENT,
    retriable: true,
    message: expect.stringContaining("compaction.redis.url (redis://127.0.0.1:1) did not answer within 10 s"),
  });
  await connector.stop();
});
