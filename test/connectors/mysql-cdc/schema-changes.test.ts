// Invariant: CREATE, ALTER, DROP and RENAME mid-stream never mis-map a column: each row is decoded with the
// columns it was written with, also when a restart replays events from before the DDL; with a schema
// history file the replay also carries the column attributes (nullability, defaults) recorded at the time.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { SourceRecord } from "../../../runtime/api/index.ts";
import { adminConnection, connectorConfig, envelope, freshDatabase, TaskHarness } from "./harness.ts";

const DB = "cdc_ddl";
const PREFIX = "cdc-ddl";
let db: mysql.Connection;
let dir: string;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  dir = await mkdtemp(join(tmpdir(), "sluice-mysql-cdc-"));
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
  await rm(dir, { recursive: true, force: true });
});

/** The row fields of a change event's value schema: name, type and optionality of each column. */
function columns(record: SourceRecord | undefined): Array<[string, string, boolean, unknown]> {
  const row = record?.valueSchema?.fields?.[1];
  return (row?.fields ?? []).map((f) => [f.field, f.type, f.optional ?? false, f.default]);
}

function changes(records: readonly SourceRecord[]) {
  return records.filter((r) => r.value !== null && r.topic !== PREFIX);
}

const DDL_AND_DML = [
  `CREATE TABLE ${DB}.t (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL, b INT NULL)`,
  `INSERT INTO ${DB}.t VALUES (1, 'one', 10)`,
  `ALTER TABLE ${DB}.t ADD COLUMN c INT NOT NULL DEFAULT 7 AFTER a`,
  `INSERT INTO ${DB}.t VALUES (2, 'two', 22, 20)`,
  `ALTER TABLE ${DB}.t DROP COLUMN b`,
  `INSERT INTO ${DB}.t VALUES (3, 'three', 33)`,
  `ALTER TABLE ${DB}.t CHANGE COLUMN a name VARCHAR(20) NULL`,
  `UPDATE ${DB}.t SET name = 'uno' WHERE id = 1`,
  `RENAME TABLE ${DB}.t TO ${DB}.t2`,
  `INSERT INTO ${DB}.t2 VALUES (4, 'four', 44)`,
  `DROP TABLE ${DB}.t2`,
  `CREATE TABLE ${DB}.t (id BIGINT PRIMARY KEY, note TEXT)`,
  `INSERT INTO ${DB}.t VALUES (5, 'recreated')`,
];

const EXPECTED_CHANGES = [
  { topic: `${PREFIX}.${DB}.t`, op: "c", after: { id: 1, a: "one", b: 10 } },
  { topic: `${PREFIX}.${DB}.t`, op: "c", after: { id: 2, a: "two", c: 22, b: 20 } },
  { topic: `${PREFIX}.${DB}.t`, op: "c", after: { id: 3, a: "three", c: 33 } },
  { topic: `${PREFIX}.${DB}.t`, op: "u", after: { id: 1, name: "uno", c: 7 } },
  { topic: `${PREFIX}.${DB}.t2`, op: "c", after: { id: 4, name: "four", c: 44 } },
  { topic: `${PREFIX}.${DB}.t`, op: "c", after: { id: 5, note: "recreated" } },
];

const EXPECTED_COLUMNS = [
  [
    ["id", "int32", false, undefined],
    ["a", "string", false, undefined],
    ["b", "int32", true, undefined],
  ],
  [
    ["id", "int32", false, undefined],
    ["a", "string", false, undefined],
    ["c", "int32", false, 7],
    ["b", "int32", true, undefined],
  ],
  [
    ["id", "int32", false, undefined],
    ["a", "string", false, undefined],
    ["c", "int32", false, 7],
  ],
  [
    ["id", "int32", false, undefined],
    ["name", "string", true, undefined],
    ["c", "int32", false, 7],
  ],
  [
    ["id", "int32", false, undefined],
    ["name", "string", true, undefined],
    ["c", "int32", false, 7],
  ],
  [
    ["id", "int64", false, undefined],
    ["note", "string", true, undefined],
  ],
];

test("rows around CREATE, ALTER, RENAME and DROP decode with their own columns, live and after a restart from before the DDL", async () => {
  await db.query(`DROP TABLE IF EXISTS ${DB}.t, ${DB}.t2`);
  const history = join(dir, "history.jsonl");
  const raw = connectorConfig(DB, {
    "include.schema.changes": "true",
    "schema.history.internal.file.filename": history,
  });
  const live = await TaskHarness.start(raw);
  let all: SourceRecord[];
  try {
    // One statement at a time, each polled before the next, as a connector that keeps up sees them.
    all = [];
    for (const statement of DDL_AND_DML) {
      await db.query(statement);
      all.push(...(await live.pollRecords(1, { timeoutMs: 30_000 })));
    }
  } finally {
    await live.stop();
  }
  const rows = changes(all);
  expect(rows.map((r) => ({ topic: r.topic, op: envelope(r).op, after: envelope(r).after }))).toEqual(
    EXPECTED_CHANGES,
  );
  expect(rows.map(columns)).toEqual(EXPECTED_COLUMNS);

  // The schema-change topic got one event per DDL, keyed by database, with the table as changed.
  const ddl = all.filter((r) => r.topic === PREFIX);
  expect(ddl.map((r) => r.key)).toEqual(Array(7).fill({ databaseName: DB }));
  const summary = ddl.map((r) => {
    const value = r.value as {
      ddl: string;
      tableChanges: Array<{ type: string; id: string; table: { columns: Array<{ name: string }> } }>;
    };
    return [
      value.ddl,
      value.tableChanges.map((c) => [c.type, c.id, c.table.columns.map((col) => col.name).join(",")]),
    ];
  });
  expect(summary).toEqual([
    [DDL_AND_DML[0], [["CREATE", `"${DB}"."t"`, "id,a,b"]]],
    [DDL_AND_DML[2], [["ALTER", `"${DB}"."t"`, "id,a,c,b"]]],
    [DDL_AND_DML[4], [["ALTER", `"${DB}"."t"`, "id,a,c"]]],
    [DDL_AND_DML[6], [["ALTER", `"${DB}"."t"`, "id,name,c"]]],
    [
      DDL_AND_DML[8],
      [
        ["DROP", `"${DB}"."t"`, "id,name,c"],
        ["ALTER", `"${DB}"."t2"`, "id,name,c"],
      ],
    ],
    // The server logs DROP TABLE with its own spelling.
    [`DROP TABLE \`${DB}\`.\`t2\` /* generated by server */`, [["DROP", `"${DB}"."t2"`, "id,name,c"]]],
    [DDL_AND_DML[11], [["CREATE", `"${DB}"."t"`, "id,note"]]],
  ]);
  expect(await readFile(history, "utf8")).toContain('"ddl":null');

  // Restarted from the first row's offset — before every ALTER, with the table long since dropped and
  // recreated — the replay decodes each row as it was written, with the attributes recorded then.
  const replay = await TaskHarness.start(raw, rows[0]?.sourceOffset ?? null);
  try {
    const replayed = changes(await replay.pollRecords(5 + 6, { timeoutMs: 30_000 }));
    expect(replayed.map((r) => ({ topic: r.topic, op: envelope(r).op, after: envelope(r).after }))).toEqual(
      EXPECTED_CHANGES.slice(1),
    );
    expect(replayed.map(columns)).toEqual(EXPECTED_COLUMNS.slice(1));
  } finally {
    await replay.stop();
  }

  // Without a history file the values still map to the right columns; only attributes the binlog does
  // not carry (nullability, defaults) fall back to what the binlog can tell.
  const { "schema.history.internal.file.filename": _, ...withoutHistory } = raw;
  const blind = await TaskHarness.start(withoutHistory, rows[0]?.sourceOffset ?? null);
  try {
    const replayed = changes(await blind.pollRecords(5 + 6, { timeoutMs: 30_000 }));
    expect(replayed.map((r) => ({ topic: r.topic, op: envelope(r).op, after: envelope(r).after }))).toEqual(
      EXPECTED_CHANGES.slice(1),
    );
    expect(replayed.map((r) => columns(r).map(([name, type]) => [name, type]))).toEqual(
      EXPECTED_COLUMNS.slice(1).map((cols) => cols.map(([name, type]) => [name, type])),
    );
  } finally {
    await blind.stop();
  }
});

test("a connector that lags behind several DDLs still maps every value to the column it was written to", async () => {
  await db.query(`DROP TABLE IF EXISTS ${DB}.t, ${DB}.t2`);
  const lagging = await TaskHarness.start(connectorConfig(DB));
  try {
    for (const statement of DDL_AND_DML) await db.query(statement);
    const rows = changes(await lagging.pollRecords(6, { timeoutMs: 30_000 }));
    expect(rows.map((r) => ({ topic: r.topic, op: envelope(r).op, after: envelope(r).after }))).toEqual(
      EXPECTED_CHANGES,
    );
    // The definitions read when each DDL was processed are already the final ones; where they disagree
    // with what the binlog says a row was written with, the binlog's columns win.
    expect(rows.map((r) => columns(r).map(([name, type]) => [name, type]))).toEqual(
      EXPECTED_COLUMNS.map((cols) => cols.map(([name, type]) => [name, type])),
    );
  } finally {
    await lagging.stop();
  }
});

test("CREATE TABLE … SELECT streams its schema change, then the copied rows, in one transaction", async () => {
  await db.query(
    `DROP TABLE IF EXISTS ${DB}.src, ${DB}.copy; CREATE TABLE ${DB}.src (id INT PRIMARY KEY, v INT)`,
  );
  await db.query(`INSERT INTO ${DB}.src VALUES (1, 10), (2, 20)`);
  const harness = await TaskHarness.start(
    connectorConfig(DB, { "include.schema.changes": "true", "table.include.list": `${DB}\\.copy` }),
  );
  try {
    await harness.pollOnce(); // ends the no_data snapshot
    await db.query(`CREATE TABLE ${DB}.copy (PRIMARY KEY (id)) SELECT id, v FROM ${DB}.src`);
    await db.query(`INSERT INTO ${DB}.copy VALUES (3, 30)`);
    const records = await harness.pollRecords(4);
    expect(records.map((r) => [r.topic, (r.value as { op?: string }).op ?? "schema change", r.key])).toEqual([
      [PREFIX, "schema change", { databaseName: DB }],
      [`${PREFIX}.${DB}.copy`, "c", { id: 1 }],
      [`${PREFIX}.${DB}.copy`, "c", { id: 2 }],
      [`${PREFIX}.${DB}.copy`, "c", { id: 3 }],
    ]);
    // The copied rows belong to the CREATE's transaction; the next insert starts after its commit.
    expect(records[1]?.sourceOffset).toMatchObject({ pos: records[0]?.sourceOffset.pos, event: 0, row: 1 });
    expect(records[3]?.sourceOffset.pos).toBeGreaterThan(records[1]?.sourceOffset.pos as number);
  } finally {
    await harness.stop();
  }
});
