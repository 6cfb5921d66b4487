import { randomBytes } from "node:crypto";
import { elasticsearchPlugin } from "../../../connectors/elasticsearch/plugin.ts";
import { ElasticsearchSinkTask } from "../../../connectors/elasticsearch/task.ts";
import type { Logger, Schema, SinkRecord, SinkTaskContext } from "../../../runtime/api/index.ts";
import { loadStackEnv } from "../../../stack/env.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";

/** Drives an ElasticsearchSinkTask through the plugin contract against the stack's real OpenSearch. */

export const OPENSEARCH_URL = loadStackEnv().opensearchUrl;

/** A topic (and so an index) name no other test uses, e.g. `customers-3fa9c1d2`. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** The parsed JSON of an OpenSearch answer; each test asserts the shape it reads. */
// biome-ignore lint/suspicious/noExplicitAny: tests navigate answers whose shape they then assert
type Answer = any;

/** One REST call to OpenSearch, as a test checks what the sink wrote; the parsed JSON answer. */
export async function opensearch(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${OPENSEARCH_URL}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

/** Every document of the index after a refresh, as `{id: source}`. */
export async function documents(index: string): Promise<Record<string, unknown>> {
  await opensearch("POST", `/${index}/_refresh`);
  const { status, body } = await opensearch("POST", `/${index}/_search`, { size: 10_000, sort: ["_doc"] });
  if (status !== 200) throw new Error(`searching ${index} answered ${status}: ${JSON.stringify(body)}`);
  const out: Record<string, unknown> = {};
  for (const hit of body.hits.hits) out[hit._id] = hit._source;
  return out;
}

export async function dropIndices(...indices: string[]): Promise<void> {
  for (const index of indices) await opensearch("DELETE", `/${index}`);
}

/** A raw sink config: the stack's OpenSearch, fast retries, plus `extra`. */
export function sinkConfig(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "connection.url": OPENSEARCH_URL,
    flavor: "opensearch",
    "behavior.on.null.values": "delete",
    "retry.backoff.ms": "10",
    "read.timeout.ms": "30000",
    ...extra,
  };
}

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Errant {
  record: SinkRecord;
  error: Error;
}

/**
 * A started task and what it reported: records it called errant, and warnings it logged.
 * `tolerance: "none"` makes reportErrant reject, as the engine does with errors.tolerance=none.
 */
export async function startTask(raw: Record<string, string>, options: { tolerance?: "all" | "none" } = {}) {
  const errant: Errant[] = [];
  const warnings: string[] = [];
  const logger: Logger = { ...silent, warn: (message) => warnings.push(message) };
  const context: SinkTaskContext = {
    connectorName: "elasticsearch-test",
    metrics: testTaskMetrics("sink").metrics,
    taskId: 0,
    logger,
    assignment: () => [],
    seek() {},
    pause() {},
    resume() {},
    requestCommit() {},
    reportErrant: async (record, error) => {
      errant.push({ record, error });
      if (options.tolerance === "none")
        throw new Error(`Tolerance exceeded in error handler: ${error.message}`);
    },
  };
  const task = new ElasticsearchSinkTask();
  await task.start(elasticsearchPlugin.config.parse(raw), context);
  return { task, errant, warnings };
}

let nextOffset = 0n;

/** A sink record of `topic` at the next offset of partition 0; `value` null makes a tombstone. */
export function record(
  topic: string,
  key: unknown,
  value: unknown,
  schemas: { valueSchema?: Schema } = {},
): SinkRecord {
  nextOffset += 1n;
  return {
    topic,
    kafkaPartition: 0,
    kafkaOffset: nextOffset,
    key,
    value,
    ...schemas,
    headers: [],
    timestamp: 1_700_000_000_000,
  };
}

/** Puts the records as one batch and flushes, as the engine does before committing offsets. */
export async function putAndFlush(
  task: ElasticsearchSinkTask,
  records: readonly SinkRecord[],
): Promise<void> {
  await task.put(records);
  await task.flush(new Map());
}
