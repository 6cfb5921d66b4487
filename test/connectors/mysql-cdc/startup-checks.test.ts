// Invariant: a misconfigured server or user fails the connector before a single event is read, with a
// message that names the setting or privilege to fix; a stored offset whose binlog is gone fails the same
// way, unless snapshot.mode=when_needed, which snapshots again.
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import { mysqlCdcSettings } from "../../../connectors/mysql-cdc/config.ts";
import { mysqlCdcPlugin } from "../../../connectors/mysql-cdc/plugin.ts";
import { readServerFacts, serverProblems } from "../../../connectors/mysql-cdc/server-checks.ts";
import type { SluiceError, SourceRecord } from "../../../runtime/api/index.ts";
import {
  adminConnection,
  changesOf,
  connectorConfig,
  envelope,
  freshDatabase,
  mariadb,
  TaskHarness,
} from "./harness.ts";

const DB = "cdc_checks";
const USER = "cdc_checks_limited";
let db: mysql.Connection;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`CREATE TABLE ${DB}.t (id INT PRIMARY KEY)`);
  await db.query(`DROP USER IF EXISTS '${USER}'@'%'; CREATE USER '${USER}'@'%' IDENTIFIED BY 'secret'`);
  await db.query(`GRANT SELECT ON ${DB}.* TO '${USER}'@'%'`);
});
afterAll(async () => {
  await db.query(`DROP USER IF EXISTS '${USER}'@'%'; DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

async function validate(raw: Record<string, string>) {
  const connector = mysqlCdcPlugin.createConnector();
  return (await connector.validate?.(mysqlCdcPlugin.config.parse(raw), new AbortController().signal)) ?? [];
}

async function startFailure(
  raw: Record<string, string>,
  committed: Record<string, unknown> | null = null,
): Promise<SluiceError> {
  try {
    const harness = await TaskHarness.start(raw, committed as never);
    await harness.stop();
  } catch (error) {
    return error as SluiceError;
  }
  throw new Error("the task started");
}

test("a correctly set up server and user pass the checks", async () => {
  expect(await validate(connectorConfig(DB))).toEqual([]);
});

test("a user without replication privileges is told which to grant", async () => {
  const raw = connectorConfig(DB, {
    "database.user": USER,
    "database.password": "secret",
    "snapshot.mode": "initial",
  });
  const message = `${USER} lacks REPLICATION SLAVE, BINLOG MONITOR, RELOAD on ${mariadb.host}:${mariadb.port}; run GRANT REPLICATION SLAVE, BINLOG MONITOR, RELOAD ON *.* TO '${USER}'@'<host>' (RELOAD is for the snapshot's global read lock; or set snapshot.locking.mode=none)`;
  expect(await validate(raw)).toEqual([{ field: "database.user", message }]);
  const error = await startFailure(raw);
  expect(error.code).toBe("EXTERNAL_FATAL");
  expect(error.message).toBe(
    `mysql-cdc cannot capture from ${mariadb.host}:${mariadb.port}: database.user: ${message}`,
  );
});

test("a wrong password, an unreachable server and the server's own server id are reported on their keys", async () => {
  const wrongPassword = await validate(
    connectorConfig(DB, { "database.user": USER, "database.password": "wrong" }),
  );
  expect(wrongPassword).toEqual([
    {
      field: "database.password",
      message: expect.stringMatching(
        new RegExp(`^${USER} cannot log in to ${mariadb.host}:${mariadb.port}: Access denied`),
      ),
    },
  ]);
  const unreachable = await validate(connectorConfig(DB, { "database.port": "1" }));
  expect(unreachable).toEqual([
    {
      field: "database.hostname",
      message: `cannot connect to ${mariadb.host}:1 (ECONNREFUSED); check database.hostname and database.port and that the server runs`,
    },
  ]);
  const [[row]] = (await db.query("SELECT @@server_id AS id")) as [Array<{ id: number }>, unknown];
  const clash = await validate(connectorConfig(DB, { "database.server.id": String(row?.id) }));
  expect(clash).toEqual([
    {
      field: "database.server.id",
      message: `is ${row?.id}, the server_id of ${mariadb.host}:${mariadb.port} itself; choose an id no server or replica in the topology uses`,
    },
  ]);
});

test("binlog_row_metadata other than FULL fails the start with the statement that fixes it", async () => {
  await db.query("SET GLOBAL binlog_row_metadata = MINIMAL");
  let problems: Array<{ field: string; message: string }>;
  try {
    problems = await validate(connectorConfig(DB));
  } finally {
    await db.query("SET GLOBAL binlog_row_metadata = FULL");
  }
  expect(problems).toEqual([
    {
      field: "database.hostname",
      message: `${mariadb.host}:${mariadb.port}: binlog_row_metadata is MINIMAL, but Sluice decodes each row with the columns its binlog event names, so that a schema change never mis-maps a value; run SET GLOBAL binlog_row_metadata=FULL and add it to the server's configuration file so that it survives a restart`,
    },
  ]);
});

test("binlog off, a non-ROW format, a partial row image and compressed transactions each say what to set", async () => {
  // Flipping these globally would break every other client of the shared server, so the facts read from
  // the real server are varied instead.
  const facts = await readServerFacts(db);
  const settings = mysqlCdcSettings(mysqlCdcPlugin.config.parse(connectorConfig(DB)));
  const variables = new Map(facts.variables);
  variables.set("binlog_format", "MIXED");
  variables.set("binlog_row_image", "MINIMAL");
  variables.set("binlog_transaction_compression", "ON");
  const where = `${mariadb.host}:${mariadb.port}`;
  const persist = "and add it to the server's configuration file so that it survives a restart";
  expect(serverProblems({ ...facts, logBin: false, variables }, settings)).toEqual([
    {
      field: "database.hostname",
      message: `${where}: binary logging is off; start the server with log_bin (e.g. log_bin=binlog in my.cnf) and restart it`,
    },
    {
      field: "database.hostname",
      message: `${where}: binlog_format is MIXED, but change data capture needs ROW; run SET GLOBAL binlog_format=ROW ${persist}`,
    },
    {
      field: "database.hostname",
      message: `${where}: binlog_row_image is MINIMAL, but change events need every column; run SET GLOBAL binlog_row_image=FULL ${persist}`,
    },
    {
      field: "database.hostname",
      message: `${where}: binlog_transaction_compression is ON, and compressed transactions cannot be decoded; run SET GLOBAL binlog_transaction_compression=OFF ${persist}`,
    },
  ]);
});

test("a stored offset whose binlog file was purged fails the start; snapshot.mode=when_needed snapshots again", async () => {
  const gone = { file: "binlog.000000", pos: 4, gtids: null, event: 0, row: 0, record: 0, snapshot: false };
  const error = await startFailure(connectorConfig(DB), gone);
  expect(error.code).toBe("EXTERNAL_FATAL");
  expect(error.message).toBe(
    `the stored offset names binlog.000000:4, but ${mariadb.host}:${mariadb.port} no longer has binlog.000000 (purged, e.g. by expire_logs_days); reset the connector's offsets (DELETE /connectors/<name>/offsets) to snapshot again, or set snapshot.mode=when_needed`,
  );

  await db.query(`INSERT INTO ${DB}.t VALUES (1)`);
  const harness = await TaskHarness.start(connectorConfig(DB, { "snapshot.mode": "when_needed" }), gone);
  try {
    const [read] = await harness.pollRecords(1, { filter: changesOf(`cdc-checks.${DB}.t`) });
    expect(envelope(read as SourceRecord)).toMatchObject({ op: "r", after: { id: 1 } });
  } finally {
    await harness.stop();
  }
});

test("a stored offset that is not a mysql-cdc offset fails the start and says how to fix it", async () => {
  const error = await startFailure(connectorConfig(DB), { iteration: 3 });
  expect(error.message).toBe(
    `the stored offset {"iteration":3} is not a mysql-cdc offset: "file" must name a binlog file, e.g. "binlog.000003"; alter the offsets (PATCH /connectors/<name>/offsets) or reset them (DELETE)`,
  );
});
