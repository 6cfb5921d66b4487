// Invariant: every committed insert, update and delete of a captured table arrives once, in commit order,
// as Debezium's envelope — key = the primary key, value = {before, after, source, transaction, op, ts_*}
// with Kafka Connect schemas on both — followed by a tombstone after each delete and split into a
// delete and a create when the primary key changes.
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { SourceRecord } from "../../../runtime/api/index.ts";
import {
  adminConnection,
  changesOf,
  connectorConfig,
  envelope,
  freshDatabase,
  TaskHarness,
} from "./harness.ts";

const DB = "cdc_envelopes";
const TOPIC = "cdc-envelopes.cdc_envelopes.customers";
let db: mysql.Connection;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`CREATE TABLE ${DB}.customers (
    id INT NOT NULL PRIMARY KEY,
    name VARCHAR(50) NOT NULL,
    email VARCHAR(100) NULL
  )`);
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

const rowSchema = {
  type: "struct",
  optional: true,
  name: `${TOPIC}.Value`,
  fields: [
    { field: "id", type: "int32", optional: false },
    { field: "name", type: "string", optional: false },
    { field: "email", type: "string", optional: true },
  ],
};

const sourceSchema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.mysql.Source",
  version: 1,
  fields: [
    { field: "version", type: "string", optional: false },
    { field: "connector", type: "string", optional: false },
    { field: "name", type: "string", optional: false },
    { field: "ts_ms", type: "int64", optional: false },
    {
      field: "snapshot",
      type: "string",
      optional: true,
      name: "io.debezium.data.Enum",
      version: 1,
      parameters: {
        allowed: "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
      },
      default: "false",
    },
    { field: "db", type: "string", optional: false },
    { field: "sequence", type: "string", optional: true },
    { field: "ts_us", type: "int64", optional: true },
    { field: "ts_ns", type: "int64", optional: true },
    { field: "table", type: "string", optional: true },
    { field: "server_id", type: "int64", optional: false },
    { field: "gtid", type: "string", optional: true },
    { field: "file", type: "string", optional: false },
    { field: "pos", type: "int64", optional: false },
    { field: "row", type: "int32", optional: false },
    { field: "thread", type: "int64", optional: true },
    { field: "query", type: "string", optional: true },
  ],
};

const envelopeSchema = {
  type: "struct",
  optional: false,
  name: `${TOPIC}.Envelope`,
  version: 2,
  fields: [
    { ...rowSchema, field: "before" },
    { ...rowSchema, field: "after" },
    { ...sourceSchema, field: "source" },
    {
      field: "transaction",
      type: "struct",
      optional: true,
      name: "event.block",
      version: 1,
      fields: [
        { field: "id", type: "string", optional: false },
        { field: "total_order", type: "int64", optional: false },
        { field: "data_collection_order", type: "int64", optional: false },
      ],
    },
    { field: "op", type: "string", optional: false },
    { field: "ts_ms", type: "int64", optional: true },
    { field: "ts_us", type: "int64", optional: true },
    { field: "ts_ns", type: "int64", optional: true },
  ],
};

const keySchema = {
  type: "struct",
  optional: false,
  name: `${TOPIC}.Key`,
  fields: [{ field: "id", type: "int32", optional: false }],
};

/** The GTID of the last transaction this session committed. */
async function gtidOfLastTransaction(): Promise<string> {
  const [[row]] = (await db.query("SELECT @@last_gtid AS gtid")) as [Array<{ gtid: string }>, unknown];
  return row?.gtid ?? "";
}

function expectedSource(row: number, gtid: string) {
  return {
    version: "0.1.0",
    connector: "mysql",
    name: "cdc-envelopes",
    ts_ms: expect.any(Number),
    snapshot: "false",
    db: DB,
    sequence: null,
    ts_us: expect.any(Number),
    ts_ns: expect.any(BigInt),
    table: "customers",
    server_id: 1,
    gtid,
    file: expect.stringMatching(/^binlog\.\d{6}$/),
    pos: expect.any(Number),
    row,
    thread: null,
    query: null,
  };
}

function expectedRecord(key: unknown, value: unknown, headers: unknown[] = []) {
  return {
    topic: TOPIC,
    key,
    keySchema,
    value,
    valueSchema: value === null ? undefined : envelopeSchema,
    headers,
    sourcePartition: { server: "cdc-envelopes" },
    sourceOffset: expect.objectContaining({ file: expect.any(String), pos: expect.any(Number) }),
  };
}

function change(op: string, before: unknown, after: unknown, row: number, gtid: string) {
  return {
    before,
    after,
    source: expectedSource(row, gtid),
    transaction: null,
    op,
    ts_ms: expect.any(Number),
    ts_us: expect.any(Number),
    ts_ns: expect.any(BigInt),
  };
}

test("insert, update, delete and a primary-key change arrive as Debezium envelopes with schemas, in commit order", async () => {
  const harness = await TaskHarness.start(connectorConfig(DB));
  try {
    await db.query(`INSERT INTO ${DB}.customers VALUES (1, 'Anne', 'anne@example.com'), (2, 'Bob', NULL)`);
    const insertGtid = await gtidOfLastTransaction();
    await db.query(`UPDATE ${DB}.customers SET name = 'Anne Marie' WHERE id = 1`);
    const updateGtid = await gtidOfLastTransaction();
    await db.query(`DELETE FROM ${DB}.customers WHERE id = 2`);
    const deleteGtid = await gtidOfLastTransaction();
    await db.query(`UPDATE ${DB}.customers SET id = 10 WHERE id = 1`);
    const rekeyGtid = await gtidOfLastTransaction();

    const records = await harness.pollRecords(8, { filter: (r: SourceRecord) => r.topic === TOPIC });
    const anne = { id: 1, name: "Anne", email: "anne@example.com" };
    const anneMarie = { id: 1, name: "Anne Marie", email: "anne@example.com" };
    const bob = { id: 2, name: "Bob", email: null };
    expect(records).toEqual([
      expectedRecord({ id: 1 }, change("c", null, anne, 0, insertGtid)),
      expectedRecord({ id: 2 }, change("c", null, bob, 1, insertGtid)),
      expectedRecord({ id: 1 }, change("u", anne, anneMarie, 0, updateGtid)),
      expectedRecord({ id: 2 }, change("d", bob, null, 0, deleteGtid)),
      expectedRecord({ id: 2 }, null),
      expectedRecord({ id: 1 }, change("d", anneMarie, null, 0, rekeyGtid), [
        { key: "__debezium.newkey", value: '{"id":10}' },
      ]),
      expectedRecord({ id: 1 }, null),
      expectedRecord({ id: 10 }, change("c", null, { ...anneMarie, id: 10 }, 0, rekeyGtid), [
        { key: "__debezium.oldkey", value: '{"id":1}' },
      ]),
    ]);
    // Rows of one transaction share its position; row counts the row within its event.
    expect(envelope(records[1]).source.pos).toBe(envelope(records[0]).source.pos);
  } finally {
    await harness.stop();
  }
});

test("a multi-statement transaction arrives whole and in statement order, after the transactions committed before it", async () => {
  const harness = await TaskHarness.start(connectorConfig(DB));
  try {
    const other = await adminConnection();
    await db.query(`DELETE FROM ${DB}.customers`);
    await other.query("BEGIN");
    await other.query(`INSERT INTO ${DB}.customers VALUES (100, 'late', NULL)`);
    await db.query(`INSERT INTO ${DB}.customers VALUES (200, 'early', NULL)`);
    await other.query(`UPDATE ${DB}.customers SET name = 'late, updated' WHERE id = 100`);
    await other.query(`INSERT INTO ${DB}.customers VALUES (101, 'late too', NULL)`);
    await other.query("COMMIT");
    await other.end();
    const records = await harness.pollRecords(4, { filter: changesOf(TOPIC) });
    const summary = records.slice(-4).map((r) => [envelope(r).op, r.key]);
    expect(summary).toEqual([
      ["c", { id: 200 }],
      ["c", { id: 100 }],
      ["u", { id: 100 }],
      ["c", { id: 101 }],
    ]);
  } finally {
    await harness.stop();
  }
});

test("with tombstones.on.delete=false a delete is a single event", async () => {
  const harness = await TaskHarness.start(connectorConfig(DB, { "tombstones.on.delete": "false" }));
  try {
    await db.query(`INSERT INTO ${DB}.customers VALUES (300, 'gone soon', NULL)`);
    await db.query(`DELETE FROM ${DB}.customers WHERE id = 300`);
    const records = await harness.pollRecords(2, { filter: (r: SourceRecord) => r.topic === TOPIC });
    expect(records.map((r) => [envelope(r)?.op ?? "tombstone", r.key])).toEqual([
      ["c", { id: 300 }],
      ["d", { id: 300 }],
    ]);
    await db.query(`INSERT INTO ${DB}.customers VALUES (301, 'marker', NULL)`);
    const [marker] = await harness.pollRecords(1, { filter: (r: SourceRecord) => r.topic === TOPIC });
    expect(marker?.key).toEqual({ id: 301 });
  } finally {
    await harness.stop();
  }
});

test("with include.query, source.query holds the statement that made the change", async () => {
  const harness = await TaskHarness.start(connectorConfig(DB, { "include.query": "true" }));
  try {
    await harness.pollOnce(); // ends the no_data snapshot
    const statement = `INSERT INTO ${DB}.customers VALUES (400, 'Quinn', NULL)`;
    await db.query(statement);
    const [record] = await harness.pollRecords(1, { filter: changesOf(TOPIC) });
    expect(envelope(record).source.query).toBe(statement);
  } finally {
    await harness.stop();
  }
});
