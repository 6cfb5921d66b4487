import type { ConnectorPlugin } from "../../runtime/api/index.ts";
import { neo4jSinkConfig } from "./config.ts";
import { Neo4jSinkConnector } from "./connector.ts";
import { Neo4jSinkTask } from "./task.ts";

/** Kafka into Neo4j with the Neo4j connector's Cypher and pattern strategies; answers to its class name. */
export const neo4jPlugin: ConnectorPlugin = {
  name: "neo4j",
  aliases: ["org.neo4j.connectors.kafka.sink.Neo4jConnector"],
  type: "sink",
  version: "0.1.0",
  description:
    "Writes topics into Neo4j: per topic a Cypher template (neo4j.cypher.topic.<topic>) or a node or relationship pattern (neo4j.pattern.topic.<topic>), one transaction per batch, MERGE on keys, tombstones delete.",
  config: neo4jSinkConfig,
  createConnector: () => new Neo4jSinkConnector(),
  createTask: () => new Neo4jSinkTask(),
};
