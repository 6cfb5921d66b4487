// Invariant: the metrics a task declares through its context are read when asked for — on a scrape of
// the worker's registry and for the task's status — labelled with the connector and the task, only
// while that task runs; a newer task of the same id replaces it, a deleted connector's disappear, and a
// declaration that would clash or break the exposition is refused with a message naming it.
import { expect, test } from "vitest";
import type { MetricSample } from "../../../runtime/api/index.ts";
import { WorkerMetrics } from "../../../runtime/worker/metrics.ts";

function series(text: string, name: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

test("a declared gauge and counter are published with the connector and task labels and shown in the status", async () => {
  const worker = new WorkerMetrics();
  let lag = 1500;
  const tables = [
    { labels: { table: "shop.orders" }, value: 10 },
    { labels: { table: "shop.items" }, value: 0 },
  ];
  const metrics = worker.tasks.forTask({ connector: "cdc", task: 0, kind: "source", isLive: () => true });
  metrics.gauge({ name: "milliseconds_behind_source", help: "Lag." }, () => lag);
  metrics.counter({ name: "change_events_total", help: "Events." }, () => 7);
  metrics.gauge({ name: "rows_scanned", help: "Rows.", labelNames: ["table"] }, () => tables);
  metrics.gauge({ name: "not_now", help: "Absent while null." }, () => null);

  let text = await worker.render();
  expect(series(text, "sluice_source_milliseconds_behind_source")).toEqual([
    'sluice_source_milliseconds_behind_source{connector="cdc",task="0"} 1500',
  ]);
  expect(text).toContain("# TYPE sluice_source_change_events_total counter");
  expect(series(text, "sluice_source_change_events_total")).toEqual([
    'sluice_source_change_events_total{connector="cdc",task="0"} 7',
  ]);
  expect(series(text, "sluice_source_rows_scanned")).toEqual([
    'sluice_source_rows_scanned{table="shop.orders",connector="cdc",task="0"} 10',
    'sluice_source_rows_scanned{table="shop.items",connector="cdc",task="0"} 0',
  ]);
  expect(series(text, "sluice_source_not_now")).toEqual([]);

  // Read again on each scrape: the figure is the task's at that moment.
  lag = 99;
  tables[0] = { labels: { table: "shop.orders" }, value: 20 };
  text = await worker.render();
  expect(series(text, "sluice_source_milliseconds_behind_source")).toEqual([
    'sluice_source_milliseconds_behind_source{connector="cdc",task="0"} 99',
  ]);
  expect(worker.tasks.figures("cdc", 0)).toEqual({
    milliseconds_behind_source: 99,
    change_events_total: 7,
    rows_scanned: [
      { table: "shop.orders", value: 20 },
      { table: "shop.items", value: 0 },
    ],
  });
  expect(worker.tasks.figures("cdc", 1)).toBeNull();
});

test("a task's figures are published only while it runs; a new task of the same id replaces the old", async () => {
  const worker = new WorkerMetrics();
  let firstRuns = true;
  const first = worker.tasks.forTask({ connector: "c", task: 0, kind: "source", isLive: () => firstRuns });
  first.gauge({ name: "figure", help: "A figure." }, () => 1);
  const other = worker.tasks.forTask({ connector: "d", task: 0, kind: "source", isLive: () => true });
  other.gauge({ name: "figure", help: "A figure." }, () => 5);

  firstRuns = false;
  expect(series(await worker.render(), "sluice_source_figure")).toEqual([
    'sluice_source_figure{connector="d",task="0"} 5',
  ]);
  expect(worker.tasks.figures("c", 0)).toBeNull();

  const second = worker.tasks.forTask({ connector: "c", task: 0, kind: "source", isLive: () => true });
  second.gauge({ name: "figure", help: "A figure." }, () => 2);
  expect(series(await worker.render(), "sluice_source_figure")).toEqual([
    'sluice_source_figure{connector="c",task="0"} 2',
    'sluice_source_figure{connector="d",task="0"} 5',
  ]);

  await worker.forget("c");
  expect(series(await worker.render(), "sluice_source_figure")).toEqual([
    'sluice_source_figure{connector="d",task="0"} 5',
  ]);
});

test("a read that throws, or a sample with undeclared labels, is skipped; the rest of the scrape stands", async () => {
  const worker = new WorkerMetrics();
  const metrics = worker.tasks.forTask({ connector: "c", task: 3, kind: "sink", isLive: () => true });
  metrics.gauge({ name: "broken", help: "Throws." }, () => {
    throw new Error("boom");
  });
  const samples: MetricSample[] = [
    { labels: { table: "a" }, value: 1 },
    { labels: { other: "b" }, value: 2 },
  ];
  metrics.gauge({ name: "labelled", help: "One bad sample.", labelNames: ["table"] }, () => samples);
  metrics.gauge({ name: "fine", help: "Fine." }, () => 4);
  const text = await worker.render();
  expect(series(text, "sluice_sink_broken")).toEqual([]);
  expect(series(text, "sluice_sink_labelled")).toEqual([
    'sluice_sink_labelled{table="a",connector="c",task="3"} 1',
  ]);
  expect(series(text, "sluice_sink_fine")).toEqual(['sluice_sink_fine{connector="c",task="3"} 4']);
  expect(worker.tasks.figures("c", 3)).toMatchObject({ fine: 4 });
  expect(worker.tasks.figures("c", 3)).not.toHaveProperty("broken");
});

test("declarations that would clash or break the exposition are refused with a message naming them", () => {
  const worker = new WorkerMetrics();
  const metrics = worker.tasks.forTask({ connector: "c", task: 0, kind: "source", isLive: () => true });
  const read = () => 1;
  expect(() => metrics.gauge({ name: "Lag-Ms", help: "h" }, read)).toThrow(
    'the task metric name "Lag-Ms" must be snake_case',
  );
  expect(() => metrics.gauge({ name: "x", help: "h", labelNames: ["connector"] }, read)).toThrow(
    'the label "connector" of task metric "x" must be snake_case and not connector or task',
  );
  expect(() => metrics.counter({ name: "records_polled_total", help: "h" }, read)).toThrow(
    'the task metric "records_polled_total" would be sluice_source_records_polled_total, which the engine publishes itself',
  );
  expect(() => metrics.gauge({ name: "lag", help: " " }, read)).toThrow(
    'the task metric "lag" needs a help text',
  );
  metrics.gauge({ name: "lag", help: "h" }, read);
  expect(() => metrics.gauge({ name: "lag", help: "h" }, read)).toThrow(
    'the task metric "lag" is declared twice',
  );
  const another = worker.tasks.forTask({ connector: "d", task: 0, kind: "source", isLive: () => true });
  expect(() => another.counter({ name: "lag", help: "h" }, read)).toThrow(
    'the task metric "lag" is declared as a counter with labels [connector, task], but another task declared it as a gauge with labels [connector, task]',
  );
});
