// Invariant: the benchmark report is a JSON list of {scenario, system, metric, unit, median, min, max,
// runs, ceiling, ratio} entries, each the median/min/max of its samples and ratio = median / the
// ceiling's median from the same run; the Markdown report carries the same figures. No timing is asserted.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { compareWithCeiling, median, renderTable, writeReports } from "../../bench/report.ts";
import { tempDir } from "../support/worker.ts";

const KEYS = ["scenario", "system", "metric", "unit", "median", "min", "max", "runs", "ceiling", "ratio"];

test("fake measurements become entries compared with the ceiling of the same scenario and metric", () => {
  const entries = compareWithCeiling(
    [
      { scenario: "s", system: "ceiling", metric: "rate", unit: "records/s", samples: [100, 300, 200] },
      { scenario: "s", system: "sluice", metric: "rate", unit: "records/s", samples: [90, 150] },
      { scenario: "s", system: "sluice", metric: "memory", unit: "MB", samples: [42] },
    ],
    "ceiling",
  );
  expect(entries).toEqual([
    {
      ...{ scenario: "s", system: "ceiling", metric: "rate", unit: "records/s" },
      median: 200,
      min: 100,
      max: 300,
      runs: 3,
      ceiling: 200,
      ratio: 1,
    },
    {
      ...{ scenario: "s", system: "sluice", metric: "rate", unit: "records/s" },
      median: 120,
      min: 90,
      max: 150,
      runs: 2,
      ceiling: 200,
      ratio: 0.6,
    },
    {
      ...{ scenario: "s", system: "sluice", metric: "memory", unit: "MB" },
      median: 42,
      min: 42,
      max: 42,
      runs: 1,
      ceiling: null,
      ratio: null,
    },
  ]);
  expect(median([5, 1, 3, 2])).toBe(2.5);
});

test("the JSON report is the list of entries, with exactly the agreed keys; the Markdown and table show them", () => {
  const dir = tempDir("sluice-bench-report-");
  const entries = compareWithCeiling(
    [
      {
        scenario: "sink-drain redis",
        system: "ceiling",
        metric: "drain",
        unit: "records/s",
        samples: [1000, 1200],
      },
      {
        scenario: "sink-drain redis",
        system: "redis sink",
        metric: "drain",
        unit: "records/s",
        samples: [900, 950],
      },
    ],
    "ceiling",
  );
  const paths = writeReports(dir, entries, {
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    quick: true,
    host: { cpus: 2, node: "v24.0.0", loadAverage: [1, 1, 1] },
    notes: ["a note"],
  });
  const json = JSON.parse(readFileSync(paths.json, "utf8"));
  expect(Array.isArray(json)).toBe(true);
  for (const entry of json) expect(Object.keys(entry)).toEqual(KEYS);
  expect(json[1]).toMatchObject({ median: 925, min: 900, max: 950, runs: 2, ceiling: 1100 });
  expect(json[1].ratio).toBeCloseTo(925 / 1100);
  const markdown = readFileSync(paths.markdown, "utf8");
  expect(markdown).toContain(
    "| sink-drain redis | redis sink | drain (records/s) | 925 | 900–950 | 2 | 1,100 | 0.84× |",
  );
  expect(markdown).toContain("- a note");
  expect(renderTable(entries)).toMatch(/redis sink\s+drain \(records\/s\)\s+925/);
});
