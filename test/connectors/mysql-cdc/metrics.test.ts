// Invariant: a mysql-cdc task running on a worker publishes its figures on GET /metrics and in its
// status: while a snapshot runs, the rows read of each table against the estimate, then the final
// totals; while streaming, the change events read (a total and a rate) and how far behind the server
// it is — computed from the timestamps the server wrote into the binlog, and growing while the task
// is paused with changes waiting.
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";
import { adminConnection, connectorConfig, freshDatabase } from "./harness.ts";

const DB = "cdc_metrics";
const BIG_ROWS = 200_000;
let db: mysql.Connection;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`
    CREATE TABLE ${DB}.big (id INT PRIMARY KEY, payload VARCHAR(100) NOT NULL);
    CREATE TABLE ${DB}.small (id INT PRIMARY KEY);
    CREATE TABLE ${DB}.events (id INT PRIMARY KEY)`);
  // Not binlogged: only the snapshot reads these rows, and the shared binlog stays small.
  await db.query(`SET SESSION sql_log_bin = 0;
    INSERT INTO ${DB}.big SELECT seq, CONCAT('row ', seq, ' ', REPEAT('x', 40)) FROM ${DB}.seq_1_to_${BIG_ROWS};
    INSERT INTO ${DB}.small SELECT seq FROM ${DB}.seq_1_to_10;
    SET SESSION sql_log_bin = 1;
    ANALYZE TABLE ${DB}.big, ${DB}.small`);
  worker = await startTestWorker();
}, 300_000);
afterAll(async () => {
  await worker?.stop();
  await db.query(`SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS ${DB}; SET SESSION sql_log_bin = 1`);
  await db.end();
});

/** The figures of docs/connectors/mysql-cdc.md#metrics, as the status shows them. */
interface Figures {
  /** Present while streaming. */
  milliseconds_behind_source: number;
  change_events_total: number;
  change_events_per_second: number;
  snapshot_running: number;
  snapshot_completed: number;
  snapshot_rows_scanned?: Array<{ table: string; value: number }>;
  snapshot_rows_estimated?: Array<{ table: string; value: number }>;
}

/** The task's figures from GET /connectors/{name}/status (undefined until it publishes any). */
async function figures(name: string): Promise<Figures | undefined> {
  const { body } = await rest(worker, "GET", `/connectors/${name}/status`);
  return body.tasks?.[0]?.metrics;
}

/** The value of one series of GET /metrics for the connector's task 0, or undefined when absent. */
async function scraped(
  name: string,
  metric: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const response = await fetch(`${worker.url}/metrics`);
  const wanted = { ...labels, connector: name, task: "0" };
  for (const line of (await response.text()).split("\n")) {
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] !== metric) continue;
    const found = Object.fromEntries(
      [...(match[2] as string).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(wanted).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

function byTable(samples: Array<{ table: string; value: number }> | undefined): Record<string, number> {
  return Object.fromEntries((samples ?? []).map((s) => [s.table, s.value]));
}

test("the status shows a snapshot's rows per table against the estimate while it runs, then the totals", {
  timeout: 600_000,
}, async () => {
  const name = `cdc-metrics-snapshot-${Date.now()}`;
  const config = connectorConfig(DB, {
    "snapshot.mode": "initial",
    "table.include.list": `${DB}\\.(big|small)`,
    "topic.prefix": `metrics${Date.now()}`,
  });
  await rest(worker, "POST", "/connectors", { name, config: { ...config, "connector.class": "mysql-cdc" } });
  const seen: Array<{ running: number; big: number; estimated: number }> = [];
  const done = await eventually(
    async () => {
      const now = await figures(name);
      if (now?.snapshot_running === undefined) return undefined;
      seen.push({
        running: now.snapshot_running,
        big: byTable(now.snapshot_rows_scanned)[`${DB}.big`] ?? 0,
        estimated: byTable(now.snapshot_rows_estimated)[`${DB}.big`] ?? 0,
      });
      return now.snapshot_completed === 1 ? now : undefined;
    },
    540_000,
    "the snapshot to complete",
  );
  try {
    const midway = seen.filter((s) => s.running === 1 && s.big > 0 && s.big < BIG_ROWS);
    expect(midway.length).toBeGreaterThan(0);
    expect(midway.every((s) => s.estimated > 0)).toBe(true);
    const counts = seen.map((s) => s.big);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));

    expect(done.snapshot_running).toBe(0);
    expect(byTable(done.snapshot_rows_scanned)).toEqual({ [`${DB}.big`]: BIG_ROWS, [`${DB}.small`]: 10 });
    expect(Object.keys(byTable(done.snapshot_rows_estimated)).sort()).toEqual([`${DB}.big`, `${DB}.small`]);
    expect(done.change_events_total).toBeGreaterThanOrEqual(BIG_ROWS + 10);
    expect(await scraped(name, "sluice_source_snapshot_rows_scanned", { table: `${DB}.big` })).toBe(BIG_ROWS);
    expect(await scraped(name, "sluice_source_snapshot_completed")).toBe(1);
  } finally {
    await rest(worker, "DELETE", `/connectors/${name}`);
  }
  // A deleted connector's series are gone.
  expect(await scraped(name, "sluice_source_snapshot_completed")).toBeUndefined();
});

test("the lag follows the binlog events' timestamps and grows while the task is paused; events are counted", {
  timeout: 300_000,
}, async () => {
  const name = `cdc-metrics-lag-${Date.now()}`;
  const config = connectorConfig(DB, {
    "snapshot.mode": "no_data",
    "table.include.list": `${DB}\\.events`,
    "topic.prefix": `metricslag${Date.now()}`,
  });
  await rest(worker, "POST", "/connectors", { name, config: { ...config, "connector.class": "mysql-cdc" } });
  try {
    const streaming = await eventually(async () => {
      const now = await figures(name);
      return now?.milliseconds_behind_source === undefined ? undefined : now;
    });
    expect(streaming).toMatchObject({ snapshot_running: 0, snapshot_completed: 1, change_events_total: 0 });

    await db.query(`INSERT INTO ${DB}.events VALUES (1), (2), (3)`);
    const live = await eventually(async () => {
      const now = await figures(name);
      return (now?.change_events_total ?? 0) >= 3 ? now : undefined;
    });
    expect(live?.change_events_total).toBe(3);
    expect(live?.change_events_per_second).toBeGreaterThan(0);
    expect(live?.milliseconds_behind_source).toBeLessThan(3_600_000);
    expect(await scraped(name, "sluice_source_change_events_total")).toBe(3);

    // The server writes a session's TIMESTAMP into the binlog events: two hours ago.
    await db.query(
      `SET TIMESTAMP = UNIX_TIMESTAMP() - 7200; INSERT INTO ${DB}.events VALUES (4); SET TIMESTAMP = DEFAULT`,
    );
    const late = await eventually(async () => {
      const now = await figures(name);
      return now?.change_events_total === 4 && now.milliseconds_behind_source >= 7_200_000 ? now : undefined;
    });
    expect(late.milliseconds_behind_source).toBeLessThan(7_200_000 + 600_000);
    expect(await scraped(name, "sluice_source_milliseconds_behind_source")).toBeGreaterThanOrEqual(7_200_000);

    // A change written now brings it back.
    await db.query(`INSERT INTO ${DB}.events VALUES (5)`);
    await eventually(async () => {
      const now = await figures(name);
      return now?.change_events_total === 5 && now.milliseconds_behind_source < 3_600_000 ? now : undefined;
    });

    // Paused, the task reads nothing; a change waiting in the binlog makes the lag grow.
    expect((await rest(worker, "PUT", `/connectors/${name}/pause`)).status).toBe(202);
    await eventually(async () => {
      const { body } = await rest(worker, "GET", `/connectors/${name}/status`);
      return body.tasks?.[0]?.state === "PAUSED" ? true : undefined;
    });
    let counted = 5;
    let id = 100;
    await db.query(`INSERT INTO ${DB}.events VALUES (${id})`);
    const stalled = await eventually(
      async () => {
        const now = await figures(name);
        if (now === undefined) return undefined;
        if (now.change_events_total > counted) {
          // A poll that was under way when the pause came read it: wait on the next change instead.
          counted = now.change_events_total;
          await db.query(`INSERT INTO ${DB}.events VALUES (${++id})`);
          return undefined;
        }
        return now.milliseconds_behind_source >= 3_000 ? now : undefined;
      },
      60_000,
      "the lag to grow while paused",
    );
    const later = await eventually(
      async () => {
        const now = await figures(name);
        return now && now.milliseconds_behind_source >= stalled.milliseconds_behind_source + 2_000
          ? now
          : undefined;
      },
      60_000,
      "the lag to keep growing",
    );
    expect(later.change_events_total).toBe(counted);
    expect(await scraped(name, "sluice_source_milliseconds_behind_source")).toBeGreaterThanOrEqual(
      later.milliseconds_behind_source,
    );

    expect((await rest(worker, "PUT", `/connectors/${name}/resume`)).status).toBe(202);
    await eventually(async () => {
      const now = await figures(name);
      return now && now.change_events_total > counted ? now : undefined;
    });
  } finally {
    await rest(worker, "DELETE", `/connectors/${name}`);
  }
});
