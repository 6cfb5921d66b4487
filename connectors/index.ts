import type { ConnectorPlugin, InstalledPlugin } from "../runtime/api/index.ts";
import { CONNECTOR_VERSION as MYSQL_CDC_VERSION } from "./mysql-cdc/envelope.ts";

/**
 * Every connector plugin shipped with Sluice, as the standalone worker installs them: listed here, and
 * imported (with its client library) only when a connector of it is created, validated or described,
 * so that a worker holds the code of the connectors it runs and no other.
 */
export const INSTALLED_PLUGINS: readonly InstalledPlugin[] = [
  {
    name: "datagen",
    aliases: ["io.confluent.kafka.connect.datagen.DatagenConnector"],
    type: "source",
    version: "0.1.0",
    load: async () => (await import("./datagen/plugin.ts")).datagenPlugin,
  },
  {
    name: "neo4j",
    aliases: ["org.neo4j.connectors.kafka.sink.Neo4jConnector"],
    type: "sink",
    version: "0.1.0",
    load: async () => (await import("./neo4j/plugin.ts")).neo4jPlugin,
  },
  {
    name: "elasticsearch",
    aliases: ["io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"],
    type: "sink",
    version: "0.1.0",
    load: async () => (await import("./elasticsearch/plugin.ts")).elasticsearchPlugin,
  },
  {
    name: "redis",
    aliases: [],
    type: "sink",
    version: "0.1.0",
    load: async () => (await import("./redis/plugin.ts")).redisPlugin,
  },
  {
    name: "mysql-cdc",
    aliases: ["io.debezium.connector.mysql.MySqlConnector"],
    type: "source",
    version: MYSQL_CDC_VERSION,
    load: async () => (await import("./mysql-cdc/plugin.ts")).mysqlCdcPlugin,
  },
  {
    name: "hdfs",
    aliases: ["io.confluent.connect.hdfs.HdfsSinkConnector"],
    type: "sink",
    version: "0.1.0",
    load: async () => (await import("./hdfs/plugin.ts")).hdfsPlugin,
  },
];

/** Every installed plugin, imported: for what describes them all (the reference docs, tests). */
export function loadInstalledPlugins(): Promise<ConnectorPlugin[]> {
  return Promise.all(INSTALLED_PLUGINS.map((plugin) => plugin.load()));
}
