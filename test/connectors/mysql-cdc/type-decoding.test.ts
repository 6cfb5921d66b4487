// Invariant: every column type decodes to Debezium's exact value — integers beyond 2^53 as exact bigints,
// DECIMAL as exact text under a Decimal schema, temporal types at the column's precision, utf8mb4 text,
// binary as bytes, ENUM/SET/BIT/JSON — and a row reads the same whether it was streamed from the binlog
// or read by a snapshot.
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

const DB = "cdc_types";
const TOPIC = "cdc-types.cdc_types.all_types";
let db: mysql.Connection;

const COLUMNS = `
  id INT NOT NULL PRIMARY KEY,
  t_tinyint TINYINT, t_tinyint_u TINYINT UNSIGNED,
  t_smallint SMALLINT, t_smallint_u SMALLINT UNSIGNED,
  t_mediumint MEDIUMINT, t_mediumint_u MEDIUMINT UNSIGNED,
  t_int INT, t_int_u INT UNSIGNED,
  t_bigint BIGINT, t_bigint_u BIGINT UNSIGNED,
  t_decimal DECIMAL(30,10), t_decimal0 DECIMAL(5,0),
  t_float FLOAT, t_double DOUBLE,
  t_date DATE, t_time TIME, t_time6 TIME(6),
  t_datetime DATETIME, t_datetime3 DATETIME(3), t_datetime6 DATETIME(6),
  t_timestamp TIMESTAMP NULL, t_timestamp6 TIMESTAMP(6) NULL,
  t_year YEAR,
  t_char CHAR(10), t_varchar VARCHAR(100), t_text TEXT, t_longtext LONGTEXT,
  t_binary BINARY(4), t_varbinary VARBINARY(10), t_blob BLOB,
  t_enum ENUM('small','medium','large'), t_set SET('a','b','c'),
  t_bit1 BIT(1), t_bit BIT(12),
  t_json JSON,
  t_bool BOOLEAN`;

const LONG_TEXT = "Ω".repeat(70_000);
const BLOB = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256);

const ROWS = `
  (1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
   9223372036854775807, 18446744073709551615,
   12345678901234567890.1234567890, 99999, 1.5, 1.7976931348623157e308,
   '9999-12-31', '838:59:59', '12:34:56.789012',
   '9999-12-31 23:59:59', '2020-01-02 03:04:05.678', '9999-12-31 23:59:59.999999',
   '2038-01-19 03:14:07', '1970-01-01 00:00:01.000001', 2155,
   'abc', '👩‍💻 héllo wörld', 'line one\nline two', '${LONG_TEXT}',
   x'0102', x'00ff00', x'${Buffer.from(BLOB).toString("hex")}',
   'large', 'a,c', b'1', b'100000000001',
   '{"a": [1, 2.5, "x"], "b": null}', TRUE),
  (2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
   -9223372036854775808, 9007199254740993,
   -0.0000000001, -99999, -0.1, -2.5e-300,
   '1000-01-01', '-838:59:59', '-00:00:01.500000',
   '1000-01-01 00:00:00', '1970-01-01 00:00:00.001', '1969-12-31 23:59:59.999999',
   '1970-01-01 00:00:01', '2020-02-29 12:00:00.5', 1901,
   '', '', '', '',
   x'', x'', x'',
   'small', '', b'0', b'0',
   '[]', FALSE),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL)`;

const EXPECTED: Array<Record<string, unknown>> = [
  {
    id: 1,
    t_tinyint: 127,
    t_tinyint_u: 255,
    t_smallint: 32767,
    t_smallint_u: 65535,
    t_mediumint: 8388607,
    t_mediumint_u: 16777215,
    t_int: 2147483647,
    t_int_u: 4294967295,
    t_bigint: 9223372036854775807n,
    // bigint.unsigned.handling.mode=long wraps values above 2^63-1, as Debezium documents.
    t_bigint_u: -1,
    t_decimal: "12345678901234567890.1234567890",
    t_decimal0: "99999",
    t_float: 1.5,
    t_double: 1.7976931348623157e308,
    t_date: 2932896,
    t_time: 3020399000000,
    t_time6: 45296789012,
    t_datetime: 253402300799000,
    t_datetime3: 1577934245678,
    t_datetime6: 253402300799999999n,
    t_timestamp: "2038-01-19T03:14:07Z",
    t_timestamp6: "1970-01-01T00:00:01.000001Z",
    t_year: 2155,
    t_char: "abc",
    t_varchar: "👩‍💻 héllo wörld",
    t_text: "line one\nline two",
    t_longtext: LONG_TEXT,
    t_binary: Uint8Array.of(1, 2, 0, 0),
    t_varbinary: Uint8Array.of(0, 255, 0),
    t_blob: BLOB,
    t_enum: "large",
    t_set: "a,c",
    t_bit1: true,
    t_bit: Uint8Array.of(0x01, 0x08),
    t_json: '{"a": [1, 2.5, "x"], "b": null}',
    t_bool: 1,
  },
  {
    id: 2,
    t_tinyint: -128,
    t_tinyint_u: 0,
    t_smallint: -32768,
    t_smallint_u: 0,
    t_mediumint: -8388608,
    t_mediumint_u: 0,
    t_int: -2147483648,
    t_int_u: 0,
    t_bigint: -9223372036854775808n,
    t_bigint_u: 9007199254740993n,
    t_decimal: "-0.0000000001",
    t_decimal0: "-99999",
    t_float: Math.fround(-0.1),
    t_double: -2.5e-300,
    t_date: -354285,
    t_time: -3020399000000,
    t_time6: -1500000,
    t_datetime: -30610224000000,
    t_datetime3: 1,
    t_datetime6: -1,
    t_timestamp: "1970-01-01T00:00:01Z",
    t_timestamp6: "2020-02-29T12:00:00.500000Z",
    t_year: 1901,
    t_char: "",
    t_varchar: "",
    t_text: "",
    t_longtext: "",
    t_binary: Uint8Array.of(0, 0, 0, 0),
    t_varbinary: new Uint8Array(0),
    t_blob: new Uint8Array(0),
    t_enum: "small",
    t_set: "",
    t_bit1: false,
    t_bit: Uint8Array.of(0, 0),
    t_json: "[]",
    t_bool: 0,
  },
];

const FIELD_SCHEMAS = [
  { field: "id", type: "int32", optional: false },
  { field: "t_tinyint", type: "int8", optional: true },
  { field: "t_tinyint_u", type: "int16", optional: true },
  { field: "t_smallint", type: "int16", optional: true },
  { field: "t_smallint_u", type: "int32", optional: true },
  { field: "t_mediumint", type: "int32", optional: true },
  { field: "t_mediumint_u", type: "int32", optional: true },
  { field: "t_int", type: "int32", optional: true },
  { field: "t_int_u", type: "int64", optional: true },
  { field: "t_bigint", type: "int64", optional: true },
  { field: "t_bigint_u", type: "int64", optional: true },
  {
    field: "t_decimal",
    type: "bytes",
    optional: true,
    name: "org.apache.kafka.connect.data.Decimal",
    version: 1,
    parameters: { scale: "10", "connect.decimal.precision": "30" },
  },
  {
    field: "t_decimal0",
    type: "bytes",
    optional: true,
    name: "org.apache.kafka.connect.data.Decimal",
    version: 1,
    parameters: { scale: "0", "connect.decimal.precision": "5" },
  },
  { field: "t_float", type: "float32", optional: true },
  { field: "t_double", type: "float64", optional: true },
  { field: "t_date", type: "int32", optional: true, name: "io.debezium.time.Date", version: 1 },
  { field: "t_time", type: "int64", optional: true, name: "io.debezium.time.MicroTime", version: 1 },
  { field: "t_time6", type: "int64", optional: true, name: "io.debezium.time.MicroTime", version: 1 },
  { field: "t_datetime", type: "int64", optional: true, name: "io.debezium.time.Timestamp", version: 1 },
  { field: "t_datetime3", type: "int64", optional: true, name: "io.debezium.time.Timestamp", version: 1 },
  {
    field: "t_datetime6",
    type: "int64",
    optional: true,
    name: "io.debezium.time.MicroTimestamp",
    version: 1,
  },
  {
    field: "t_timestamp",
    type: "string",
    optional: true,
    name: "io.debezium.time.ZonedTimestamp",
    version: 1,
  },
  {
    field: "t_timestamp6",
    type: "string",
    optional: true,
    name: "io.debezium.time.ZonedTimestamp",
    version: 1,
  },
  { field: "t_year", type: "int32", optional: true, name: "io.debezium.time.Year", version: 1 },
  { field: "t_char", type: "string", optional: true },
  { field: "t_varchar", type: "string", optional: true },
  { field: "t_text", type: "string", optional: true },
  { field: "t_longtext", type: "string", optional: true },
  { field: "t_binary", type: "bytes", optional: true },
  { field: "t_varbinary", type: "bytes", optional: true },
  { field: "t_blob", type: "bytes", optional: true },
  {
    field: "t_enum",
    type: "string",
    optional: true,
    name: "io.debezium.data.Enum",
    version: 1,
    parameters: { allowed: "small,medium,large" },
  },
  {
    field: "t_set",
    type: "string",
    optional: true,
    name: "io.debezium.data.EnumSet",
    version: 1,
    parameters: { allowed: "a,b,c" },
  },
  { field: "t_bit1", type: "boolean", optional: true },
  {
    field: "t_bit",
    type: "bytes",
    optional: true,
    name: "io.debezium.data.Bits",
    version: 1,
    parameters: { length: "12" },
  },
  { field: "t_json", type: "string", optional: true, name: "io.debezium.data.Json", version: 1 },
  { field: "t_bool", type: "int8", optional: true },
];

// Row 3: every column but the key is NULL.
EXPECTED.push({ id: 3, ...Object.fromEntries(FIELD_SCHEMAS.slice(1).map((f) => [f.field, null])) } as never);

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`CREATE TABLE ${DB}.all_types (${COLUMNS})`);
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

function afters(records: readonly SourceRecord[]): unknown[] {
  return records.map((r) => envelope(r).after);
}

test("every type streams from the binlog, and reads by snapshot, as the same exact Debezium values and schemas", async () => {
  const streaming = await TaskHarness.start(connectorConfig(DB));
  let streamed: SourceRecord[];
  try {
    await db.query(`INSERT INTO ${DB}.all_types VALUES ${ROWS}`);
    streamed = await streaming.pollRecords(3, { filter: changesOf(TOPIC) });
  } finally {
    await streaming.stop();
  }
  expect(afters(streamed)).toEqual(EXPECTED);
  expect(streamed[0]?.valueSchema?.fields?.[1]?.fields).toEqual(FIELD_SCHEMAS);

  const snapshot = await TaskHarness.start(connectorConfig(DB, { "snapshot.mode": "initial" }));
  try {
    const read = await snapshot.pollRecords(3, { filter: changesOf(TOPIC) });
    expect(read.map((r) => envelope(r).op)).toEqual(["r", "r", "r"]);
    expect(afters(read)).toEqual(EXPECTED);
    expect(read[0]?.valueSchema).toEqual(streamed[0]?.valueSchema);
  } finally {
    await snapshot.stop();
  }
});

test("values read back over SQL match the decoded ones: text and bytes byte for byte, numbers exactly", async () => {
  const [rows] = (await db.query(
    `SELECT id, t_bigint, t_bigint_u, t_decimal, t_varchar, t_longtext, t_blob, t_json FROM ${DB}.all_types WHERE id IN (1, 2) ORDER BY id`,
  )) as [Array<Record<string, unknown>>, unknown];
  expect(rows.map((r) => [String(r.t_bigint), r.t_decimal, r.t_varchar, r.t_json])).toEqual(
    EXPECTED.slice(0, 2).map((e) => [String(e.t_bigint), e.t_decimal, e.t_varchar, e.t_json]),
  );
  expect(rows.map((r) => String(r.t_bigint_u))).toEqual(["18446744073709551615", "9007199254740993"]);
  expect(Uint8Array.from(rows[0]?.t_blob as Buffer)).toEqual(BLOB);
  expect(rows[0]?.t_longtext).toBe(LONG_TEXT);
});

test("bigint.unsigned.handling.mode=precise keeps BIGINT UNSIGNED exact above 2^63; decimal and time modes change the schema", async () => {
  const harness = await TaskHarness.start(
    connectorConfig(DB, {
      "snapshot.mode": "initial",
      "bigint.unsigned.handling.mode": "precise",
      "decimal.handling.mode": "string",
      "time.precision.mode": "connect",
      "binary.handling.mode": "hex",
    }),
  );
  try {
    const [first, second] = await harness.pollRecords(3, { filter: changesOf(TOPIC) });
    const after = envelope(first).after as Record<string, unknown>;
    expect(after.t_bigint_u).toBe("18446744073709551615");
    expect(envelope(second).after?.t_bigint_u).toBe("9007199254740993");
    expect(after.t_decimal).toBe("12345678901234567890.1234567890");
    expect(after.t_time6).toBe(45296789);
    expect(after.t_datetime6).toBe(253402300799999);
    expect(after.t_date).toBe(2932896);
    expect(after.t_binary).toBe("01020000");
    const fields = (first?.valueSchema?.fields?.[1]?.fields ?? []) as unknown as Array<
      Record<string, unknown>
    >;
    const byName = Object.fromEntries(fields.map((f) => [f.field, f]));
    expect(byName.t_bigint_u).toEqual({
      field: "t_bigint_u",
      type: "bytes",
      optional: true,
      name: "org.apache.kafka.connect.data.Decimal",
      version: 1,
      parameters: { scale: "0", "connect.decimal.precision": "20" },
    });
    expect(byName.t_decimal).toEqual({ field: "t_decimal", type: "string", optional: true });
    expect(byName.t_time6).toEqual({
      field: "t_time6",
      type: "int32",
      optional: true,
      name: "org.apache.kafka.connect.data.Time",
      version: 1,
    });
    expect(byName.t_datetime6).toEqual({
      field: "t_datetime6",
      type: "int64",
      optional: true,
      name: "org.apache.kafka.connect.data.Timestamp",
      version: 1,
    });
    expect(byName.t_date?.name).toBe("org.apache.kafka.connect.data.Date");
    expect(byName.t_binary).toEqual({ field: "t_binary", type: "string", optional: true });
  } finally {
    await harness.stop();
  }
});

test("zero dates become null in nullable columns and the epoch in NOT NULL ones, as in Debezium", async () => {
  await db.query(`CREATE TABLE ${DB}.zero_dates (
    id INT PRIMARY KEY,
    d DATE NULL, d_nn DATE NOT NULL,
    dt DATETIME(6) NULL, dt_nn DATETIME NOT NULL,
    ts TIMESTAMP(3) NULL, ts_nn TIMESTAMP NOT NULL DEFAULT '2000-01-01 00:00:00')`);
  const harness = await TaskHarness.start(
    connectorConfig(DB, { "table.include.list": `${DB}\\.zero_dates` }),
  );
  try {
    await harness.pollOnce(); // ends the no_data snapshot
    await db.query(`SET SESSION sql_mode = ''; INSERT INTO ${DB}.zero_dates VALUES
      (1, '0000-00-00', '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00')`);
    const [streamed] = await harness.pollRecords(1);
    const expected = { id: 1, d: null, d_nn: 0, dt: null, dt_nn: 0, ts: null, ts_nn: "1970-01-01T00:00:00Z" };
    expect(envelope(streamed).after).toEqual(expected);
    const snapshot = await TaskHarness.start(
      connectorConfig(DB, { "table.include.list": `${DB}\\.zero_dates`, "snapshot.mode": "initial" }),
    );
    try {
      const [read] = await snapshot.pollRecords(1);
      expect(envelope(read).after).toEqual(expected);
    } finally {
      await snapshot.stop();
    }
  } finally {
    await harness.stop();
  }
});
