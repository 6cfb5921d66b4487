import type { ConnectorPlugin } from "../../runtime/api/index.ts";
import { elasticsearchConfig } from "./config.ts";
import { ElasticsearchSinkConnector } from "./connector.ts";
import { ElasticsearchSinkTask } from "./task.ts";

/** Kafka into Elasticsearch or OpenSearch indices; answers to Confluent's class name and keys. */
export const elasticsearchPlugin: ConnectorPlugin = {
  name: "elasticsearch",
  aliases: ["io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"],
  type: "sink",
  version: "0.1.0",
  description:
    "Writes records as documents to Elasticsearch 8/9 or OpenSearch 2 through the bulk API, idempotently (the record key is the document id), deleting on tombstones if asked.",
  config: elasticsearchConfig,
  createConnector: () => new ElasticsearchSinkConnector(),
  createTask: () => new ElasticsearchSinkTask(),
};
