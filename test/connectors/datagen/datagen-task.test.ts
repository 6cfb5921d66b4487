// Invariant: datagen record n of task t is a pure function of (seed, t, n), so a task restarted from any
// committed offset continues the exact sequence, and `iterations` caps a task's records over its life.
import { expect, test } from "vitest";
import { datagenPlugin } from "../../../connectors/datagen/plugin.ts";
import { DatagenTask } from "../../../connectors/datagen/task.ts";
import type { Logger, SourceOffset, SourceRecord, SourceTaskContext } from "../../../runtime/api/index.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function context(taskId: number, committed: SourceOffset | null, connectorName = "gen"): SourceTaskContext {
  return {
    connectorName,
    metrics: testTaskMetrics().metrics,
    taskId,
    logger: silent,
    offset: async (partition) => {
      expect(partition).toEqual({ task: taskId });
      return committed;
    },
  };
}

async function startedTask(
  raw: Record<string, string>,
  taskId = 0,
  committed: SourceOffset | null = null,
  connectorName = "gen",
): Promise<DatagenTask> {
  const task = new DatagenTask();
  await task.start(datagenPlugin.config.parse(raw), context(taskId, committed, connectorName));
  return task;
}

async function pollRecords(task: DatagenTask, count: number): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  const signal = new AbortController().signal;
  while (records.length < count) records.push(...((await task.poll(signal)) ?? []));
  return records.slice(0, count);
}

const fast = { "kafka.topic": "users", quickstart: "users", "max.interval": "0", "random.seed": "42" };

test("the same seed yields the same records; another seed or task yields others", async () => {
  const first = await pollRecords(await startedTask(fast), 50);
  const again = await pollRecords(await startedTask(fast), 50);
  const otherSeed = await pollRecords(await startedTask({ ...fast, "random.seed": "43" }), 50);
  const otherTask = await pollRecords(await startedTask(fast, 1), 50);
  expect(again).toEqual(first);
  expect(otherSeed.map((r) => r.value)).not.toEqual(first.map((r) => r.value));
  expect(otherTask.map((r) => r.value)).not.toEqual(first.map((r) => r.value));
  expect(first[7]).toMatchObject({
    topic: "users",
    sourcePartition: { task: 0 },
    sourceOffset: { iteration: 7 },
    headers: [
      { key: "task.id", value: "0" },
      { key: "current.iteration", value: "7" },
    ],
  });
});

test("a task restarted from a committed iteration continues exactly where the first left off", async () => {
  const uninterrupted = await pollRecords(await startedTask(fast), 2_500);
  const resumed = await pollRecords(await startedTask(fast, 0, { iteration: 1_234 }), 1_000);
  expect(resumed).toEqual(uninterrupted.slice(1_235, 2_235));
  expect(resumed[0]?.sourceOffset).toEqual({ iteration: 1_235 });
});

test("without random.seed the connector name seeds the records, the same on every run", async () => {
  const { "random.seed": _, ...unseeded } = fast;
  const first = await pollRecords(await startedTask(unseeded, 0, null, "alpha"), 20);
  const again = await pollRecords(await startedTask(unseeded, 0, null, "alpha"), 20);
  const otherName = await pollRecords(await startedTask(unseeded, 0, null, "beta"), 20);
  expect(again).toEqual(first);
  expect(otherName.map((r) => r.value)).not.toEqual(first.map((r) => r.value));
});

test("iterations caps a task's records across restarts; then polls return nothing", async () => {
  const raw = { ...fast, iterations: "1500" };
  const signal = new AbortController().signal;
  const task = await startedTask(raw);
  expect((await task.poll(signal))?.length).toBe(1_000);
  const second = await task.poll(signal);
  expect(second?.length).toBe(500);
  expect(second?.at(-1)?.sourceOffset).toEqual({ iteration: 1_499 });

  const resumed = await startedTask(raw, 0, { iteration: 1_399 });
  const rest = await resumed.poll(signal);
  expect(rest?.map((r) => r.sourceOffset.iteration)).toEqual(
    Array.from({ length: 100 }, (_, i) => 1_400 + i),
  );

  const stopping = new AbortController();
  stopping.abort();
  expect(await resumed.poll(stopping.signal)).toBeNull();
});

test("with max.interval each poll returns one record within it, and a stop cuts the wait short", async () => {
  const task = await startedTask({ ...fast, "max.interval": "50" });
  const started = performance.now();
  const polled = await task.poll(new AbortController().signal);
  expect(polled?.map((r) => r.sourceOffset)).toEqual([{ iteration: 0 }]);
  expect(performance.now() - started).toBeLessThan(1_000);

  const slow = await startedTask({ ...fast, "max.interval": "60000" });
  const stopping = new AbortController();
  const poll = slow.poll(stopping.signal);
  setTimeout(() => stopping.abort(), 20);
  const before = performance.now();
  expect(await poll).toBeNull();
  expect(performance.now() - before).toBeLessThan(1_000);
});

test("the key is the text of schema.keyfield, by default the quickstart's key field", async () => {
  const [byUser] = await pollRecords(await startedTask(fast), 1);
  const [byRegion] = await pollRecords(await startedTask({ ...fast, "schema.keyfield": "regionid" }), 1);
  const [pageview] = await pollRecords(await startedTask({ ...fast, quickstart: "PageViews" }), 1);
  const value = (record: SourceRecord | undefined) => record?.value as Record<string, unknown>;
  expect(byUser?.key).toBe(value(byUser).userid);
  expect(byRegion?.key).toBe(value(byRegion).regionid);
  expect(pageview?.key).toBe("1");
  expect(byUser?.keySchema).toEqual({ type: "string" });
});

test("every quickstart's values have the fields, types and ranges of Confluent's quickstart", async () => {
  for (const record of await pollRecords(await startedTask(fast), 500)) {
    expect(record.value).toEqual({
      registertime: expect.any(Number),
      userid: expect.stringMatching(/^User_[1-9]$/),
      regionid: expect.stringMatching(/^Region_[1-9]$/),
      gender: expect.stringMatching(/^(MALE|FEMALE|OTHER)$/),
    });
    const { registertime } = record.value as { registertime: number };
    expect(
      Number.isInteger(registertime) &&
        registertime >= 1_487_715_775_521 &&
        registertime <= 1_519_273_364_600,
    ).toBe(true);
  }
  const pageviews = await pollRecords(await startedTask({ ...fast, quickstart: "pageviews" }), 500);
  pageviews.forEach((record, n) => {
    expect(record.value).toEqual({
      viewtime: 1 + 10 * n,
      userid: expect.stringMatching(/^User_[1-9]$/),
      pageid: expect.stringMatching(/^Page_[1-9][0-9]$/),
    });
  });
  const orders = await pollRecords(await startedTask({ ...fast, quickstart: "orders" }), 500);
  orders.forEach((record, n) => {
    expect(record.key).toBe(String(n));
    expect(record.value).toEqual({
      ordertime: expect.any(Number),
      orderid: n,
      itemid: expect.stringMatching(/^Item_[1-9][0-9]{0,2}$/),
      orderunits: expect.any(Number),
      address: {
        city: expect.stringMatching(/^City_[1-9]{0,2}$/),
        state: expect.stringMatching(/^State_[1-9]{0,2}$/),
        zipcode: expect.any(Number),
      },
    });
    const { orderunits, address } = record.value as { orderunits: number; address: { zipcode: number } };
    expect(orderunits >= 0.1 && orderunits < 10).toBe(true);
    expect(Number.isInteger(address.zipcode) && address.zipcode >= 10_000 && address.zipcode <= 99_999).toBe(
      true,
    );
  });
  expect(orders[0]?.valueSchema?.fields?.map((f) => f.field)).toEqual([
    "ordertime",
    "orderid",
    "itemid",
    "orderunits",
    "address",
  ]);
});

test("a stored offset that is not a datagen offset fails the start with what to do", async () => {
  await expect(startedTask(fast, 0, { pos: 3 })).rejects.toThrow(/reset the connector's offsets/);
});
