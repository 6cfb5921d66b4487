// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${topic} is the index.name.template's placeholder, not a JS template
import { ConfigDef, type ParsedConfig } from "../../runtime/api/index.ts";
import { indexProblemForTopic, templateProblem } from "./index-name.ts";

export const FLAVORS = ["elasticsearch", "opensearch"] as const;
export type Flavor = (typeof FLAVORS)[number];
export const WRITE_METHODS = ["insert", "upsert"] as const;
export type WriteMethod = (typeof WRITE_METHODS)[number];
export const NULL_VALUE_BEHAVIORS = ["ignore", "delete", "fail"] as const;
export type NullValueBehavior = (typeof NULL_VALUE_BEHAVIORS)[number];
export const MALFORMED_DOCUMENT_BEHAVIORS = ["ignore", "warn", "fail"] as const;
export type MalformedDocumentBehavior = (typeof MALFORMED_DOCUMENT_BEHAVIORS)[number];

function urlProblem(urls: string[]): string | undefined {
  if (urls.length === 0) return "must name at least one http:// or https:// URL";
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `"${url}" is not a URL`;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      return `"${url}" is not an http:// or https:// URL`;
  }
  return undefined;
}

/** Confluent's Elasticsearch sink keys, plus `flavor` and `index.name.template`. */
export const elasticsearchConfig = new ConfigDef()
  .define({
    name: "connection.url",
    type: "list",
    example: "http://localhost:9200",
    importance: "high",
    group: "Connection",
    description: "The URLs of the cluster's HTTP endpoints, comma-separated; requests are spread over them.",
    validate: urlProblem,
  })
  .define({
    name: "connection.username",
    type: "string",
    default: null,
    importance: "medium",
    group: "Connection",
    description: "The user for HTTP basic authentication; default: none.",
  })
  .define({
    name: "connection.password",
    type: "password",
    default: null,
    importance: "medium",
    group: "Connection",
    description: "The password for HTTP basic authentication.",
  })
  .define({
    name: "flavor",
    type: "string",
    default: "elasticsearch",
    oneOf: FLAVORS,
    importance: "high",
    group: "Connection",
    description:
      "The server: elasticsearch (8 or 9; the client checks that it is Elasticsearch and sends its compatibility media types) or opensearch (plain JSON, no product check).",
  })
  .define({
    name: "connection.timeout.ms",
    type: "int",
    default: 1_000,
    min: 1,
    group: "Connection",
    description:
      "How long to wait for a connection to a node, in ms (the reachability check in validate also waits at most this long for each URL, plus read.timeout.ms).",
  })
  .define({
    name: "read.timeout.ms",
    type: "int",
    default: 3_000,
    min: 1,
    group: "Connection",
    description:
      "How long to wait for the answer to one request, in ms; a request that times out is retried.",
  })
  .define({
    name: "index.name.template",
    type: "string",
    default: "${topic}",
    example: "cdc-${topic}",
    importance: "medium",
    group: "Data",
    description:
      "The index a record is written to; ${topic} stands for its topic, lowercased. To route by other parts of the record, rewrite the topic with a transform (RegexRouter, TimestampRouter).",
    validate: (template) => templateProblem(template) ?? indexProblemForTopic(template, "topic"),
  })
  .define({
    name: "key.ignore",
    type: "boolean",
    default: false,
    importance: "high",
    group: "Data",
    description:
      "false: the record key is the document id, so a newer record with the same key replaces the document. true: the id is topic+partition+offset, one document per record (replays still overwrite the same documents).",
  })
  .define({
    name: "schema.ignore",
    type: "boolean",
    default: false,
    importance: "low",
    group: "Data",
    description:
      "false: an index that does not exist yet is created with a mapping derived from the value schema of the first record written to it (records without a schema: dynamic mapping). true: the task never creates indices or mappings; the server's dynamic mapping applies.",
  })
  .define({
    name: "write.method",
    type: "string",
    default: "insert",
    oneOf: WRITE_METHODS,
    importance: "medium",
    group: "Data",
    description:
      "insert: index the value as the whole document (replacing it). upsert: merge the value's fields into the document, creating it when absent.",
  })
  .define({
    name: "behavior.on.null.values",
    type: "string",
    default: "fail",
    oneOf: NULL_VALUE_BEHAVIORS,
    importance: "medium",
    group: "Data",
    description:
      "What a tombstone (null value) does: ignore it, delete the document of its key, or fail (the record is reported as errant: dead-lettered with errors.tolerance=all, else the task fails).",
    validate: (behavior, config) =>
      behavior === "delete" && config.boolean("key.ignore")
        ? "delete needs key.ignore=false: the key names the document to delete"
        : undefined,
  })
  .define({
    name: "behavior.on.malformed.documents",
    type: "string",
    default: "fail",
    oneOf: MALFORMED_DOCUMENT_BEHAVIORS,
    importance: "medium",
    group: "Data",
    description:
      "What a document the server refuses (400: mapping conflict, unparsable field) does: ignore it, warn (log and skip it), or fail (the record is reported as errant with the server's reason: dead-lettered with errors.tolerance=all, else the task fails).",
  })
  .define({
    name: "batch.size",
    type: "int",
    default: 2_000,
    min: 1,
    max: 1_000_000,
    importance: "medium",
    group: "Batching",
    description:
      "The most records in one bulk request; buffered records are written once this many are waiting.",
  })
  .define({
    name: "bulk.size.bytes",
    type: "int",
    default: 5 * 1024 * 1024,
    min: -1,
    group: "Batching",
    description:
      "The largest bulk request body, in bytes (a single larger document is sent alone); -1: no limit.",
    validate: (bytes) => (bytes === 0 ? "must be -1 (no limit) or a positive number of bytes" : undefined),
  })
  .define({
    name: "linger.ms",
    type: "int",
    default: 1,
    min: 0,
    max: 7 * 24 * 60 * 60 * 1000,
    group: "Batching",
    description:
      "How long a buffered record may wait for more records to fill a bulk request before it is written, in ms.",
  })
  .define({
    name: "max.buffered.records",
    type: "int",
    default: 20_000,
    min: 1,
    max: 10_000_000,
    group: "Batching",
    description:
      "The most records a task holds that are not yet written; a put that would hold more waits until what is buffered is written. Below it, put returns while earlier bulk requests are still under way.",
  })
  .define({
    name: "max.in.flight.requests",
    type: "int",
    default: 5,
    min: 1,
    max: 1_000,
    group: "Batching",
    description:
      "The most bulk requests a task has outstanding; requests that share a document id are never in flight together, so each document sees its records in order.",
  })
  .define({
    name: "max.retries",
    type: "int",
    default: 5,
    min: 0,
    group: "Retries",
    description:
      "How often a failed request (connection error, timeout, 408, 429, 5xx) or a failed item (408, 409, 429, 5xx) is retried before the write gives up: the records stay buffered for the next write, and flush throws RetriableError so that no offset is committed past them.",
  })
  .define({
    name: "retry.backoff.ms",
    type: "int",
    default: 100,
    min: 0,
    group: "Retries",
    description:
      "The first wait before a retry, in ms; each further retry waits about twice as long (with jitter), at most a minute.",
  });

/** An Elasticsearch sink config, typed. */
export interface ElasticsearchSettings {
  readonly urls: readonly string[];
  readonly username: string | null;
  readonly password: string | null;
  readonly flavor: Flavor;
  readonly connectionTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly indexTemplate: string;
  readonly keyIgnore: boolean;
  readonly schemaIgnore: boolean;
  readonly writeMethod: WriteMethod;
  readonly onNullValues: NullValueBehavior;
  readonly onMalformedDocuments: MalformedDocumentBehavior;
  readonly batchSize: number;
  /** null: no limit. */
  readonly bulkSizeBytes: number | null;
  readonly lingerMs: number;
  readonly maxBufferedRecords: number;
  readonly maxInFlightRequests: number;
  readonly maxRetries: number;
  readonly retryBackoffMs: number;
}

/** The typed settings of a config parsed with `elasticsearchConfig`. */
export function elasticsearchSettings(config: ParsedConfig): ElasticsearchSettings {
  const bulkSizeBytes = config.int("bulk.size.bytes");
  return {
    urls: config.list("connection.url"),
    username: config.optionalString("connection.username") || null,
    password: config.optionalString("connection.password"),
    flavor: config.string("flavor") as Flavor,
    connectionTimeoutMs: config.int("connection.timeout.ms"),
    readTimeoutMs: config.int("read.timeout.ms"),
    indexTemplate: config.string("index.name.template"),
    keyIgnore: config.boolean("key.ignore"),
    schemaIgnore: config.boolean("schema.ignore"),
    writeMethod: config.string("write.method") as WriteMethod,
    onNullValues: config.string("behavior.on.null.values") as NullValueBehavior,
    onMalformedDocuments: config.string("behavior.on.malformed.documents") as MalformedDocumentBehavior,
    batchSize: config.int("batch.size"),
    bulkSizeBytes: bulkSizeBytes <= 0 ? null : bulkSizeBytes,
    lingerMs: config.int("linger.ms"),
    maxBufferedRecords: config.int("max.buffered.records"),
    maxInFlightRequests: config.int("max.in.flight.requests"),
    maxRetries: config.int("max.retries"),
    retryBackoffMs: config.int("retry.backoff.ms"),
  };
}
