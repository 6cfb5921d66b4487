// Invariant: a snapshot of a 1,000,000-row table reads each row exactly once in primary-key chunks and
// holds at most about one chunk in memory, so the process's memory does not grow with the table.
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  adminConnection,
  connectorConfig,
  envelope,
  freshDatabase,
  recordingLogger,
  TaskHarness,
} from "./harness.ts";

const DB = "cdc_snapshot_large";
const ROWS = 1_000_000;
let db: mysql.Connection;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(
    `CREATE TABLE ${DB}.big (id INT PRIMARY KEY, payload VARCHAR(100) NOT NULL, amount DECIMAL(12,2) NOT NULL)`,
  );
  // Not binlogged: only the snapshot reads these rows, and the shared binlog stays small.
  await db.query(`SET SESSION sql_log_bin = 0;
    INSERT INTO ${DB}.big SELECT seq, CONCAT('payload of row ', seq, ' ', REPEAT('x', 40)), seq / 100 FROM ${DB}.seq_1_to_${ROWS};
    SET SESSION sql_log_bin = 1`);
}, 300_000);
afterAll(async () => {
  await db.query(`SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS ${DB}; SET SESSION sql_log_bin = 1`);
  await db.end();
});

test("a 1,000,000-row table snapshots every row once with memory bounded by the chunk size", {
  timeout: 600_000,
}, async () => {
  const logger = recordingLogger();
  const harness = await TaskHarness.start(
    connectorConfig(DB, { "snapshot.mode": "initial_only" }),
    null,
    logger,
  );
  const seen = new Uint8Array(ROWS + 1);
  let count = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let last = 0;
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const started = performance.now();
  try {
    while (count < ROWS) {
      const records = await harness.task.poll(new AbortController().signal);
      for (const record of records ?? []) {
        const id = (envelope(record).after as { id: number }).id;
        if (seen[id]) duplicates += 1;
        seen[id] = 1;
        if (id <= last) outOfOrder += 1;
        last = id;
        count += 1;
      }
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(await harness.task.poll(new AbortController().signal)).toBeNull();
  } finally {
    await harness.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const growthMb = (peak - baseline) / 2 ** 20;
  console.log(
    `snapshot of ${ROWS} rows: ${seconds.toFixed(1)} s, ${Math.round(ROWS / seconds)} rows/s; RSS baseline ${Math.round(baseline / 2 ** 20)} MB, peak ${Math.round(peak / 2 ** 20)} MB (+${growthMb.toFixed(0)} MB)`,
  );
  expect({ count, duplicates, outOfOrder }).toEqual({ count: ROWS, duplicates: 0, outOfOrder: 0 });
  expect(seen.subarray(1).every((s) => s === 1)).toBe(true);
  // A million change events held at once would take well over a gigabyte.
  expect(growthMb).toBeLessThan(200);
  expect(logger.lines.find((l) => l.message === "snapshot: complete")?.fields).toEqual({
    tables: [{ table: `${DB}.big`, rows: ROWS, estimatedRows: expect.any(Number) }],
  });
});
