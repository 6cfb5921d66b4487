import type { ConnectorPlugin } from "../../runtime/api/index.ts";
import { redisConfig } from "./config.ts";
import { RedisSinkConnector } from "./connector.ts";
import { RedisSinkTask } from "./task.ts";

/** Kafka into Redis strings, hashes, JSON documents, streams, sets, sorted sets or lists. */
export const redisPlugin: ConnectorPlugin = {
  name: "redis",
  aliases: [],
  type: "sink",
  version: "0.1.0",
  description:
    "Writes records to Redis keys named by keyspace and record key (STRING, HASH, JSON) or to one collection per keyspace (SET, ZSET, LIST, STREAM), idempotently, deleting on tombstones and delete events.",
  config: redisConfig,
  createConnector: () => new RedisSinkConnector(),
  createTask: () => new RedisSinkTask(),
};
