import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { driver as neo4jDriver } from "neo4j-driver";
import { neo4jPlugin } from "../../../connectors/neo4j/plugin.ts";
import { Neo4jSinkTask } from "../../../connectors/neo4j/task.ts";
import type { Header, Logger, SinkRecord, SinkTaskContext } from "../../../runtime/api/index.ts";
import { hostPort, loadStackEnv } from "../../../stack/env.ts";

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
  const task = new Neo4jSinkTask();
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
export async function putAndFlush(task: Neo4jSinkTask, records: readonly SinkRecord[]): Promise<void> {
  await task.put(records);
  await task.flush(new Map());
}

/** A TCP relay to the real Neo4j that can be cut (every connection dropped) and restored on its port. */
export class Relay {
  readonly #target = hostPort(NEO4J_URI);
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.#target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
