import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import avsc from "avsc";
import { parquetReadObjects } from "hyparquet";
import type { Clock } from "../../../connectors/hdfs/clock.ts";
import { type HdfsSettings, hdfsSettings } from "../../../connectors/hdfs/config.ts";
import { type FormatName, fileFormat } from "../../../connectors/hdfs/format.ts";
import { committedName } from "../../../connectors/hdfs/paths.ts";
import { hdfsPlugin } from "../../../connectors/hdfs/plugin.ts";
import { HdfsSinkTask, type HdfsSinkTaskOptions } from "../../../connectors/hdfs/task.ts";
import { WebHdfs } from "../../../connectors/hdfs/webhdfs.ts";
import type {
  Logger,
  Schema,
  SinkRecord,
  SinkTaskContext,
  TopicPartition,
} from "../../../runtime/api/index.ts";
import { loadStackEnv } from "../../../stack/env.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";

/** Drives an HdfsSinkTask through the plugin contract against the stack's real HDFS. */

export const STACK = loadStackEnv();

/** A client for checking what the sink wrote. */
export const hdfs = new WebHdfs({ url: STACK.webhdfsUrl, user: STACK.hdfsUser });

/** A fresh directory for one test's topics.dir and logs.dir, e.g. /sluice-test/files-3fa9c1d2. */
export function testRoot(name: string): string {
  return `/sluice-test/${name}-${randomBytes(4).toString("hex")}`;
}

/** The settings compaction takes, of a raw sink config. */
export function settingsOf(raw: Record<string, string>): HdfsSettings {
  return hdfsSettings(hdfsPlugin.config.parse(raw));
}

/** A raw sink config writing below `root`, plus `extra`. */
export function sinkConfig(root: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "hdfs.url": STACK.webhdfsUrl,
    "hdfs.user": STACK.hdfsUser,
    "topics.dir": `${root}/topics`,
    "logs.dir": `${root}/logs`,
    "rotate.schedule.interval.ms": "-1",
    ...extra,
  };
}

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A clock whose time moves only when a test says so; due timers fire during `advance`. */
export class FakeClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; callback: () => void; cancelled: boolean }> = [];

  constructor(now: number) {
    this.#now = now;
  }

  now(): number {
    return this.#now;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.#now + delayMs, callback, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time to `now + ms`, firing every timer due by then in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.callback();
    }
    this.#now = until;
  }
}

/** A SinkTaskContext that records what the task asked of the engine. */
export class RecordingContext implements SinkTaskContext {
  readonly connectorName = "hdfs-test";
  readonly metrics = testTaskMetrics("sink").metrics;
  readonly taskId = 0;
  readonly logger = silent;
  readonly seeks: Array<{ topic: string; partition: number; offset: bigint }> = [];
  readonly errant: Array<{ record: SinkRecord; error: Error }> = [];
  commitRequests = 0;
  #assigned: TopicPartition[] = [];

  assignment(): readonly TopicPartition[] {
    return this.#assigned;
  }
  assign(partitions: readonly TopicPartition[]): void {
    this.#assigned = [...partitions];
  }
  seek(partition: TopicPartition, offset: bigint): void {
    this.seeks.push({ ...partition, offset });
  }
  pause(): void {}
  resume(): void {}
  requestCommit(): void {
    this.commitRequests++;
  }
  async reportErrant(record: SinkRecord, error: Error): Promise<void> {
    this.errant.push({ record, error });
  }
}

/** A task started with `raw` and opened on `partitions`, with its recording context. */
export async function openTask(
  raw: Record<string, string>,
  partitions: readonly TopicPartition[],
  options: HdfsSinkTaskOptions = {},
): Promise<{ task: HdfsSinkTask; context: RecordingContext }> {
  const task = new HdfsSinkTask(options);
  const context = new RecordingContext();
  await task.start(
    hdfsPlugin.config.parse({ ...raw, topics: partitions.map((p) => p.topic).join(",") }),
    context,
  );
  context.assign(partitions);
  await task.open(partitions);
  return { task, context };
}

/** Writes `records` through a sink task with flush.size `perFile`, so that they land in files of that many. */
export async function writeThroughSink(
  raw: Record<string, string>,
  records: SinkRecord[],
  perFile: number,
): Promise<void> {
  const partitions = [...new Set(records.map((r) => r.kafkaPartition))].map((partition) => ({
    topic: records[0]?.topic ?? "",
    partition,
  }));
  const { task } = await openTask({ ...raw, "flush.size": String(perFile) }, partitions);
  await task.put(records);
  await task.stop();
}

/**
 * Writes `records` (of one topic partition, in offset order) as committed files of `perFile` records in
 * `<root>/topics/<topic>/partition=<n>/`, encoded by the sink's own format but without a sink task (no
 * write-ahead log): quick to lay out many files for compaction tests.
 */
export async function writeCommittedFiles(
  root: string,
  format: FormatName,
  records: SinkRecord[],
  perFile: number,
): Promise<string> {
  const first = records[0];
  if (first === undefined) throw new Error("no records");
  const dir = `${root}/topics/${first.topic}/partition=${first.kafkaPartition}`;
  const files = Array.from({ length: Math.ceil(records.length / perFile) }, (_, i) =>
    records.slice(i * perFile, (i + 1) * perFile),
  );
  await Promise.all(
    files.map(async (batch) => {
      const encoder = fileFormat(format).createEncoder(batch[0] as SinkRecord);
      for (const record of batch) encoder.write(record);
      const name = committedName({
        topic: first.topic,
        partition: first.kafkaPartition,
        start: (batch[0] as SinkRecord).kafkaOffset,
        end: (batch.at(-1) as SinkRecord).kafkaOffset,
        extension: fileFormat(format).extension,
      });
      await hdfs.create(`${dir}/${name}`, encoder.finish(), { overwrite: false });
    }),
  );
  return dir;
}

/**
 * What the engine's commit step does — flush, then the offsets preCommit allows, as plain numbers by
 * partition key — once the commits running in the background ended, so that the answer does not depend
 * on how fast HDFS is.
 */
export async function flushAndPreCommit(task: HdfsSinkTask): Promise<Record<string, number>> {
  await task.flush();
  await task.commitsSettled();
  const offsets = await task.preCommit();
  return Object.fromEntries([...offsets].map(([key, { offset }]) => [key, Number(offset)]));
}

export const ORDER_SCHEMA: Schema = {
  type: "struct",
  name: "shop.Order",
  fields: [
    { field: "id", type: "int64" },
    { field: "region", type: "string" },
    { field: "amount", type: "float64" },
    { field: "note", type: "string", optional: true },
  ],
};

/** Record `offset` of a topic partition, with value {id: offset, region, amount}. */
export function orderRecord(
  topic: string,
  partition: number,
  offset: number,
  extra: { region?: string; timestamp?: number; schema?: boolean; value?: unknown } = {},
): SinkRecord {
  return {
    topic,
    kafkaPartition: partition,
    kafkaOffset: BigInt(offset),
    key: String(offset),
    value:
      extra.value !== undefined
        ? extra.value
        : { id: offset, region: extra.region ?? "eu", amount: offset / 4, note: null },
    ...(extra.schema ? { valueSchema: ORDER_SCHEMA } : {}),
    headers: [],
    timestamp: extra.timestamp ?? Date.UTC(2024, 0, 2, 3, 4, 5),
  };
}

export function orderRecords(
  topic: string,
  partition: number,
  from: number,
  count: number,
  extra: Parameters<typeof orderRecord>[3] = {},
): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => orderRecord(topic, partition, from + i, extra));
}

/** Every file below `dir` (recursively) with its path relative to `dir`, in path order; [] when `dir` is absent. */
export async function listFiles(dir: string): Promise<Array<{ path: string; length: number }>> {
  const out: Array<{ path: string; length: number }> = [];
  const walk = async (relative: string) => {
    for (const entry of await hdfs.listOrEmpty(relative === "" ? dir : `${dir}/${relative}`)) {
      const path = relative === "" ? entry.pathSuffix : `${relative}/${entry.pathSuffix}`;
      if (entry.type === "DIRECTORY") await walk(path);
      else out.push({ path, length: entry.length });
    }
  };
  await walk("");
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** True for names that Hadoop's FileInputFormat, Hive and Spark skip (compaction's helper files). */
export function isHidden(name: string): boolean {
  return name.startsWith(".") || name.startsWith("_");
}

/**
 * The files a reader sees under a test root's topics.dir (all but +tmp and hidden files), relative to
 * topics.dir.
 */
export async function committedFiles(root: string): Promise<string[]> {
  return (await listFiles(`${root}/topics`))
    .map((f) => f.path)
    .filter((path) => !path.startsWith("+tmp/") && !isHidden(path.slice(path.lastIndexOf("/") + 1)));
}

/** The JSON values of a JSON-lines file (gunzipped first when it ends in .gz). */
export async function readJsonLines(path: string): Promise<unknown[]> {
  return decodeValues(path, await hdfs.open(path));
}

/** The values in a committed file of any format (JSON lines, gzip JSON lines, Avro, Parquet). */
export async function readValues(path: string): Promise<unknown[]> {
  return decodeValues(path, await hdfs.open(path));
}

/** The values in the bytes of a committed file named `name` (its extension says the format). */
export async function decodeValues(name: string, bytes: Uint8Array): Promise<unknown[]> {
  if (name.endsWith(".json") || name.endsWith(".json.gz")) {
    const text = (name.endsWith(".gz") ? gunzipSync(bytes) : Buffer.from(bytes)).toString("utf8");
    return text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line));
  }
  if (name.endsWith(".avro")) return (await readAvro(bytes)).records;
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file, utf8: false });
}

/** The `id` of every record in the committed files of a root, with the file each is in. */
export async function committedIds(root: string): Promise<Array<{ id: number; file: string }>> {
  const out: Array<{ id: number; file: string }> = [];
  for (const file of await committedFiles(root)) {
    for (const value of await readValues(`${root}/topics/${file}`))
      out.push({ id: Number((value as { id: number | bigint }).id), file });
  }
  return out;
}

/** Sorted ids, and the ids that occur more than once. */
export function multiset(ids: ReadonlyArray<{ id: number }>): { ids: number[]; duplicates: number[] } {
  const sorted = ids.map((x) => x.id).sort((a, b) => a - b);
  return { ids: sorted, duplicates: sorted.filter((id, i) => i > 0 && sorted[i - 1] === id) };
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** The records of an Avro container file, read by avsc's own decoder with longs as bigints. */
export async function readAvro(bytes: Uint8Array): Promise<{ schema: unknown; records: unknown[] }> {
  const longs = avsc.types.LongType.__with({
    fromBuffer: (b: Buffer) => b.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(n);
      return b;
    },
    fromJSON: BigInt,
    toJSON: Number,
    isValid: (n: unknown) => typeof n === "bigint",
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  });
  const decoder = new avsc.streams.BlockDecoder({
    parseHook: (schema) => avsc.Type.forSchema(schema, { registry: { long: longs } }),
  });
  const records: unknown[] = [];
  let schema: unknown = null;
  decoder.on("metadata", (type: avsc.Type) => {
    schema = type.schema({ exportAttrs: true });
  });
  decoder.on("data", (record: unknown) => records.push(record));
  await new Promise<void>((resolve, reject) => {
    decoder.on("end", resolve);
    decoder.on("error", reject);
    decoder.end(Buffer.from(bytes));
  });
  return { schema, records };
}
