import type { KafkaAdmin } from "../../runtime/kafka/admin.ts";
import type { ChangeCounts } from "./generator.ts";
import { DEMO } from "./schema.ts";

/** One connector as the progress lines show it. */
export interface ConnectorProgress {
  name: string;
  /** The connector's run state, or its first task's when that is worse (FAILED, RESTARTING, …). */
  state: string;
  /** Records written: produced to Kafka and acknowledged (source), or put into the target (sinks). */
  written: number;
  /** Sinks: records in the topics that the connector has not committed yet; null for the source. */
  lag: number | null;
  /** The first line of the error when FAILED. */
  error?: string;
}

export interface ProgressSample {
  elapsedMs: number;
  /** How long changes have been written (it stops growing once they stop). */
  changesMs: number;
  changes: ChangeCounts;
  /** Records in the demo topics (the sum of their end offsets). */
  kafkaRecords: number;
  connectors: ConnectorProgress[];
}

/** Sums `sluice_records_written_total` by connector from the Prometheus text of GET /metrics. */
export function writtenByConnector(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metrics.split("\n")) {
    const match = /^sluice_records_written_total\{[^}]*connector="([^"]*)"[^}]*\} (\S+)$/.exec(line);
    if (match) out.set(match[1] as string, (out.get(match[1] as string) ?? 0) + Number(match[2]));
  }
  return out;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

interface StatusBody {
  connector: { state: string; trace?: string };
  tasks: Array<{ state: string; trace?: string }>;
}

function stateOf(status: StatusBody | undefined): { state: string; error?: string } {
  if (status === undefined) return { state: "ABSENT", error: "not created (see above)" };
  const worst = [status.connector, ...status.tasks].find((s) => s.state !== "RUNNING") ?? status.connector;
  const error = worst.trace?.split("\n")[0];
  return { state: worst.state, ...(error ? { error } : {}) };
}

/** Reads where the demo stands: the worker's REST API for states, metrics and offsets; Kafka for end offsets. */
export async function sampleProgress(
  restUrl: string,
  admin: KafkaAdmin,
  changes: ChangeCounts,
  times: { elapsedMs: number; changesMs: number },
): Promise<ProgressSample> {
  const [metrics, statuses, ends] = await Promise.all([
    fetch(`${restUrl}/metrics`).then((r) => r.text()),
    getJson(`${restUrl}/connectors?expand=status`) as Promise<Record<string, { status?: StatusBody }>>,
    Promise.all(DEMO.topics.map((topic) => admin.listOffsets(topic, "latest").catch(() => []))),
  ]);
  const endOf = new Map(ends.flat().map((o) => [`${o.topic}/${o.partition}`, Number(o.offset)]));
  const written = writtenByConnector(metrics);
  const connectors = await Promise.all(
    [DEMO.source, ...DEMO.sinks].map(async (name): Promise<ConnectorProgress> => {
      let lag: number | null = null;
      if (name !== DEMO.source && statuses[name] !== undefined) {
        const body = (await getJson(`${restUrl}/connectors/${name}/offsets`)) as {
          offsets: Array<{
            partition: { kafka_topic: string; kafka_partition: number };
            offset: { kafka_offset: number };
          }>;
        };
        const committed = new Map(
          body.offsets.map((o) => [
            `${o.partition.kafka_topic}/${o.partition.kafka_partition}`,
            o.offset.kafka_offset,
          ]),
        );
        lag = 0;
        for (const [partition, end] of endOf) lag += Math.max(0, end - (committed.get(partition) ?? 0));
      }
      return { name, ...stateOf(statuses[name]?.status), written: written.get(name) ?? 0, lag };
    }),
  );
  const kafkaRecords = [...endOf.values()].reduce((sum, end) => sum + end, 0);
  return { ...times, changes: { ...changes }, kafkaRecords, connectors };
}

/** True when every connector runs and every sink has committed everything in the topics. */
export function caughtUp(sample: ProgressSample): boolean {
  return (
    sample.kafkaRecords > 0 &&
    sample.connectors.every((c) => c.state === "RUNNING" && (c.name === DEMO.source || c.lag === 0))
  );
}

const number = new Intl.NumberFormat("en");

function clock(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** The live block: a few lines, redrawn in place on a terminal. */
export function progressLines(sample: ProgressSample): string[] {
  const { changes } = sample;
  const total = changes.inserts + changes.updates + changes.deletes;
  const rate = sample.changesMs > 0 ? Math.round((total * 1000) / sample.changesMs) : 0;
  const width = Math.max(...sample.connectors.map((c) => c.name.length));
  const lines = [
    `  ${clock(sample.elapsedMs)}  MariaDB ${DEMO.database}: ${number.format(total)} row changes (${number.format(changes.inserts)} inserts, ${number.format(changes.updates)} updates, ${number.format(changes.deletes)} deletes), ~${rate}/s`,
  ];
  for (const c of sample.connectors) {
    const what =
      c.name === DEMO.source
        ? `${number.format(c.written)} change events captured into Kafka (${number.format(sample.kafkaRecords)} records in the topics)`
        : `${number.format(c.written)} records delivered, lag ${c.lag === null ? "?" : number.format(c.lag)}`;
    lines.push(`  ${c.name.padEnd(width)}  ${c.state.padEnd(10)} ${what}`);
  }
  for (const c of sample.connectors) if (c.error) lines.push(`  ${c.name}: ${c.error}`);
  return lines;
}

/** One line for logs and CI, where nothing is redrawn. */
export function progressLine(sample: ProgressSample): string {
  const { changes } = sample;
  const total = changes.inserts + changes.updates + changes.deletes;
  const parts = [
    `[${clock(sample.elapsedMs)}] mariadb ${total} changes (${changes.inserts} ins, ${changes.updates} upd, ${changes.deletes} del)`,
  ];
  for (const c of sample.connectors) {
    const state = c.state === "RUNNING" ? "" : ` ${c.state}${c.error ? ` (${c.error})` : ""}`;
    parts.push(
      c.name === DEMO.source
        ? `${c.name}${state} ${c.written} captured`
        : `${c.name}${state} ${c.written} delivered, lag ${c.lag ?? "?"}`,
    );
  }
  return parts.join(" | ");
}
