// Invariant: mysql-cdc takes Debezium's key names and refuses a bad config at the boundary, naming every
// bad key and what to write instead; the plugin answers to Debezium's class name.
import { expect, test } from "vitest";
import { INSTALLED_PLUGINS } from "../../../connectors/index.ts";
import { mysqlCdcSettings } from "../../../connectors/mysql-cdc/config.ts";
import { mysqlCdcPlugin } from "../../../connectors/mysql-cdc/plugin.ts";
import { ConfigError } from "../../../runtime/api/index.ts";

const minimal = {
  "database.hostname": "127.0.0.1",
  "database.user": "cdc",
  "database.server.id": "184054",
  "topic.prefix": "dbserver1",
};

function fieldErrors(raw: Record<string, string>) {
  return mysqlCdcPlugin.config.validate(raw).errors;
}

test("the plugin is installed as mysql-cdc and as Debezium's MySqlConnector", async () => {
  const plugin = INSTALLED_PLUGINS.find((p) => p.name === "mysql-cdc");
  expect(await plugin?.load()).toBe(mysqlCdcPlugin);
  expect(plugin?.aliases).toEqual(["io.debezium.connector.mysql.MySqlConnector"]);
  expect(plugin?.type).toBe("source");
});

test("the four required keys are named when missing; the rest take Debezium's defaults", () => {
  expect(fieldErrors({}).map((e) => e.field)).toEqual([
    "database.hostname",
    "database.user",
    "database.server.id",
    "topic.prefix",
  ]);
  const settings = mysqlCdcSettings(mysqlCdcPlugin.config.parse(minimal));
  expect(settings).toMatchObject({
    port: 3306,
    password: "",
    snapshotMode: "initial",
    snapshotLocking: "minimal",
    tombstonesOnDelete: true,
    modes: {
      decimal: "precise",
      time: "adaptive_time_microseconds",
      bigintUnsigned: "long",
      binary: "bytes",
    },
    includeSchemaChanges: true,
    heartbeatIntervalMs: 0,
    heartbeatTopic: "__debezium-heartbeat.dbserver1",
    maxBatchSize: 2048,
    maxQueueSize: 8192,
    pollIntervalMs: 500,
    schemaHistoryFile: null,
  });
});

test("enumerated keys list their values, and numbers their bounds", () => {
  expect(
    fieldErrors({
      ...minimal,
      "snapshot.mode": "sometimes",
      "decimal.handling.mode": "float",
      "time.precision.mode": "nanos",
      "database.server.id": "0",
      "database.port": "70000",
    }),
  ).toEqual([
    { field: "database.port", message: "must be at most 65535; got 70000" },
    { field: "database.server.id", message: "must be at least 1; got 0" },
    {
      field: "snapshot.mode",
      message:
        'must be one of initial, initial_only, no_data, schema_only, when_needed, never, always; got "sometimes"',
    },
    { field: "decimal.handling.mode", message: 'must be one of precise, double, string; got "float"' },
    {
      field: "time.precision.mode",
      message: 'must be one of adaptive_time_microseconds, adaptive, connect; got "nanos"',
    },
  ]);
});

test("include and exclude lists exclude each other, and every pattern must compile", () => {
  expect(
    fieldErrors({
      ...minimal,
      "database.include.list": "inventory",
      "database.exclude.list": "other",
      "table.include.list": "inventory\\.(orders",
      "column.include.list": "a.b.c",
      "column.exclude.list": "a.b.d",
    }),
  ).toEqual([
    {
      field: "database.include.list",
      message: "cannot be combined with database.exclude.list; set only one of them",
    },
    {
      field: "table.include.list",
      message: expect.stringMatching(/^"inventory\\\.\(orders" is not a regular expression: /),
    },
    {
      field: "column.include.list",
      message: "cannot be combined with column.exclude.list; set only one of them",
    },
  ]);
});

test("topic.prefix, the queue bound and the mask keys are checked", () => {
  expect(
    fieldErrors({
      ...minimal,
      "topic.prefix": "db server/1",
      "max.batch.size": "100",
      "max.queue.size": "100",
    }),
  ).toEqual([
    { field: "topic.prefix", message: "may hold only letters, digits, dots, hyphens and underscores" },
    { field: "max.queue.size", message: "must be larger than max.batch.size (100)" },
  ]);
  const badMask = mysqlCdcPlugin.config.parse({
    ...minimal,
    "column.mask.with.many.chars": "a.b.c",
    "column.mask.with.3.chars": "(",
  });
  let error: unknown;
  try {
    mysqlCdcSettings(badMask);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).fieldErrors).toEqual([
    {
      field: "column.mask.with.many.chars",
      message: "must be spelled column.mask.with.<N>.chars with N a whole number",
    },
    {
      field: "column.mask.with.3.chars",
      message: expect.stringMatching(/^"\(" is not a regular expression: /),
    },
  ]);
});

test("offsets can be altered only to binlog positions of the connector's one partition", async () => {
  const connector = mysqlCdcPlugin.createConnector();
  const config = mysqlCdcPlugin.config.parse(minimal);
  const alter = (partition: Record<string, unknown>, offset: Record<string, unknown> | null) =>
    connector.alterOffsets?.(config, [{ partition: partition as never, offset: offset as never }]);
  await expect(
    alter({ server: "dbserver1" }, { file: "binlog.000003", pos: 1234, gtids: "0-1-42" }),
  ).resolves.toBe(false);
  await expect(alter({ server: "dbserver1" }, null)).resolves.toBe(false);
  await expect(alter({ server: "other" }, null)).rejects.toThrow(
    'mysql-cdc has one partition, {"server":"dbserver1"}; got {"server":"other"}',
  );
  await expect(alter({ server: "dbserver1" }, { file: "binlog.000003", pos: 2 })).rejects.toThrow(
    'mysql-cdc offsets are {"file": "<binlog file>", "pos": <position>, "gtids": "<GTID set>" | null}; "pos" must be a binlog position of at least 4',
  );
  await expect(
    alter({ server: "dbserver1" }, { file: "binlog.000003", pos: 4, gtids: "zz" }),
  ).rejects.toThrow(/"gtids" is not a GTID set/);
});
