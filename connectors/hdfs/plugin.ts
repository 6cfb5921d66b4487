import type { ConnectorPlugin } from "../../runtime/api/index.ts";
import { CompactionJobs } from "./compaction.ts";
import { hdfsConfig, hdfsSettings } from "./config.ts";
import { HdfsSinkConnector } from "./connector.ts";
import { HdfsSinkTask } from "./task.ts";

/** Kafka topics into HDFS files through WebHDFS, exactly once; answers to Confluent's class name as well. */
export const hdfsPlugin: ConnectorPlugin = {
  name: "hdfs",
  aliases: ["io.confluent.connect.hdfs.HdfsSinkConnector"],
  type: "sink",
  version: "0.1.0",
  description:
    "Writes topics into HDFS (JSON lines, gzip JSON lines, Parquet or Avro) through WebHDFS, exactly once: committed file names carry their Kafka offsets; files roll by size, by time and on the wall clock; a BullMQ job compacts small files.",
  config: hdfsConfig,
  createConnector: () => new HdfsSinkConnector(),
  createTask: () => new HdfsSinkTask(),
  jobs: (connectorName, config) =>
    hdfsSettings(config).compaction.redisUrl === null ? null : new CompactionJobs(connectorName, config),
};
