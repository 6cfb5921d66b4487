import { rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { driver as neo4jDriver } from "neo4j-driver";
import { KafkaAdmin } from "../../runtime/kafka/admin.ts";
import type { StackEnv } from "../env.ts";
import { DEMO } from "./schema.ts";

/** The dead-letter topic each demo sink is configured with. */
export const demoDeadLetterTopics = DEMO.sinks.map((sink) => `${sink}-dlq`);

/**
 * Removes what an earlier run of the demo left, so that the sinks end up holding exactly this run's
 * rows: the demo topics and dead-letter topics (and with them the sinks' committed offsets), the
 * OpenSearch indices, the Redis hashes, the Neo4j nodes, the HDFS directory and the worker's data
 * dir. Only names the demo owns are touched (see DEMO). Creates the Neo4j constraints the sink's
 * MERGEs rely on.
 */
export async function resetDemoState(env: StackEnv, workerDataDir: string): Promise<void> {
  await rm(workerDataDir, { recursive: true, force: true });
  await Promise.all([
    resetKafka(env),
    resetOpenSearch(env),
    resetRedis(env),
    resetNeo4j(env),
    resetHdfs(env),
  ]);
}

async function resetKafka(env: StackEnv): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapServers: [env.kafkaBootstrap], clientId: "sluice-demo" });
  try {
    for (const connector of DEMO.sinks) {
      await admin.deleteGroupOffsets(`connect-${connector}`).catch(() => {});
    }
    const doomed = [...DEMO.topics, ...demoDeadLetterTopics];
    await admin.deleteTopics(doomed);
    // Deletion completes asynchronously; a topic recreated too early could keep old records.
    for (let attempt = 0; attempt < 100; attempt++) {
      const left = (await admin.listTopics()).filter((topic) => doomed.includes(topic));
      if (left.length === 0) return;
      await sleep(200);
    }
    throw new Error(`Kafka did not finish deleting ${doomed.join(", ")}`);
  } finally {
    await admin.close();
  }
}

async function resetOpenSearch(env: StackEnv): Promise<void> {
  const response = await fetch(
    `${env.opensearchUrl}/${DEMO.topics.join(",")}?ignore_unavailable=true&allow_no_indices=true`,
    { method: "DELETE" },
  );
  if (!response.ok)
    throw new Error(`OpenSearch refused to delete the demo indices: ${await response.text()}`);
}

async function resetRedis(env: StackEnv): Promise<void> {
  const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const topic of DEMO.topics) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${topic}:*`, "COUNT", 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
}

async function resetNeo4j(env: StackEnv): Promise<void> {
  const graph = neo4jDriver(env.neo4jUri);
  try {
    for (const label of DEMO.neo4jLabels) {
      await graph.executeQuery(`MATCH (n:${label}) DETACH DELETE n`);
      await graph.executeQuery(
        `CREATE CONSTRAINT ${label.toLowerCase()}_id IF NOT EXISTS FOR (n:${label}) REQUIRE n.id IS UNIQUE`,
      );
    }
  } finally {
    await graph.close();
  }
}

async function resetHdfs(env: StackEnv): Promise<void> {
  const url = `${env.webhdfsUrl}/webhdfs/v1${DEMO.hdfsRoot}?op=DELETE&recursive=true&user.name=${encodeURIComponent(env.hdfsUser)}`;
  const response = await fetch(url, { method: "DELETE" });
  if (!response.ok) throw new Error(`WebHDFS refused to delete ${DEMO.hdfsRoot}: ${await response.text()}`);
}
