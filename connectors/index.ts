import type { ConnectorPlugin } from "../runtime/api/index.ts";
import { datagenPlugin } from "./datagen/plugin.ts";
import { elasticsearchPlugin } from "./elasticsearch/plugin.ts";
import { hdfsPlugin } from "./hdfs/plugin.ts";
import { mysqlCdcPlugin } from "./mysql-cdc/plugin.ts";
import { neo4jPlugin } from "./neo4j/plugin.ts";
import { redisPlugin } from "./redis/plugin.ts";

/** Every connector plugin shipped with Sluice; the standalone worker installs all of them. */
export const INSTALLED_PLUGINS: readonly ConnectorPlugin[] = [
  datagenPlugin,
  neo4jPlugin,
  elasticsearchPlugin,
  redisPlugin,
  mysqlCdcPlugin,
  hdfsPlugin,
];
