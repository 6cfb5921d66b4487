import { Producer } from "@platformatic/kafka";
import ZongJi, { type AnyBinlogEvent } from "@vlasky/zongji";
import mysql from "mysql2/promise";
import type { StackEnv } from "../../stack/env.ts";
import { startConnectStandalone } from "../debezium/connect-standalone.ts";
import { compareWithCeiling, type Measured } from "../report.ts";
import { ratePerSecond, type Scenario, type ScenarioContext } from "../scenario.ts";
import { type ConnectProcess, startSluiceWorker } from "../support/connect-process.ts";
import { type BenchKafka, uniqueName } from "../support/kafka.ts";
import { ownCpuMicros, waitFor } from "../support/process-stats.ts";

/**
 * Source catch-up: a CDC connector that was stopped while N rows were inserted (multi-row INSERTs of
 * 1,000 rows, one transaction each) is resumed and timed until every row is in Kafka. The same rows are
 * first read by the ceiling: a bare binlog read with the library Sluice uses (@vlasky/zongji) into a
 * no-op, from the binlog position before the inserts; then by a second ceiling that also writes each row
 * to Kafka as plain JSON with the raw client Sluice uses (see `bareRead`). The systems:
 *  - Sluice's mysql-cdc in a `sluice standalone` worker process;
 *  - Debezium on Apache Kafka Connect 4.1.1 (ConnectStandalone, a JVM of its own). Debezium 3's MySQL
 *    connector refuses MariaDB's DDL, so against the stack's MariaDB it is Debezium's MariaDB connector
 *    (io.debezium.connector.mariadb.MariaDbConnector), the same binlog engine.
 * Both use the JSON converter with schemas off, max.batch.size 2048 (Debezium's default) and their
 * default producer settings, against the same broker. Each system's run is timed from the first row
 * event in its topic to the last (the topic's log end, polled every 100 ms), so that task start-up and
 * reconnection are not counted; its CPU is its process's over the whole resume. Other work on the
 * shared MariaDB writes to the same binlog, and every reader has to skip it.
 */

const DATABASE = "sluice_bench_cdc";
const INSERT_BATCH = 1_000;

const ROW_EVENTS = ["tablemap", "writerows", "rotate", "xid", "query", "mariadbgtid", "gtid"];

interface CdcSystem {
  readonly system: string;
  start(context: ScenarioContext): Promise<ConnectProcess>;
  connectorConfig(env: StackEnv, prefix: string, table: string, serverId: number): Record<string, string>;
}

function commonConfig(
  env: StackEnv,
  prefix: string,
  table: string,
  serverId: number,
): Record<string, string> {
  return {
    "tasks.max": "1",
    "database.hostname": env.mariadb.host,
    "database.port": String(env.mariadb.port),
    "database.user": env.mariadb.user,
    "database.password": env.mariadb.password,
    "database.server.id": String(serverId),
    "topic.prefix": prefix,
    "database.include.list": DATABASE,
    "table.include.list": `${DATABASE}.${table}`,
    "snapshot.mode": "no_data",
    "include.schema.changes": "false",
    "max.batch.size": "2048",
  };
}

const SLUICE: CdcSystem = {
  system: "sluice mysql-cdc",
  start: (context) => startSluiceWorker(context.env.kafkaBootstrap, {}, context.workerNodeOptions),
  connectorConfig: (env, prefix, table, serverId) => ({
    "connector.class": "mysql-cdc",
    ...commonConfig(env, prefix, table, serverId),
  }),
};

/** The same connector with exactly-once delivery: one Kafka transaction per poll (max.batch.size rows). */
const SLUICE_EXACTLY_ONCE: CdcSystem = {
  system: "sluice mysql-cdc, exactly-once",
  start: (context) =>
    startSluiceWorker(
      context.env.kafkaBootstrap,
      {
        "exactly.once.source.support": "enabled",
        "offset.storage.topic": `sluice-bench-offsets-${Date.now()}`,
        "offset.storage.partitions": "1",
      },
      context.workerNodeOptions,
    ),
  connectorConfig: SLUICE.connectorConfig,
};

const DEBEZIUM: CdcSystem = {
  system: "debezium 3.3 (MariaDB connector) on Kafka Connect 4.1.1",
  start: (context) => {
    context.log("source-catchup: starting Kafka Connect (Maven resolves its jars on the first run)");
    return startConnectStandalone(context.env.kafkaBootstrap);
  },
  connectorConfig: (env, prefix, table, serverId) => ({
    "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
    ...commonConfig(env, prefix, table, serverId),
    "schema.history.internal.kafka.bootstrap.servers": env.kafkaBootstrap,
    "schema.history.internal.kafka.topic": `${prefix}-schema-history`,
    "topic.creation.default.replication.factor": "1",
    "topic.creation.default.partitions": "1",
  }),
};

async function connectDb(env: StackEnv): Promise<mysql.Connection> {
  return mysql.createConnection({ ...env.mariadb, multipleStatements: true });
}

/** Inserts rows 1..count into `table` in INSERTs of INSERT_BATCH rows, each its own transaction. */
async function insertRows(db: mysql.Connection, table: string, count: number): Promise<void> {
  for (let start = 1; start <= count; start += INSERT_BATCH) {
    const values: string[] = [];
    for (let id = start; id < Math.min(count + 1, start + INSERT_BATCH); id++) {
      values.push(`(${id},${id % 1000},'customer-${id}',${(id * 7919) % 100_000},'2026-01-01 00:00:00.000')`);
    }
    await db.query(`INSERT INTO \`${DATABASE}\`.\`${table}\` VALUES ${values.join(",")}`);
  }
}

/** The binlog position after everything written so far. */
async function binlogPosition(db: mysql.Connection): Promise<{ file: string; position: number }> {
  const [rows] = await db.query("SHOW MASTER STATUS");
  const row = (rows as Array<{ File: string; Position: number }>)[0];
  if (row === undefined) throw new Error("SHOW MASTER STATUS answered nothing: is the binlog on?");
  return { file: row.File, position: Number(row.Position) };
}

/** Where `bareRead` also writes the rows it decodes, for the read-and-produce ceiling. */
interface ProduceTarget {
  producer: Producer;
  topic: string;
}

/**
 * The ceilings: reads the binlog from `from` with zongji until `count` rows of `table` were decoded,
 * timed from the first row event of the table to the last — into a no-op, or, with `produce`, writing
 * each row as JSON (JSON.stringify of zongji's row, its id as the key) with the raw Kafka client,
 * acks=all, each row event one send, until every send is acknowledged: the least any CDC source built on
 * these two libraries does.
 */
async function bareRead(
  env: StackEnv,
  from: { file: string; position: number },
  table: string,
  count: number,
  serverId: number,
  produce?: ProduceTarget,
): Promise<{ rowsPerSecond: number; cpuMicrosPerRow: number }> {
  const zongji = new ZongJi({ ...env.mariadb });
  let seen = 0;
  let began = 0;
  let cpu = 0;
  const sends: Array<Promise<unknown>> = [];
  const done = Promise.withResolvers<{ rowsPerSecond: number; cpuMicrosPerRow: number }>();
  const finish = () =>
    done.resolve({
      rowsPerSecond: ratePerSecond(seen, performance.now() - began),
      cpuMicrosPerRow: (ownCpuMicros() - cpu) / seen,
    });
  zongji.on("error", (error: Error) => done.reject(error));
  zongji.on("binlog", (event: AnyBinlogEvent) => {
    if (event.getEventName() !== "writerows" || !("rows" in event)) return;
    const map = event.tableMap[event.tableId];
    if (map?.tableName !== table || map.parentSchema !== DATABASE) return;
    if (seen === 0) {
      began = performance.now();
      cpu = ownCpuMicros();
    }
    seen += event.rows.length;
    if (produce !== undefined) {
      const messages = (event.rows as Array<Record<string, unknown>>).map((row) => ({
        topic: produce.topic,
        partition: 0,
        key: Buffer.from(JSON.stringify({ id: row.id })),
        value: Buffer.from(JSON.stringify(row)),
      }));
      // zongji cannot be paused, so sends are not limited: the client queues what it cannot send yet.
      sends.push(produce.producer.send({ acks: -1, messages }));
    }
    if (seen >= count) {
      if (produce === undefined) finish();
      else Promise.all(sends).then(finish, (error: Error) => done.reject(error));
    }
  });
  zongji.start({ serverId, filename: from.file, position: from.position, includeEvents: ROW_EVENTS });
  const timer = setTimeout(
    () => done.reject(new Error("the bare binlog read timed out")),
    Math.max(120_000, count),
  );
  try {
    return await done.promise;
  } finally {
    clearTimeout(timer);
    zongji.stop();
  }
}

async function connectorState(connect: ConnectProcess, name: string): Promise<string> {
  const status = await connect.rest("GET", `/connectors/${name}/status`);
  return String(status.connector?.state ?? "");
}

interface Rate {
  rowsPerSecond: number;
  cpuMicrosPerRow: number;
}

interface Caught extends Rate {
  /** The bare read. */
  ceiling: Rate;
  /** The read-and-produce ceiling. */
  produced: Rate;
}

/** The read-and-produce ceiling into a scratch topic of one partition, deleted afterwards. */
async function readAndProduce(
  context: ScenarioContext,
  from: { file: string; position: number },
  table: string,
  count: number,
  serverId: number,
): Promise<Rate> {
  const topic = uniqueName("bench-cdc-ceiling");
  await context.kafka.createTopic(topic);
  const producer = new Producer({
    clientId: "bench-cdc-ceiling",
    bootstrapBrokers: [context.kafka.bootstrap],
    autocreateTopics: false,
  });
  try {
    await producer.metadata({ topics: [topic] });
    return await bareRead(context.env, from, table, count, serverId, { producer, topic });
  } finally {
    await producer.close();
    await context.kafka.deleteTopics(topic);
  }
}

/** One run of one system: stop, insert, bare read, resume, catch up. */
async function catchUp(
  context: ScenarioContext,
  db: mysql.Connection,
  kafka: BenchKafka,
  connect: ConnectProcess,
  system: CdcSystem,
  run: number,
  count: number,
): Promise<Caught> {
  const stamp = `${Date.now().toString(36)}${run}`;
  const table = `rows_${stamp}`;
  const prefix = `bench-cdc-${stamp}`;
  const topic = `${prefix}.${DATABASE}.${table}`;
  const name = `bench-cdc-${stamp}`;
  const serverId = 30_000 + Math.floor(Math.random() * 1_000_000);
  await db.query(
    `CREATE TABLE \`${DATABASE}\`.\`${table}\` (id INT PRIMARY KEY, account INT NOT NULL, name VARCHAR(32) NOT NULL, amount BIGINT NOT NULL, created_at DATETIME(3) NOT NULL)`,
  );
  try {
    await connect.rest(
      "PUT",
      `/connectors/${name}/config`,
      system.connectorConfig(context.env, prefix, table, serverId),
    );
    // Streaming has begun once a marker row is in the topic (a task reports RUNNING before it has taken
    // its binlog position, so markers are inserted until one arrives); then stop, so that rows pile up.
    let marker = 0;
    await waitFor(
      `${name} to stream a marker row`,
      async () => {
        await connect.assertNotFailed(name);
        if ((await kafka.recordCount(topic)) >= 1) return true;
        marker -= 1;
        await db.query(
          `INSERT INTO \`${DATABASE}\`.\`${table}\` VALUES (${marker},0,'marker',0,'2026-01-01 00:00:00.000')`,
        );
        return undefined;
      },
      180_000,
      2_000,
    );
    await connect.rest("PUT", `/connectors/${name}/stop`);
    await waitFor(
      `${name} to stop`,
      async () => ((await connectorState(connect, name)) === "STOPPED" ? true : undefined),
      60_000,
      250,
    );
    // Every marker that was captured is committed by now; one inserted before streaming began never is.
    const markers = await kafka.recordCount(topic);
    const from = await binlogPosition(db);
    const insertStarted = performance.now();
    await insertRows(db, table, count);
    context.log(
      `source-catchup: ${count} rows inserted in ${((performance.now() - insertStarted) / 1000).toFixed(1)} s`,
    );
    const ceiling = await bareRead(context.env, from, table, count, serverId + 1);
    const produced = await readAndProduce(context, from, table, count, serverId + 2);

    const cpuBefore = connect.cpuMicros();
    await connect.rest("PUT", `/connectors/${name}/resume`);
    let first: { at: number; records: number } | null = null;
    const total = count + markers;
    const finishedAt = await waitFor(
      `${name} to catch up`,
      async () => {
        const records = await kafka.recordCount(topic);
        const now = performance.now();
        if (records > markers && first === null) first = { at: now, records };
        if (records >= total) return now;
        await connect.assertNotFailed(name);
        return undefined;
      },
      Math.max(300_000, count),
      100,
    );
    const cpu = connect.cpuMicros() - cpuBefore;
    const start = first as { at: number; records: number } | null;
    return {
      rowsPerSecond: ratePerSecond(total - (start?.records ?? 0), finishedAt - (start?.at ?? finishedAt)),
      cpuMicrosPerRow: cpu / count,
      ceiling,
      produced,
    };
  } finally {
    await connect.deleteConnector(name);
    await kafka.deleteTopics(topic, `${prefix}-schema-history`, prefix);
    await db.query(`DROP TABLE IF EXISTS \`${DATABASE}\`.\`${table}\``);
  }
}

export const sourceCatchupScenario: Scenario = {
  name: "source-catchup",
  async run(context: ScenarioContext) {
    const count = context.quick ? 100_000 : 1_000_000;
    const ceilingSystem = "ceiling: bare zongji binlog read";
    const producingSystem = "ceiling 2: zongji read → JSON → raw @platformatic/kafka produce";
    const measured: Measured[] = [];
    const figure = (system: string, metric: string, unit: string): number[] => {
      let found = measured.find((m) => m.system === system && m.metric === metric);
      if (found === undefined) {
        found = { scenario: "source-catchup", system, metric, unit, samples: [] };
        measured.push(found);
      }
      return found.samples as number[];
    };
    const db = await connectDb(context.env);
    try {
      await db.query(`CREATE DATABASE IF NOT EXISTS \`${DATABASE}\``);
      const wanted = process.env.SLUICE_BENCH_CDC_SYSTEMS?.split(",") ?? ["sluice", "debezium"];
      const systems = [SLUICE, SLUICE_EXACTLY_ONCE, DEBEZIUM].filter((system) =>
        wanted.some((w) => system.system.startsWith(w)),
      );
      for (const system of systems) {
        let connect: ConnectProcess | null = null;
        try {
          connect = await system.start(context);
          for (let run = 1; run <= context.runs; run++) {
            const caught = await catchUp(context, db, context.kafka, connect, system, run, count);
            figure(system.system, "catch-up", "rows/s").push(caught.rowsPerSecond);
            figure(system.system, "CPU", "µs/row").push(caught.cpuMicrosPerRow);
            figure(ceilingSystem, "catch-up", "rows/s").push(caught.ceiling.rowsPerSecond);
            figure(ceilingSystem, "CPU", "µs/row").push(caught.ceiling.cpuMicrosPerRow);
            figure(producingSystem, "catch-up", "rows/s").push(caught.produced.rowsPerSecond);
            figure(producingSystem, "CPU", "µs/row").push(caught.produced.cpuMicrosPerRow);
            context.log(
              `source-catchup ${system.system} run ${run}: ${Math.round(caught.rowsPerSecond)} rows/s (${caught.cpuMicrosPerRow.toFixed(1)} µs/row); bare read ${Math.round(caught.ceiling.rowsPerSecond)} rows/s (${caught.ceiling.cpuMicrosPerRow.toFixed(1)} µs/row); read and produce ${Math.round(caught.produced.rowsPerSecond)} rows/s (${caught.produced.cpuMicrosPerRow.toFixed(1)} µs/row)`,
            );
          }
        } catch (error) {
          context.log(
            `source-catchup ${system.system} failed: ${(error as Error).stack}\n${connect?.logTail() ?? ""}`,
          );
          context.note(`source-catchup ${system.system} failed: ${(error as Error).message.split("\n")[0]}`);
        } finally {
          await connect?.stop();
        }
      }
    } finally {
      await db.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``).catch(() => {});
      await db.end();
    }
    const entries = compareWithCeiling(measured, ceilingSystem);
    const rate = (system: string) =>
      entries.find((entry) => entry.system === system && entry.metric === "catch-up")?.median;
    const sluice = rate(SLUICE.system);
    const debezium = rate(DEBEZIUM.system);
    const bare = rate(ceilingSystem);
    if (sluice !== undefined && bare !== undefined) {
      context.note(
        `source-catchup: Sluice at ${(sluice / bare).toFixed(2)}× the bare read (target ≥ 0.8×: ${sluice >= 0.8 * bare ? "met" : "missed"}).`,
      );
    }
    if (sluice !== undefined && debezium !== undefined) {
      context.note(
        `source-catchup: Sluice at ${(sluice / debezium).toFixed(2)}× Debezium's rows/s (target ≥ 1.2×: ${sluice >= 1.2 * debezium ? "met" : "missed"}).`,
      );
    }
    const producing = rate(producingSystem);
    if (sluice !== undefined && producing !== undefined) {
      context.note(
        `source-catchup: Sluice at ${(sluice / producing).toFixed(2)}× the read-and-produce ceiling (zongji rows JSON-encoded as they come and sent with the raw Kafka client: no envelope, no offsets, no error handling).`,
      );
    }
    const cpu = (system: string) =>
      entries.find((entry) => entry.system === system && entry.metric === "CPU")?.median;
    const sluiceCpu = cpu(SLUICE.system);
    const debeziumCpu = cpu(DEBEZIUM.system);
    if (sluiceCpu !== undefined && debeziumCpu !== undefined) {
      context.note(
        `source-catchup: CPU per row, Sluice ${sluiceCpu.toFixed(1)} µs, Debezium ${debeziumCpu.toFixed(1)} µs (target: no more than Debezium: ${sluiceCpu <= debeziumCpu ? "met" : "missed"}).`,
      );
    }
    const exactlyOnce = rate(SLUICE_EXACTLY_ONCE.system);
    if (sluice !== undefined && exactlyOnce !== undefined) {
      context.note(
        `source-catchup: exactly-once delivery runs at ${(exactlyOnce / sluice).toFixed(2)}× the rows/s of at-least-once.`,
      );
    }
    context.note(
      `source-catchup: ${count.toLocaleString("en-US")} rows of 5 columns per run; the ceiling is measured before each system's run on the same rows. A bare read produces nothing, so no source can reach it: what also writes to Kafka is bounded as well by the kafka-client produce rate.`,
    );
    return entries;
  },
};
