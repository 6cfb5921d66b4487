import { Client, Transport } from "@elastic/elasticsearch";
import { Redis } from "ioredis";
import neo4j, { type Driver } from "neo4j-driver";
import { WebHdfs } from "../../connectors/hdfs/webhdfs.ts";
import { REPLACE_HASH } from "../../connectors/redis/commands.ts";
import type { StackEnv } from "../../stack/env.ts";
import { type BenchDocument, documentOf } from "../support/documents.ts";

/**
 * The stores the sink-drain scenario writes to. For each: the Sluice connector's config, how to empty
 * the target before a run, how many documents it holds afterwards (a sanity check), and the ceiling —
 * the client library the connector uses writing the same documents in batches of the same size,
 * one request after the other, with no Kafka and no Sluice in between.
 */
export interface SinkTarget {
  /** The connector as the report names it, e.g. `elasticsearch → OpenSearch`. */
  readonly system: string;
  readonly connectorClass: string;
  /** The connector's keys for draining `topic` (batch size included). */
  connectorConfig(topic: string, batchSize: number): Record<string, string>;
  /** Empties what a run on `topic` writes to, and creates what both sides expect to exist. */
  prepare(topic: string): Promise<void>;
  /** Writes documents 0..count-1 directly, `batchSize` per request. */
  ceiling(topic: string, count: number, batchSize: number): Promise<void>;
  /** Documents the target holds for `topic`. */
  count(topic: string): Promise<number>;
  /** Removes what runs on `topic` left behind. */
  cleanup(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** Documents 0..count-1 in batches of `size`, written one batch after the other. */
async function inBatches(
  count: number,
  size: number,
  write: (batch: readonly BenchDocument[]) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < count; start += size) {
    const batch: BenchDocument[] = [];
    for (let i = start; i < Math.min(count, start + size); i++) batch.push(documentOf(i));
    await write(batch);
  }
}

/** The Elasticsearch client's transport without its Elasticsearch-only product check and media types. */
class OpenSearchTransport extends Transport {
  constructor(options: ConstructorParameters<typeof Transport>[0]) {
    super({ ...options, productCheck: undefined, vendoredHeaders: undefined });
  }
}

export function openSearchTarget(env: StackEnv): SinkTarget {
  const client = new Client({
    node: env.opensearchUrl,
    Transport: OpenSearchTransport,
    requestTimeout: 60_000,
  });
  const index = (topic: string) => topic.toLowerCase();
  return {
    system: "elasticsearch sink → OpenSearch",
    connectorClass: "elasticsearch",
    connectorConfig: (_topic, batchSize) => ({
      "connection.url": env.opensearchUrl,
      flavor: "opensearch",
      "batch.size": String(batchSize),
      "read.timeout.ms": "60000",
    }),
    async prepare(topic) {
      await client.indices.delete({ index: index(topic) }, { ignore: [404] });
      await client.indices.create({
        index: index(topic),
        settings: { number_of_shards: 1, number_of_replicas: 0 },
      });
    },
    async ceiling(topic, count, batchSize) {
      await inBatches(count, batchSize, async (batch) => {
        const response = await client.bulk({
          operations: batch.flatMap((doc) => [{ index: { _index: index(topic), _id: String(doc.id) } }, doc]),
        });
        if (response.errors) throw new Error("OpenSearch refused documents of the ceiling's bulk request");
      });
    },
    async count(topic) {
      await client.indices.refresh({ index: index(topic) });
      return (await client.count({ index: index(topic) })).count;
    },
    async cleanup(topic) {
      await client.indices.delete({ index: index(topic) }, { ignore: [404] });
    },
    close: () => client.close(),
  };
}

/** The Redis database the benchmark owns, emptied before every run; tests use database 0. */
const REDIS_DB = 9;

function hashFields(doc: BenchDocument): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(doc)) {
    fields.push(name, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  return fields;
}

export function redisTarget(env: StackEnv): SinkTarget {
  const uri = `${env.redisUrl.replace(/\/\d*$/, "")}/${REDIS_DB}`;
  const redis = new Redis(uri, { lazyConnect: true });
  return {
    system: "redis sink (HASH) → Redis",
    connectorClass: "redis",
    connectorConfig: (_topic, batchSize) => ({
      "redis.uri": uri,
      "redis.type": "HASH",
      "redis.batch.size": String(batchSize),
    }),
    async prepare() {
      await redis.flushdb();
    },
    async ceiling(topic, count, batchSize) {
      // The same command per document as the sink sends: replace the hash whole, atomically, by script.
      await redis.script("LOAD", REPLACE_HASH.text);
      await inBatches(count, batchSize, async (batch) => {
        const pipeline = redis.pipeline();
        for (const doc of batch)
          pipeline.call("EVALSHA", REPLACE_HASH.sha, "1", `${topic}:${doc.id}`, "-1", ...hashFields(doc));
        const results = await pipeline.exec();
        if (results?.some(([error]) => error !== null)) throw new Error("Redis refused a ceiling command");
      });
    },
    count: () => redis.dbsize(),
    async cleanup() {
      await redis.flushdb();
    },
    async close() {
      await redis.quit();
    },
  };
}

/** Neo4j labels may not hold `-`; one label per topic keeps runs apart. */
function neo4jLabel(topic: string): string {
  return `Bench_${topic.replace(/[^A-Za-z0-9]/g, "_")}`;
}

const NEO4J_PROPERTIES = ["name", "email", "city", "score", "active", "tags", "created_at", "note"] as const;

/** A document's properties as the sink sends them: whole numbers as integers, others as they are. */
function neo4jRow(doc: BenchDocument): { keys: { id: unknown }; properties: Record<string, unknown> } {
  const properties: Record<string, unknown> = {};
  for (const name of NEO4J_PROPERTIES) {
    const value = doc[name];
    properties[name] = typeof value === "number" && Number.isSafeInteger(value) ? neo4j.int(value) : value;
  }
  return { keys: { id: neo4j.int(doc.id) }, properties };
}

async function deleteLabel(driver: Driver, label: string): Promise<void> {
  const session = driver.session();
  try {
    await session.run(`MATCH (n:\`${label}\`) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`);
    await session.run(`DROP CONSTRAINT \`${label}_id\` IF EXISTS`);
  } finally {
    await session.close();
  }
}

export function neo4jTarget(env: StackEnv): SinkTarget {
  const driver = neo4j.driver(env.neo4jUri);
  return {
    system: "neo4j sink (node pattern) → Neo4j",
    connectorClass: "neo4j",
    connectorConfig: (topic, batchSize) => ({
      "neo4j.uri": env.neo4jUri,
      "neo4j.authentication.type": "NONE",
      "neo4j.batch-size": String(batchSize),
      [`neo4j.pattern.topic.${topic}`]: `(:${neo4jLabel(topic)}{!id, ${NEO4J_PROPERTIES.join(", ")}})`,
    }),
    async prepare(topic) {
      const label = neo4jLabel(topic);
      await deleteLabel(driver, label);
      await driver.executeQuery(
        `CREATE CONSTRAINT \`${label}_id\` IF NOT EXISTS FOR (n:\`${label}\`) REQUIRE n.id IS UNIQUE`,
      );
    },
    async ceiling(topic, count, batchSize) {
      // The statement the sink's node pattern plans, one transaction per batch.
      const label = neo4jLabel(topic);
      const statement = `UNWIND $events AS event\nMERGE (n:\`${label}\` {\`id\`: event.keys.\`id\`})\nSET n = event.properties SET n += event.keys`;
      const session = driver.session();
      try {
        await inBatches(count, batchSize, async (batch) => {
          await session.executeWrite((tx) => tx.run(statement, { events: batch.map(neo4jRow) }));
        });
      } finally {
        await session.close();
      }
    },
    async count(topic) {
      const { records } = await driver.executeQuery(
        `MATCH (n:\`${neo4jLabel(topic)}\`) RETURN count(n) AS n`,
      );
      return Number(records[0]?.get("n") ?? 0);
    },
    cleanup: (topic) => deleteLabel(driver, neo4jLabel(topic)),
    close: () => driver.close(),
  };
}

export function hdfsTarget(env: StackEnv): SinkTarget {
  const hdfs = new WebHdfs({ url: env.webhdfsUrl, user: env.hdfsUser });
  const root = (topic: string) => `/sluice-bench/${topic}`;
  return {
    system: "hdfs sink (JSON files) → HDFS",
    connectorClass: "hdfs",
    connectorConfig: (topic, batchSize) => ({
      "hdfs.url": env.webhdfsUrl,
      "hdfs.user": env.hdfsUser,
      "topics.dir": `${root(topic)}/topics`,
      "logs.dir": `${root(topic)}/logs`,
      "format.class": "json",
      "flush.size": String(batchSize),
    }),
    async prepare(topic) {
      await hdfs.delete(root(topic), { recursive: true });
    },
    async ceiling(topic, count, batchSize) {
      // One file of `batchSize` JSON lines per request, as the sink commits a file per flush.size records.
      let file = 0;
      await inBatches(count, batchSize, async (batch) => {
        const text = batch.map((doc) => `${JSON.stringify(doc)}\n`).join("");
        await hdfs.create(`${root(topic)}/ceiling/${topic}+0+${file++}.json`, Buffer.from(text), {
          overwrite: true,
        });
      });
    },
    async count(topic) {
      const directory = `${root(topic)}/topics/${topic}/partition=0`;
      const files = await hdfs.listOrEmpty(directory).catch(() => []);
      let total = 0;
      for (const file of files) {
        const match = /\+(\d+)\+(\d+)\.json$/.exec(file.pathSuffix);
        if (match) total += Number(match[2]) - Number(match[1]) + 1;
      }
      return total;
    },
    async cleanup(topic) {
      await hdfs.delete(root(topic), { recursive: true });
    },
    close: async () => {},
  };
}
