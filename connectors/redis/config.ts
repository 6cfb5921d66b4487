// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${topic} is the redis.keyspace's placeholder, not a JS template
import { ConfigDef, type ParsedConfig } from "../../runtime/api/index.ts";

export const REDIS_TYPES = ["STRING", "HASH", "JSON", "STREAM", "SET", "ZSET", "LIST"] as const;
export type RedisType = (typeof REDIS_TYPES)[number];

/** Types whose Redis key is keyspace + separator + record key; the others write to one key per keyspace. */
export const KEYED_TYPES: ReadonlySet<RedisType> = new Set(["STRING", "HASH", "JSON"]);

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** What is wrong with a keyspace template, or undefined when its only placeholder is `${topic}`. */
export function keyspaceProblem(template: string): string | undefined {
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match[1] !== "topic") return `has the unknown placeholder "${match[0]}"; the only one is \${topic}`;
  }
  return template.replace(PLACEHOLDER, "").includes("${") ? 'has an unclosed "${"' : undefined;
}

/** The keyspace of a record of `topic`. */
export function renderKeyspace(template: string, topic: string): string {
  return template.replace(PLACEHOLDER, () => topic);
}

function uriProblem(uri: string): string | undefined {
  try {
    const { protocol } = new URL(uri);
    return protocol === "redis:" || protocol === "rediss:"
      ? undefined
      : "must be a redis:// or rediss:// URI";
  } catch {
    return "must be a redis:// or rediss:// URI, e.g. redis://user:password@host:6379/0";
  }
}

/** The Redis sink's keys, spelled as Redis's own Kafka connector spells them. */
export const redisConfig = new ConfigDef()
  .define({
    name: "redis.uri",
    type: "password",
    default: "redis://localhost:6379",
    example: "redis://:secret@cache.example.com:6379/0",
    importance: "high",
    description: "The server: redis://[[user]:password@]host[:port][/db], or rediss:// for TLS.",
    validate: uriProblem,
  })
  .define({
    name: "redis.type",
    type: "string",
    default: "HASH",
    oneOf: REDIS_TYPES,
    importance: "high",
    description:
      "How a record is stored. Keyed by record key: STRING (the value as text: strings and bytes as they are, anything else as JSON), HASH (the value's fields; nested values as JSON), JSON (a RedisJSON document; needs the RedisJSON module). One collection per keyspace, the record key as member: SET, ZSET (the value is the score), LIST (each member once, in the order of its latest record). STREAM: each record appended to the keyspace's stream.",
  })
  .define({
    name: "redis.keyspace",
    type: "string",
    default: "${topic}",
    example: "cache:${topic}",
    importance: "medium",
    description:
      "The key prefix (STRING, HASH, JSON) or the collection's key (SET, ZSET, LIST, STREAM); ${topic} stands for the record's topic. Empty: the record key alone is the Redis key.",
    validate: (template, config) => {
      const type = config.string("redis.type") as RedisType;
      const collection = !KEYED_TYPES.has(type);
      return (
        keyspaceProblem(template) ??
        (template === "" && collection ? `must name the ${type}'s key` : undefined)
      );
    },
  })
  .define({
    name: "redis.separator",
    type: "string",
    default: ":",
    importance: "low",
    description: "What separates keyspace and record key in a Redis key.",
  })
  .define({
    name: "redis.key.ttl",
    type: "long",
    default: -1n,
    min: -1,
    importance: "medium",
    description:
      "Seconds until a written key expires, set again on each write; -1: never. For SET, ZSET, LIST and STREAM the whole collection expires.",
    validate: (ttl) => (ttl === 0n ? "must be -1 (no expiry) or a positive number of seconds" : undefined),
  })
  .define({
    name: "redis.multiexec",
    type: "boolean",
    default: false,
    importance: "low",
    description:
      "Wrap each pipeline (up to redis.batch.size records) in MULTI/EXEC, so that readers see all of its writes or none; the server runs nothing else meanwhile.",
  })
  .define({
    name: "redis.batch.size",
    type: "int",
    default: 1_000,
    min: 1,
    max: 1_000_000,
    importance: "low",
    description: "The most records in one pipeline; a larger put is written in several pipelines, in order.",
  });

/** A Redis sink config, typed. */
export interface RedisSettings {
  readonly uri: string;
  readonly type: RedisType;
  readonly keyspace: string;
  readonly separator: string;
  /** Seconds; null: no expiry. */
  readonly ttlSeconds: number | null;
  readonly multiExec: boolean;
  readonly batchSize: number;
}

/** The typed settings of a config parsed with `redisConfig`. */
export function redisSettings(config: ParsedConfig): RedisSettings {
  const ttl = config.long("redis.key.ttl");
  return {
    uri: config.string("redis.uri"),
    type: config.string("redis.type") as RedisType,
    keyspace: config.string("redis.keyspace"),
    separator: config.string("redis.separator"),
    ttlSeconds: ttl < 0n ? null : Number(ttl),
    multiExec: config.boolean("redis.multiexec"),
    batchSize: config.int("redis.batch.size"),
  };
}
