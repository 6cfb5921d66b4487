// Invariant: whenever a task dies — mid-write, or at any step of a commit — the next task of the partition
// completes or discards what HDFS holds, seeks to the offset after the last committed record, and after
// replaying from there every record is in exactly one committed file; offsets altered on the stopped
// connector are where the next task resumes.
import { afterAll, expect, test } from "vitest";
import { hdfsPlugin } from "../../../connectors/hdfs/plugin.ts";
import type { CommitStep } from "../../../connectors/hdfs/task.ts";
import { ErrorCode, type SinkRecord, SluiceError } from "../../../runtime/api/index.ts";
import {
  committedFiles,
  committedIds,
  FakeClock,
  flushAndPreCommit,
  hdfs,
  listFiles,
  multiset,
  openTask,
  orderRecord,
  orderRecords,
  range,
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

const TP = { topic: "orders", partition: 0 };
const START = Date.UTC(2024, 0, 2, 3, 1, 0);

/** Records 0..19 alternating between regions a and b, so that every commit moves two files. */
const RECORDS: SinkRecord[] = range(0, 20).map((i) =>
  orderRecord("orders", 0, i, { region: i % 2 === 0 ? "a" : "b" }),
);

function config(dir: string): Record<string, string> {
  return sinkConfig(dir, {
    "flush.size": "4",
    "partitioner.class": "field",
    "partition.field.name": "region",
    "rotate.schedule.interval.ms": "300000",
  });
}

/** What the engine does with a fresh task: open, replay from its seek, and commit at the next tick. */
async function replayAndCommit(
  dir: string,
  clock: FakeClock,
): Promise<{ seek: number | null; committed: Record<string, number> }> {
  const { task, context } = await openTask(config(dir), [TP], { clock });
  const seek = context.seeks[0] === undefined ? null : Number(context.seeks[0].offset);
  expect(await listFiles(`${dir}/topics/+tmp`)).toEqual([]);
  await task.put(RECORDS.slice(seek ?? 0));
  clock.advance(300_000);
  const committed = await flushAndPreCommit(task);
  await task.stop();
  return { seek, committed };
}

test.each<[CommitStep, number, string[]]>([
  ["temp-files-complete", 7, ["orders/region=a/orders+0+0+6.json", "orders/region=b/orders+0+1+5.json"]],
  [
    "wal-written",
    14,
    [
      "orders/region=a/orders+0+0+6.json",
      "orders/region=a/orders+0+8+12.json",
      "orders/region=b/orders+0+1+5.json",
      "orders/region=b/orders+0+7+13.json",
    ],
  ],
  [
    "file-renamed",
    14,
    [
      "orders/region=a/orders+0+0+6.json",
      "orders/region=a/orders+0+8+12.json",
      "orders/region=b/orders+0+1+5.json",
      "orders/region=b/orders+0+7+13.json",
    ],
  ],
])(
  "a task that dies at %s of a commit is recovered to offset %i with every record once",
  async (step, seek, afterRecovery) => {
    const dir = root("crash");
    const clock = new FakeClock(START);
    // The second commit moves the partition to 14 (the first to 7); the two may be under way at once.
    const { task } = await openTask(config(dir), [TP], {
      clock,
      onCommitStep: (s, _tp, next) => {
        if (next === 14n && s === step) throw new Error(`crash at ${s}`);
      },
    });
    // The crash happens in a commit running in the background: the put or the wait for commits reports it.
    await expect(task.put(RECORDS).then(() => task.commitsSettled())).rejects.toThrow(`crash at ${step}`);
    expect(await task.preCommit()).toEqual(new Map([["orders-0", { partition: TP, offset: 7n }]]));
    // The task object is dropped here without stop(), as a kill -9 would leave it.

    const { task: recovering, context } = await openTask(config(dir), [TP], { clock });
    expect(context.seeks).toEqual([{ ...TP, offset: BigInt(seek) }]);
    expect(await committedFiles(dir)).toEqual(afterRecovery);
    expect(await listFiles(`${dir}/topics/+tmp`)).toEqual([]);
    // Dropped again before committing anything: recovery must be repeatable.
    void recovering;

    const replay = await replayAndCommit(dir, clock);
    expect(replay).toEqual({ seek, committed: { "orders-0": 20 } });
    const { ids, duplicates } = multiset(await committedIds(dir));
    expect(duplicates).toEqual([]);
    expect(ids).toEqual(range(0, 20));
  },
);

test("a task abandoned mid-write leaves a temp file that the next owner deletes before resuming after the last commit", async () => {
  const dir = root("midwrite");
  const clock = new FakeClock(START);
  const raw = sinkConfig(dir, { "flush.size": "100000", "rotate.schedule.interval.ms": "300000" });
  const { task } = await openTask(raw, [TP], { clock });
  await task.put(orderRecords("orders", 0, 0, 10));
  clock.advance(300_000);
  expect(await flushAndPreCommit(task)).toEqual({ "orders-0": 10 });
  const pad = "p".repeat(5_000);
  await task.put(range(10, 1_000).map((i) => orderRecord("orders", 0, i, { region: pad })));
  expect((await listFiles(`${dir}/topics/+tmp/orders`)).length).toBe(1);

  const other = { topic: "orders", partition: 1 };
  const { context } = await openTask(raw, [TP, other], { clock });
  expect(context.seeks).toEqual([{ ...TP, offset: 10n }]);
  expect(await listFiles(`${dir}/topics/+tmp/orders`)).toEqual([]);
  expect(await committedFiles(dir)).toEqual(["orders/partition=0/orders+0+0+9.json"]);
});

test("a temp file of another partition survives this partition's recovery", async () => {
  const dir = root("neighbours");
  const raw = sinkConfig(dir, { "flush.size": "100000" });
  const pad = "p".repeat(5_000);
  const { task } = await openTask(raw, [{ topic: "orders", partition: 1 }]);
  await task.put(range(0, 1_000).map((i) => orderRecord("orders", 1, i, { region: pad })));
  await openTask(raw, [TP]);
  expect((await listFiles(`${dir}/topics/+tmp/orders`)).map((f) => f.path)).toEqual([
    expect.stringMatching(/^orders\+1\+/),
  ]);
});

test.each<CommitStep>(["temp-files-complete", "wal-written"])(
  "a commit that fails at %s in the background is run again by the next put, and the records written meanwhile go to the next file",
  async (failAt) => {
    const dir = root("background-retry");
    let failures = 1;
    const { task } = await openTask(sinkConfig(dir, { "flush.size": "5" }), [TP], {
      onCommitStep: (step) => {
        if (step === failAt && failures-- > 0)
          throw new SluiceError(ErrorCode.EXTERNAL_TRANSIENT, "the NameNode went away");
      },
    });
    await task.put(orderRecords("orders", 0, 0, 7));
    await expect(task.commitsSettled()).rejects.toThrow("the NameNode went away");
    expect(await task.preCommit()).toEqual(new Map());
    await task.put(orderRecords("orders", 0, 7, 3));
    expect(await flushAndPreCommit(task)).toEqual({ "orders-0": 10 });
    expect(await committedFiles(dir)).toEqual([
      "orders/partition=0/orders+0+0+4.json",
      "orders/partition=0/orders+0+5+9.json",
    ]);
    const { ids, duplicates } = multiset(await committedIds(dir));
    expect(duplicates).toEqual([]);
    expect(ids).toEqual(range(0, 10));
    expect((await listFiles(`${dir}/logs/orders/0`)).map((f) => f.path)).toEqual(["wal.json"]);
    expect(await listFiles(`${dir}/topics/+tmp`)).toEqual([]);
    await task.stop();
  },
);

test("a batch delivered again after a failure is not written twice", async () => {
  const dir = root("redelivery");
  const { task } = await openTask(sinkConfig(dir, { "flush.size": "5" }), [TP]);
  await task.put(orderRecords("orders", 0, 0, 3));
  await task.put(orderRecords("orders", 0, 0, 7));
  expect(await flushAndPreCommit(task)).toEqual({ "orders-0": 5 });
  expect(await committedFiles(dir)).toEqual(["orders/partition=0/orders+0+0+4.json"]);
  await task.stop();
});

test("altered offsets of the stopped connector are where the next task resumes, although HDFS holds the position", async () => {
  const dir = root("alter");
  const raw = sinkConfig(dir, { "flush.size": "5" });
  const parsed = hdfsPlugin.config.parse(raw);
  const connector = hdfsPlugin.createConnector();
  const alter = connector.alterOffsets?.bind(connector);
  if (alter === undefined) throw new Error("the HDFS connector must implement alterOffsets");

  const first = await openTask(raw, [TP]);
  await first.task.put(orderRecords("orders", 0, 0, 10));
  await first.task.stop();
  expect((await openTask(raw, [TP])).context.seeks).toEqual([{ ...TP, offset: 10n }]);

  expect(await alter(parsed, [{ partition: TP, offset: 42n }])).toBe(true);
  expect((await openTask(raw, [TP])).context.seeks).toEqual([{ ...TP, offset: 42n }]);

  expect(await alter(parsed, [{ partition: TP, offset: 3n }])).toBe(true);
  const rewound = await openTask(raw, [TP]);
  expect(rewound.context.seeks).toEqual([{ ...TP, offset: 3n }]);
  await rewound.task.put(orderRecords("orders", 0, 3, 5));
  expect(await flushAndPreCommit(rewound.task)).toEqual({ "orders-0": 8 });
  await rewound.task.stop();

  expect(await alter(parsed, [{ partition: TP, offset: null }])).toBe(true);
  const reset = await openTask(raw, [TP]);
  expect(reset.context.seeks).toEqual([]);
  expect(await flushAndPreCommit(reset.task)).toEqual({});

  await expect(alter(parsed, [{ partition: { server: "db1" }, offset: 1n }])).rejects.toMatchObject({
    code: ErrorCode.BAD_REQUEST,
  });
  await expect(alter(parsed, [{ partition: TP, offset: { kafka_offset: 1 } }])).rejects.toMatchObject({
    code: ErrorCode.BAD_REQUEST,
  });
});

test("altering offsets first completes a commit that a crash cut short", async () => {
  const dir = root("alter-pending");
  const raw = sinkConfig(dir, { "flush.size": "5" });
  const { task } = await openTask(raw, [TP], {
    onCommitStep: (step) => {
      if (step === "wal-written") throw new Error("crash");
    },
  });
  await expect(task.put(orderRecords("orders", 0, 0, 5)).then(() => task.commitsSettled())).rejects.toThrow(
    "crash",
  );
  expect(await committedFiles(dir)).toEqual([]);
  const connector = hdfsPlugin.createConnector();
  await connector.alterOffsets?.(hdfsPlugin.config.parse(raw), [{ partition: TP, offset: 100n }]);
  expect(await committedFiles(dir)).toEqual(["orders/partition=0/orders+0+0+4.json"]);
  expect(await listFiles(`${dir}/topics/+tmp`)).toEqual([]);
  expect((await openTask(raw, [TP])).context.seeks).toEqual([{ ...TP, offset: 100n }]);
});
