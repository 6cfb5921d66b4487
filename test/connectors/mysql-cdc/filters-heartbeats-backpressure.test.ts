// Invariant: only included databases, tables and columns reach change events (masked columns as `*`s);
// heartbeats carry the offset past transactions of tables nobody captures; and a reader that is not
// polled pauses the binlog connection at max.queue.size instead of buffering without bound.

import { MariadbGtidPosition } from "@vlasky/zongji";
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import { comparePositions } from "../../../connectors/mysql-cdc/offset-context.ts";
import type { SourceRecord } from "../../../runtime/api/index.ts";
import {
  adminConnection,
  changesOf,
  connectorConfig,
  envelope,
  freshDatabase,
  TaskHarness,
} from "./harness.ts";

const DB = "cdc_filters";
const OTHER = "cdc_filters_other";
let db: mysql.Connection;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await freshDatabase(db, OTHER);
  await db.query(`
    CREATE TABLE ${DB}.people (id INT PRIMARY KEY, name VARCHAR(50), ssn VARCHAR(20), secret VARCHAR(20));
    CREATE TABLE ${DB}.audit (id INT PRIMARY KEY);
    CREATE TABLE ${DB}.bulk (id INT PRIMARY KEY, payload VARCHAR(200));
    CREATE TABLE ${OTHER}.people (id INT PRIMARY KEY)`);
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}; DROP DATABASE IF EXISTS ${OTHER}`);
  await db.end();
});

test("table and column lists filter what is captured; masked columns carry N asterisks", async () => {
  const harness = await TaskHarness.start(
    connectorConfig(DB, {
      "table.exclude.list": `${DB}\\.audit,${DB}\\.bulk`,
      "column.exclude.list": `${DB}\\.people\\.secret`,
      "column.mask.with.5.chars": `${DB}\\.people\\.ssn`,
    }),
  );
  try {
    await db.query(`
      INSERT INTO ${OTHER}.people VALUES (1);
      INSERT INTO ${DB}.audit VALUES (1);
      INSERT INTO ${DB}.people VALUES (1, 'Ada', '123-45-6789', 'hunter2')`);
    const records = await harness.pollRecords(1);
    expect(records.map((r) => [r.topic, r.key, envelope(r).after])).toEqual([
      [`cdc-filters.${DB}.people`, { id: 1 }, { id: 1, name: "Ada", ssn: "*****" }],
    ]);
    const fields = records[0]?.valueSchema?.fields?.[1]?.fields?.map((f) => f.field);
    expect(fields).toEqual(["id", "name", "ssn"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await harness.drain()).toEqual([]);
  } finally {
    await harness.stop();
  }
});

test("heartbeats move the offset past transactions of tables the connector does not capture", async () => {
  const harness = await TaskHarness.start(
    connectorConfig(DB, { "table.include.list": `${DB}\\.people`, "heartbeat.interval.ms": "200" }),
  );
  try {
    await db.query(`INSERT INTO ${DB}.people VALUES (2, 'Bea', NULL, NULL)`);
    const [change] = await harness.pollRecords(1, { filter: changesOf(`cdc-filters.${DB}.people`) });
    for (let i = 0; i < 5; i++) await db.query(`INSERT INTO ${OTHER}.people VALUES (${100 + i})`);
    const [[status]] = (await db.query("SHOW MASTER STATUS")) as [
      Array<{ File: string; Position: string }>,
      unknown,
    ];
    const [[last]] = (await db.query("SELECT @@last_gtid AS gtid")) as [Array<{ gtid: string }>, unknown];
    const end = { file: status?.File as string, pos: Number(status?.Position) };
    // Heartbeats keep coming; wait for one at or past where the server's binlog ended after the inserts.
    let heartbeat: SourceRecord | undefined;
    const deadline = Date.now() + 10_000;
    const reached = (r: SourceRecord | undefined) =>
      r !== undefined && comparePositions(r.sourceOffset as { file: string; pos: number }, end) >= 0;
    while (!reached(heartbeat) && Date.now() < deadline) {
      const beats = await harness.pollRecords(1, {
        filter: (r) => r.topic === "__debezium-heartbeat.cdc-filters",
      });
      heartbeat = beats.at(-1);
    }
    // The offset it carries has every one of those transactions executed.
    const executed = MariadbGtidPosition.parse(heartbeat?.sourceOffset.gtids as string);
    expect(executed.covers(last?.gtid)).toBe(true);
    expect(heartbeat).toEqual({
      topic: "__debezium-heartbeat.cdc-filters",
      key: { serverName: "cdc-filters" },
      keySchema: {
        type: "struct",
        optional: false,
        name: "io.debezium.connector.common.ServerNameKey",
        version: 1,
        fields: [{ field: "serverName", type: "string", optional: false }],
      },
      value: { ts_ms: expect.any(Number) },
      valueSchema: {
        type: "struct",
        optional: false,
        name: "io.debezium.connector.common.Heartbeat",
        version: 1,
        fields: [{ field: "ts_ms", type: "int64", optional: false }],
      },
      headers: [],
      sourcePartition: { server: "cdc-filters" },
      sourceOffset: {
        file: expect.stringMatching(/^binlog\.\d+$/),
        pos: expect.any(Number),
        gtids: expect.any(String),
        event: 0,
        row: 0,
        record: 0,
        snapshot: false,
      },
    });
    expect(heartbeat?.sourceOffset.pos).toBeGreaterThan(change?.sourceOffset.pos as number);
  } finally {
    await harness.stop();
  }
});

test("an idle poll waits poll.interval.ms and returns nothing; a stop cuts the wait short", async () => {
  const harness = await TaskHarness.start(
    connectorConfig(DB, { "table.include.list": `${DB}\\.audit`, "poll.interval.ms": "400" }),
  );
  try {
    expect(await harness.pollOnce()).toEqual([]); // no_data: the first poll ends the (schema-only) snapshot
    const started = performance.now();
    expect(await harness.task.poll(new AbortController().signal)).toBeNull();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(2_000);
    const stopping = new AbortController();
    const poll = harness.task.poll(stopping.signal);
    setTimeout(() => stopping.abort(), 20);
    const before = performance.now();
    expect(await poll).toBeNull();
    expect(performance.now() - before).toBeLessThan(300);
  } finally {
    await harness.stop();
  }
});

test("without polls the binlog connection pauses at max.queue.size; polls then deliver every row in order", async () => {
  const harness = await TaskHarness.start(
    connectorConfig(DB, {
      "table.include.list": `${DB}\\.bulk`,
      "max.batch.size": "100",
      "max.queue.size": "500",
    }),
  );
  const ROWS = 20_000;
  try {
    expect(await harness.pollOnce()).toEqual([]); // no_data: the first poll ends the (schema-only) snapshot
    const payload = "p".repeat(150);
    await db.query(`INSERT INTO ${DB}.bulk SELECT seq, '${payload}' FROM ${DB}.seq_1_to_${ROWS}`);
    const deadline = Date.now() + 10_000;
    while (!harness.task.streamingQueue()?.paused && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const paused = harness.task.streamingQueue();
    expect(paused?.paused).toBe(true);
    // Bounded by max.queue.size plus what was already in the socket's buffer when the pause took effect.
    expect(paused?.queuedRows).toBeGreaterThanOrEqual(500);
    expect(paused?.queuedRows).toBeLessThan(3_000);

    const records = await harness.pollRecords(ROWS, { timeoutMs: 60_000 });
    expect(records.map((r) => (r.key as { id: number }).id)).toEqual(
      Array.from({ length: ROWS }, (_, i) => i + 1),
    );
    expect(harness.task.streamingQueue()).toEqual({ paused: false, queuedRows: 0 });
  } finally {
    await harness.stop();
  }
});
