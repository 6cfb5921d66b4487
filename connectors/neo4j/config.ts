import {
  ConfigDef,
  ConfigError,
  type FieldError,
  type ParsedConfig,
  SluiceError,
} from "../../runtime/api/index.ts";
import { CypherStrategy } from "./cypher.ts";
import { parsePattern } from "./pattern.ts";
import { patternStrategy } from "./pattern-strategy.ts";
import type { Bindings, TopicStrategy } from "./strategy.ts";

export const CYPHER_TOPIC_PREFIX = "neo4j.cypher.topic.";
export const PATTERN_TOPIC_PREFIX = "neo4j.pattern.topic.";

const AUTHENTICATION_TYPES = ["NONE", "BASIC", "KERBEROS", "BEARER", "CUSTOM"] as const;
export type AuthenticationType = (typeof AUTHENTICATION_TYPES)[number];

const TRUST_STRATEGIES = [
  "TRUST_ALL_CERTIFICATES",
  "TRUST_SYSTEM_CA_SIGNED_CERTIFICATES",
  "TRUST_CUSTOM_CA_SIGNED_CERTIFICATES",
] as const;
export type TrustStrategy = (typeof TRUST_STRATEGIES)[number];

const URI_SCHEMES = new Set(["bolt:", "bolt+s:", "bolt+ssc:", "neo4j:", "neo4j+s:", "neo4j+ssc:"]);

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Milliseconds of a duration as the Neo4j connector writes them: `30s`, `1m30s`, `500ms`; else undefined. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit as string] as number);
  }
  return total;
}

function checkDuration(value: string): string | undefined {
  return parseDuration(value) === undefined
    ? `must be a duration such as 30s, 1m30s or 500ms (units ms, s, m, h, d); got "${value}"`
    : undefined;
}

/** The authentication type given, in the spec's spelling; BASIC when absent. */
function authenticationType(config: ParsedConfig): string {
  return (config.originals["neo4j.authentication.type"] ?? "BASIC").trim().toUpperCase();
}

/** A validator: the key must be non-empty when neo4j.authentication.type is `type`. */
function requiredFor(type: AuthenticationType): (value: string, config: ParsedConfig) => string | undefined {
  return (value, config) =>
    value === "" && authenticationType(config) === type
      ? `is required when neo4j.authentication.type is ${type}`
      : undefined;
}

/** A validator for the Neo4j connector's strategies that Sluice does not have. */
function unsupported(value: string[]): string | undefined {
  return value.length === 0
    ? undefined
    : "is not supported by Sluice's neo4j sink; use neo4j.cypher.topic.<topic> or neo4j.pattern.topic.<topic>";
}

function bindingKey(strategy: "cypher" | "pattern", part: keyof Bindings, fallback: string) {
  return {
    name: `neo4j.${strategy}.bind-${part}-as`,
    type: "string",
    default: fallback,
    importance: "low",
    group: strategy,
    description:
      strategy === "cypher"
        ? `The variable the Cypher template reads the message's ${part} from; empty: not bound.`
        : `The name under which patterns read the message's ${part} explicitly, as in ${fallback}.x.`,
    ...(strategy === "pattern"
      ? {
          validate: (v: string) =>
            v.trim() === "" ? "must name the binding; patterns need all four" : undefined,
        }
      : {}),
  } as const;
}

/**
 * The Neo4j sink's keys, spelled as the Neo4j connector for Kafka spells them. The per-topic strategies
 * are prefix keys: `neo4j.cypher.topic.<topic>` (a Cypher template) or `neo4j.pattern.topic.<topic>`
 * (a node or relationship pattern), one per topic of `topics`.
 */
export const neo4jSinkConfig = new ConfigDef()
  .define({
    name: "neo4j.uri",
    type: "list",
    example: "neo4j://localhost:7687",
    importance: "high",
    group: "connection",
    description:
      "The Neo4j server's URI (bolt, neo4j, with +s or +ssc for TLS). Several, comma-separated, are tried in turn to find the cluster.",
    validate: (uris) => {
      if (uris.length === 0) return "must name at least one URI";
      for (const uri of uris) {
        let scheme: string;
        try {
          scheme = new URL(uri).protocol;
        } catch {
          return `"${uri}" is not a URI such as neo4j://localhost:7687`;
        }
        if (!URI_SCHEMES.has(scheme)) {
          return `"${uri}" has the scheme ${scheme.replace(":", "")}; use bolt, neo4j, bolt+s, neo4j+s, bolt+ssc or neo4j+ssc`;
        }
      }
      return undefined;
    },
  })
  .define({
    name: "neo4j.database",
    type: "string",
    default: "",
    example: "neo4j",
    importance: "high",
    group: "connection",
    description: "The database to write to; empty: the server's default database.",
  })
  .define({
    name: "neo4j.authentication.type",
    type: "string",
    default: "BASIC",
    oneOf: AUTHENTICATION_TYPES,
    importance: "high",
    group: "connection",
    description:
      "How to authenticate: NONE, BASIC (username and password), KERBEROS, BEARER (a token) or CUSTOM.",
  })
  .define({
    name: "neo4j.authentication.basic.username",
    type: "string",
    default: "",
    group: "connection",
    description: "The user name, for BASIC authentication.",
    validate: requiredFor("BASIC"),
  })
  .define({
    name: "neo4j.authentication.basic.password",
    type: "password",
    default: "",
    group: "connection",
    description: "The password, for BASIC authentication.",
    validate: requiredFor("BASIC"),
  })
  .define({
    name: "neo4j.authentication.basic.realm",
    type: "string",
    default: "",
    group: "connection",
    description: "The realm, for BASIC authentication; empty: the default.",
  })
  .define({
    name: "neo4j.authentication.kerberos.ticket",
    type: "password",
    default: "",
    group: "connection",
    description: "The Kerberos ticket, for KERBEROS authentication.",
    validate: requiredFor("KERBEROS"),
  })
  .define({
    name: "neo4j.authentication.bearer.token",
    type: "password",
    default: "",
    group: "connection",
    description: "The token, for BEARER authentication (e.g. an SSO token).",
    validate: requiredFor("BEARER"),
  })
  .define({
    name: "neo4j.authentication.custom.scheme",
    type: "string",
    default: "",
    group: "connection",
    description: "The scheme, for CUSTOM authentication.",
    validate: requiredFor("CUSTOM"),
  })
  .define({
    name: "neo4j.authentication.custom.principal",
    type: "string",
    default: "",
    group: "connection",
    description: "The principal, for CUSTOM authentication.",
    validate: requiredFor("CUSTOM"),
  })
  .define({
    name: "neo4j.authentication.custom.credentials",
    type: "password",
    default: "",
    group: "connection",
    description: "The credentials, for CUSTOM authentication.",
    validate: requiredFor("CUSTOM"),
  })
  .define({
    name: "neo4j.authentication.custom.realm",
    type: "string",
    default: "",
    group: "connection",
    description: "The realm, for CUSTOM authentication; empty: the default.",
  })
  .define({
    name: "neo4j.security.encrypted",
    type: "boolean",
    default: false,
    group: "connection",
    description: "Use TLS with a bolt:// or neo4j:// URI (the +s and +ssc schemes imply it).",
  })
  .define({
    name: "neo4j.security.trust-strategy",
    type: "string",
    default: "TRUST_SYSTEM_CA_SIGNED_CERTIFICATES",
    oneOf: TRUST_STRATEGIES,
    group: "connection",
    description: "Which server certificates to trust when neo4j.security.encrypted is true.",
  })
  .define({
    name: "neo4j.security.cert-files",
    type: "list",
    default: [],
    group: "connection",
    description: "PEM files of the CAs to trust, for TRUST_CUSTOM_CA_SIGNED_CERTIFICATES.",
  })
  .define({
    name: "neo4j.connection-timeout",
    type: "string",
    default: "30s",
    group: "connection",
    description: "How long to wait for a connection to the server.",
    validate: checkDuration,
  })
  .define({
    name: "neo4j.max-retry-time",
    type: "string",
    default: "30s",
    group: "connection",
    description:
      "How long the driver retries a batch's transaction after transient errors (deadlocks, leader changes, lost connections) before the task gives up and Sluice retries the batch with backoff.",
    validate: checkDuration,
  })
  .define({
    name: "neo4j.pool.max-connection-pool-size",
    type: "int",
    default: 100,
    min: 1,
    group: "connection",
    description: "The most connections the task keeps to each server.",
  })
  .define({
    name: "neo4j.pool.connection-acquisition-timeout",
    type: "string",
    default: "60s",
    group: "connection",
    description: "How long to wait for a connection from the pool.",
    validate: checkDuration,
  })
  .define({
    name: "neo4j.pool.max-connection-lifetime",
    type: "string",
    default: "1h",
    group: "connection",
    description: "Connections older than this are closed and replaced.",
    validate: checkDuration,
  })
  .define({
    name: "neo4j.pool.idle-time-before-connection-test",
    type: "string",
    default: "",
    group: "connection",
    description: "A connection idle this long is tested before use; empty: never tested.",
    validate: (value) => (value.trim() === "" ? undefined : checkDuration(value)),
  })
  .define({
    name: "neo4j.batch-size",
    type: "int",
    default: 1_000,
    min: 1,
    importance: "medium",
    group: "sink",
    description:
      "The most records written in one transaction. The task buffers up to this many records and writes them when the buffer is full or at the engine's flush.",
  })
  .define({
    name: "neo4j.batch-timeout",
    type: "string",
    default: "0s",
    importance: "medium",
    group: "sink",
    description:
      "The longest one batch's transaction may run on the server before it is rolled back and retried; 0s: the server's own limit.",
    validate: checkDuration,
  })
  .define(bindingKey("cypher", "timestamp", "__timestamp"))
  .define(bindingKey("cypher", "header", "__header"))
  .define(bindingKey("cypher", "key", "__key"))
  .define(bindingKey("cypher", "value", "__value"))
  .define({
    name: "neo4j.cypher.bind-value-as-event",
    type: "boolean",
    default: true,
    importance: "low",
    group: "cypher",
    description: "Also bind the message's value as `event`, as older versions of the Neo4j connector did.",
  })
  .define(bindingKey("pattern", "timestamp", "__timestamp"))
  .define(bindingKey("pattern", "header", "__header"))
  .define(bindingKey("pattern", "key", "__key"))
  .define(bindingKey("pattern", "value", "__value"))
  .define({
    name: "neo4j.pattern.merge-node-properties",
    type: "boolean",
    default: false,
    importance: "low",
    group: "pattern",
    description:
      "Add a message's properties to a node's existing ones; false: replace the node's properties with the message's (keys included). Applies to the nodes of relationship patterns too.",
  })
  .define({
    name: "neo4j.pattern.merge-relationship-properties",
    type: "boolean",
    default: false,
    importance: "low",
    group: "pattern",
    description:
      "Add a message's properties to a relationship's existing ones; false: replace them with the message's.",
  })
  .define({
    name: "neo4j.cdc.source-id.topics",
    type: "list",
    default: [],
    group: "sink",
    description: "The Neo4j connector's CDC source-id strategy; not supported by Sluice.",
    validate: unsupported,
  })
  .define({
    name: "neo4j.cdc.schema.topics",
    type: "list",
    default: [],
    group: "sink",
    description: "The Neo4j connector's CDC schema strategy; not supported by Sluice.",
    validate: unsupported,
  })
  .define({
    name: "neo4j.cud.topics",
    type: "list",
    default: [],
    group: "sink",
    description: "The Neo4j connector's CUD strategy; not supported by Sluice.",
    validate: unsupported,
  });

/** How to reach and authenticate to Neo4j. */
export interface ConnectionSettings {
  readonly uris: readonly string[];
  /** undefined: the server's default database. */
  readonly database: string | undefined;
  readonly authentication:
    | { type: "NONE" }
    | { type: "BASIC"; username: string; password: string; realm: string }
    | { type: "KERBEROS"; ticket: string }
    | { type: "BEARER"; token: string }
    | { type: "CUSTOM"; scheme: string; principal: string; credentials: string; realm: string };
  readonly encrypted: boolean;
  readonly trustStrategy: TrustStrategy;
  readonly certFiles: readonly string[];
  readonly connectionTimeoutMs: number;
  readonly maxRetryTimeMs: number;
  readonly maxConnectionPoolSize: number;
  readonly connectionAcquisitionTimeoutMs: number;
  readonly maxConnectionLifetimeMs: number;
  /** undefined: idle connections are not tested. */
  readonly idleTimeBeforeConnectionTestMs: number | undefined;
}

export interface Neo4jSinkSettings {
  readonly connection: ConnectionSettings;
  readonly batchSize: number;
  /** 0: the server's own transaction timeout. */
  readonly batchTimeoutMs: number;
  /** The strategy of each configured topic. */
  readonly strategies: ReadonlyMap<string, TopicStrategy>;
}

function connectionSettings(config: ParsedConfig): ConnectionSettings {
  const text = (name: string) => config.string(name);
  const duration = (name: string) => parseDuration(text(name)) as number;
  const type = config.string("neo4j.authentication.type") as AuthenticationType;
  const idle = text("neo4j.pool.idle-time-before-connection-test").trim();
  return {
    uris: config.list("neo4j.uri"),
    database: text("neo4j.database").trim() || undefined,
    authentication:
      type === "NONE"
        ? { type }
        : type === "BASIC"
          ? {
              type,
              username: text("neo4j.authentication.basic.username"),
              password: text("neo4j.authentication.basic.password"),
              realm: text("neo4j.authentication.basic.realm"),
            }
          : type === "KERBEROS"
            ? { type, ticket: text("neo4j.authentication.kerberos.ticket") }
            : type === "BEARER"
              ? { type, token: text("neo4j.authentication.bearer.token") }
              : {
                  type,
                  scheme: text("neo4j.authentication.custom.scheme"),
                  principal: text("neo4j.authentication.custom.principal"),
                  credentials: text("neo4j.authentication.custom.credentials"),
                  realm: text("neo4j.authentication.custom.realm"),
                },
    encrypted: config.boolean("neo4j.security.encrypted"),
    trustStrategy: config.string("neo4j.security.trust-strategy") as TrustStrategy,
    certFiles: config.list("neo4j.security.cert-files"),
    connectionTimeoutMs: duration("neo4j.connection-timeout"),
    maxRetryTimeMs: duration("neo4j.max-retry-time"),
    maxConnectionPoolSize: config.int("neo4j.pool.max-connection-pool-size"),
    connectionAcquisitionTimeoutMs: duration("neo4j.pool.connection-acquisition-timeout"),
    maxConnectionLifetimeMs: duration("neo4j.pool.max-connection-lifetime"),
    idleTimeBeforeConnectionTestMs: idle === "" ? undefined : parseDuration(idle),
  };
}

function bindings(config: ParsedConfig, strategy: "cypher" | "pattern"): Bindings {
  const name = (part: keyof Bindings) => config.string(`neo4j.${strategy}.bind-${part}-as`).trim();
  return { timestamp: name("timestamp"), header: name("header"), key: name("key"), value: name("value") };
}

/**
 * The strategy of every topic named by a `neo4j.cypher.topic.*` or `neo4j.pattern.topic.*` key, and
 * a field error for each key that does not parse, each topic with two strategies, each topic of
 * `topics` without one and each strategy for a topic that `topics` does not name.
 */
function topicStrategies(config: ParsedConfig): {
  strategies: Map<string, TopicStrategy>;
  errors: FieldError[];
} {
  const errors: FieldError[] = [];
  const strategies = new Map<string, TopicStrategy>();
  const cypherBindings = bindings(config, "cypher");
  const bindValueAsEvent = config.boolean("neo4j.cypher.bind-value-as-event");
  const cypherBinds = bindValueAsEvent || Object.values(cypherBindings).some((name) => name !== "");
  for (const [topic, template] of Object.entries(config.withPrefix(CYPHER_TOPIC_PREFIX))) {
    const field = `${CYPHER_TOPIC_PREFIX}${topic}`;
    if (template.trim() === "") errors.push({ field, message: "must be a Cypher template" });
    else if (!cypherBinds) {
      errors.push({
        field,
        message: "binds nothing: every neo4j.cypher.bind-*-as is empty and bind-value-as-event false",
      });
    } else strategies.set(topic, new CypherStrategy(field, template, cypherBindings, bindValueAsEvent));
  }
  const patternOptions = {
    bindings: bindings(config, "pattern"),
    mergeNodeProperties: config.boolean("neo4j.pattern.merge-node-properties"),
    mergeRelationshipProperties: config.boolean("neo4j.pattern.merge-relationship-properties"),
  };
  for (const [topic, text] of Object.entries(config.withPrefix(PATTERN_TOPIC_PREFIX))) {
    const field = `${PATTERN_TOPIC_PREFIX}${topic}`;
    if (config.originals[`${CYPHER_TOPIC_PREFIX}${topic}`] !== undefined) {
      errors.push({
        field,
        message: `topic "${topic}" has a Cypher template too; give each topic one strategy`,
      });
      continue;
    }
    try {
      strategies.set(topic, patternStrategy(field, parsePattern(text), patternOptions));
    } catch (error) {
      if (!(error instanceof SluiceError)) throw error;
      errors.push({ field, message: `does not parse: ${error.message}` });
    }
  }
  const topics = (config.originals["topics"] ?? "")
    .split(",")
    .map((topic) => topic.trim())
    .filter((topic) => topic !== "");
  const written = new Set([
    ...Object.keys(config.withPrefix(CYPHER_TOPIC_PREFIX)),
    ...Object.keys(config.withPrefix(PATTERN_TOPIC_PREFIX)),
  ]);
  for (const topic of topics) {
    if (!written.has(topic)) {
      errors.push({
        field: "topics",
        message: `topic "${topic}" has no strategy: set ${CYPHER_TOPIC_PREFIX}${topic} or ${PATTERN_TOPIC_PREFIX}${topic}`,
      });
    }
  }
  if (topics.length > 0) {
    for (const [topic, strategy] of strategies) {
      if (!topics.includes(topic)) {
        errors.push({
          field: strategy.configKey,
          message: `topic "${topic}" is not one of topics (${topics.join(", ")})`,
        });
      }
    }
  }
  if (written.size === 0) {
    errors.push({
      field: "topics",
      message: `no strategy is configured: set ${CYPHER_TOPIC_PREFIX}<topic> or ${PATTERN_TOPIC_PREFIX}<topic> for each topic`,
    });
  }
  return { strategies, errors };
}

/** The typed settings of a config parsed with `neo4jSinkConfig`, or every field error that prevents them. */
export function readNeo4jSinkSettings(config: ParsedConfig): {
  settings?: Neo4jSinkSettings;
  errors: FieldError[];
} {
  const { strategies, errors } = topicStrategies(config);
  if (errors.length > 0) return { errors };
  return {
    settings: {
      connection: connectionSettings(config),
      batchSize: config.int("neo4j.batch-size"),
      batchTimeoutMs: parseDuration(config.string("neo4j.batch-timeout")) as number,
      strategies,
    },
    errors,
  };
}

/** The typed settings; throws ConfigError naming every bad field. */
export function neo4jSinkSettings(config: ParsedConfig): Neo4jSinkSettings {
  const { settings, errors } = readNeo4jSinkSettings(config);
  if (settings === undefined) throw new ConfigError(errors);
  return settings;
}
