import type { Driver } from "neo4j-driver";
import type { Logger } from "../../runtime/api/index.ts";
import type { Neo4jSinkSettings } from "./config.ts";
import { quote } from "./strategy.ts";

/**
 * Logs a warning for each node a pattern MERGEs on keys that no index covers: without one, every MERGE
 * scans all nodes of the label and a batch takes quadratic time. Never throws; a server that will not
 * list its indexes is only noted at debug level.
 */
export async function warnAboutUnindexedKeys(
  driver: Driver,
  settings: Neo4jSinkSettings,
  logger: Logger,
): Promise<void> {
  const nodes = [...settings.strategies.values()].flatMap((strategy) =>
    strategy.mergedNodes.map((node) => ({ ...node, configKey: strategy.configKey })),
  );
  if (nodes.length === 0) return;
  let indexes: Array<{ labels: string[]; properties: string[] }>;
  try {
    const { records } = await driver.executeQuery(
      `SHOW INDEXES YIELD entityType, type, labelsOrTypes, properties
       WHERE entityType = 'NODE' AND NOT type IN ['LOOKUP', 'FULLTEXT', 'VECTOR']
       RETURN labelsOrTypes, properties`,
      {},
      { database: settings.connection.database, routing: "READ" },
    );
    indexes = records.map((r) => ({ labels: r.get("labelsOrTypes"), properties: r.get("properties") }));
  } catch (error) {
    logger.debug("could not list the indexes to check the patterns' keys", {
      error: (error as Error).message,
    });
    return;
  }
  for (const { configKey, labels, keys } of nodes) {
    const covered = indexes.some(
      (index) =>
        index.labels.some((label) => labels.includes(label)) &&
        index.properties.length > 0 &&
        index.properties.every((property) => keys.includes(property)),
    );
    if (covered) continue;
    const label = quote(labels[0] ?? "");
    const properties = keys.map((key) => `n.${quote(key)}`).join(", ");
    logger.warn(
      `${configKey}: no index covers the key of (:${labels.join(":")} {${keys.join(", ")}}), so every MERGE scans all its nodes; create one, e.g. CREATE CONSTRAINT IF NOT EXISTS FOR (n:${label}) REQUIRE (${properties}) IS UNIQUE`,
    );
  }
}
