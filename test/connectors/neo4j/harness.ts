import { randomBytes } from "node:crypto";
import { driver as neo4jDriver } from "neo4j-driver";
import { neo4jPlugin } from "../../../connectors/neo4j/plugin.ts";
import { Neo4jSinkTask } from "../../../connectors/neo4j/task.ts";
import type { Header, Logger, SinkRecord, SinkTask, SinkTaskContext } from "../../../runtime/api/index.ts";
import { hostPort, loadStackEnv } from "../../../stack/env.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";
import { TcpProxy } from "../../support/tcp-proxy.ts";

/** Drives a Neo4jSinkTask through the plugin contract against the stack's real Neo4j. */

export const NEO4J_URI = loadStackEnv().neo4jUri;

/** A driver for checking what the sink wrote; integers come back as numbers. */
export const graph = neo4jDriver(NEO4J_URI, undefined, { disableLosslessIntegers: true });

/** Rows of a read query as plain objects. */
export async function rows(
  cypher: string,
  params: Record<string, unknown> = {},
): Promise<Array<Record<string, unknown>>> {
  const { records } = await graph.executeQuery(cypher, params);
  return records.map((record) => record.toObject());
}

/** A name no other test uses, e.g. a label `Person_3fa9c1`. */
export function unique(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

/** Deletes every node with one of these labels. */
export async function dropLabels(...labels: string[]): Promise<void> {
  for (const label of labels) await graph.executeQuery(`MATCH (n:\`${label}\`) DETACH DELETE n`);
}

/** A raw sink config: the stack's Neo4j without authentication, plus `extra`. */
export function sinkConfig(extra: Record<string, string>): Record<string, string> {
  return { "neo4j.uri": NEO4J_URI, "neo4j.authentication.type": "NONE", ...extra };
}

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Errant {
  record: SinkRecord;
  error: Error;
}

/** A started task and the records it reported errant (errors.tolerance=all). */
export async function startTask(raw: Record<string, string>, logger: Logger = silent) {
  const errant: Errant[] = [];
  const context: SinkTaskContext = {
    connectorName: "neo4j-test",
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
    },
  };
  const task: SinkTask = new Neo4jSinkTask();
  await task.start(neo4jPlugin.config.parse(raw), context);
  return { task, errant };
}

let nextOffset = 0n;

/** A sink record of `topic`; `value` null makes a tombstone. */
export function record(
  topic: string,
  key: unknown,
  value: unknown,
  extra: { headers?: Header[]; timestamp?: number } = {},
): SinkRecord {
  nextOffset += 1n;
  return {
    topic,
    kafkaPartition: 0,
    kafkaOffset: nextOffset,
    key,
    value,
    headers: extra.headers ?? [],
    timestamp: extra.timestamp ?? 1_700_000_000_000,
  };
}

/** Puts the records as one batch and flushes, as the engine does before committing offsets. */
export async function putAndFlush(task: SinkTask, records: readonly SinkRecord[]): Promise<void> {
  await task.put(records);
  await task.flush(new Map());
}

/** A TCP proxy to the stack's Neo4j, to cut and restore as an outage. */
export function neo4jProxy(): TcpProxy {
  return new TcpProxy(hostPort(NEO4J_URI));
}
