import { setTimeout as sleep } from "node:timers/promises";
import { type Job, Queue, Worker } from "bullmq";
import {
  ErrorCode,
  type Logger,
  type ParsedConfig,
  RetriableError,
  SluiceError,
  type TopicPartition,
} from "../../runtime/api/index.ts";
import { type HdfsSettings, hdfsSettings } from "./config.ts";
import { type FileFormat, type FormatName, fileFormat } from "./format.ts";
import { bucketStart, TimeFormat, timeLayout } from "./partitioner.ts";
import { baseName, committedName, parseCommittedName, SinkPaths } from "./paths.ts";
import { isReplaceTemp, replaceFile } from "./wal.ts";
import { type HdfsFileStatus, HdfsNotFoundError, isCleanHdfsPath, WebHdfs } from "./webhdfs.ts";

/**
 * Compaction: merges the small files the sink leaves into files of up to compaction.target.size bytes.
 *
 * A run visits every directory of every topic (or one directory), and in each only the files of closed
 * partitions: with a time partitioner, directories whose time bucket ended before the current one; with
 * the default or field partitioner every directory (committed files never change, and the sink only adds
 * new ones). Per Kafka partition and format it takes runs of consecutive (by offset) files smaller than the
 * target and merges each run, up to the target size, into `<topic>+<partition>+<first start>+<last end>.<ext>`,
 * so names still say which offsets a file holds and the sink's recovery is unaffected.
 *
 * Each merge is crash-safe and idempotent through a manifest (`<logs.dir>/<topic>/<partition>/compaction.json`)
 * written before anything visible changes; a run first finishes any manifest a crashed run left. Formats
 * merge in one of two ways (FileFormat.merging):
 *  - concat — JSON lines, gzip JSON lines and Parquet, whose files concatenate into one valid file (Parquet
 *    after a new footer, the "trailer"): the trailer is written under topics.dir/+tmp/+compaction, then the
 *    manifest, then the trailer moves into the directory under a hidden name, then one HDFS CONCAT appends
 *    the other sources and the trailer to the first source and removes them (one atomic NameNode operation),
 *    then the first source is renamed to the merged name. A reader sees the sources, or one file with all
 *    their records (first under the first source's name, then under the merged one); never both.
 *  - rewrite — Avro, whose every file starts with a header: the merged file is written under
 *    topics.dir/+tmp/+compaction, then the manifest, then the merged file is renamed into the directory, then
 *    the sources are removed in one operation (a CONCAT onto a hidden scratch file that is then deleted).
 *    Between that rename and that CONCAT — two consecutive NameNode calls, or until the next run finishes
 *    the manifest when the process dies between them — a listing shows the merged file and its sources.
 *    HDFS has no operation that replaces several files by one other file atomically.
 * Helper files in a partition directory start with `.` (hidden to Hadoop's FileInputFormat, Hive and Spark).
 */

export type MergeStep = "merged-written" | "manifest-written" | "swapped" | "sources-removed";

interface MergeManifest {
  version: 1;
  method: "concat" | "rewrite";
  /** Absolute directory of the sources and the target. */
  directory: string;
  /** File names, in offset order. */
  sources: string[];
  target: string;
  /**
   * Where the merged file (rewrite) or the trailer to append (concat, e.g. a Parquet footer) is written
   * before it moves into the directory; null for a concat without a trailer.
   */
  temp: string | null;
}

/** One committed file of a merge bin. */
interface SourceFile {
  name: string;
  start: bigint;
  end: bigint;
  length: number;
}

/** What a merge reads of each source: the format's summary (concat), or the whole file (rewrite). */
type MergeInput = { kind: "concat"; summary: Uint8Array } | { kind: "rewrite"; content: Uint8Array };

function summaryOf(input: MergeInput | undefined): Uint8Array {
  if (input?.kind !== "concat") throw new Error("a concat merge without the summary of a source");
  return input.summary;
}

function contentOf(input: MergeInput): Uint8Array {
  if (input.kind !== "rewrite") throw new Error("a rewrite merge without the content of a source");
  return input.content;
}

/**
 * The name of a merge's helper file in its directory: hidden (`.` first) so that Hadoop's FileInputFormat,
 * Hive and Spark skip it, and with an `@` that no committed file name has.
 */
function hiddenName(target: string, role: "trailer" | "removed"): string {
  return `.compaction@${target}.${role}`;
}

export interface CompactionOptions {
  /** Only this directory and those below it, relative to topics.dir (e.g. `orders/year=2024/month=01`). */
  path?: string | null;
  signal?: AbortSignal;
  /** The time that decides which time partitions are closed; default: now. */
  now?: number;
  /** Called after each step of a merge; a throw stops the run exactly there (tests use it as a crash). */
  onStep?: (step: MergeStep, directory: string, target: string) => void;
}

export interface CompactionReport {
  /** Merges of earlier, interrupted runs finished first. */
  resumed: number;
  filesIn: number;
  filesOut: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  merges: Array<{ directory: string; sources: string[]; target: string }>;
}

const FORMAT_BY_EXTENSION: ReadonlyMap<string, FileFormat> = new Map(
  (["json", "json.gz", "avro", "parquet"] as FormatName[]).map((name) => [
    fileFormat(name).extension,
    fileFormat(name),
  ]),
);

/**
 * The longest list of sources one merge may have, as URL-encoded characters: WebHDFS takes CONCAT's sources
 * in the URL, and the NameNode refuses request headers longer than hadoop.http.max.request.header.size
 * (64 KiB by default).
 */
const MAX_SOURCES_URL_CHARS = 32 * 1024;

/** Runs one compaction pass now, in this process. */
export async function compact(
  settings: HdfsSettings,
  options: CompactionOptions = {},
): Promise<CompactionReport> {
  return new CompactionRun(settings, options).run();
}

class CompactionRun {
  readonly #settings: HdfsSettings;
  readonly #options: CompactionOptions;
  readonly #hdfs: WebHdfs;
  readonly #paths: SinkPaths;
  readonly #report: CompactionReport = {
    resumed: 0,
    filesIn: 0,
    filesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 0,
    merges: [],
  };

  constructor(settings: HdfsSettings, options: CompactionOptions) {
    this.#settings = settings;
    this.#options = options;
    this.#hdfs = new WebHdfs({ url: settings.url, user: settings.user });
    this.#paths = new SinkPaths(settings.topicsDir, settings.logsDir);
  }

  get #signal(): AbortSignal | undefined {
    return this.#options.signal;
  }

  async run(): Promise<CompactionReport> {
    const began = performance.now();
    const scope = this.#scope();
    const topics =
      scope === null
        ? (await this.#hdfs.listOrEmpty(this.#settings.topicsDir, this.#signal))
            .filter((entry) => entry.type === "DIRECTORY" && !entry.pathSuffix.startsWith("+"))
            .map((entry) => entry.pathSuffix)
        : [scope.topic];
    for (const topic of topics) {
      await this.#resumeManifests(topic);
      const tempDir = this.#paths.compactionTempDir(topic);
      for (const entry of await this.#hdfs.listOrEmpty(tempDir, this.#signal)) {
        await this.#hdfs.delete(`${tempDir}/${entry.pathSuffix}`, { recursive: true }, this.#signal);
      }
      const topicDir = this.#paths.topicDir(topic);
      await this.#walk(
        topic,
        topicDir,
        scope === null ? topicDir : `${this.#settings.topicsDir}/${scope.path}`,
      );
    }
    this.#report.durationMs = Math.round(performance.now() - began);
    return this.#report;
  }

  /** The topic and directory of options.path; BAD_REQUEST when it is not a directory below topics.dir. */
  #scope(): { topic: string; path: string } | null {
    const raw = this.#options.path?.trim().replace(/^\/+|\/+$/g, "");
    if (!raw) return null;
    const topic = raw.split("/")[0] as string;
    if (!isCleanHdfsPath(`/${raw}`) || topic.startsWith("+")) {
      throw new SluiceError(
        ErrorCode.BAD_REQUEST,
        `the compaction path must be a directory below topics.dir such as "orders/year=2024"; got ${JSON.stringify(this.#options.path)}`,
      );
    }
    return { topic, path: raw };
  }

  async #walk(topic: string, topicDir: string, dir: string): Promise<void> {
    const entries = await this.#hdfs.listOrEmpty(dir, this.#signal);
    for (const entry of entries) {
      if (entry.type === "DIRECTORY") await this.#walk(topic, topicDir, `${dir}/${entry.pathSuffix}`);
    }
    const files = entries.filter((entry) => entry.type === "FILE");
    if (files.length > 1 && this.#isClosed(dir === topicDir ? "" : dir.slice(topicDir.length + 1))) {
      await this.#compactDirectory(topic, dir, files);
    }
  }

  /** True when the directory (relative to its topic's) belongs to a partition no new time bucket writes to. */
  #isClosed(relative: string): boolean {
    const s = this.#settings;
    const layout = timeLayout(s.partitioner, s.pathFormat, s.partitionDurationMs);
    if (layout === null) return true;
    const start = new TimeFormat(layout.pathFormat, s.timeZone).parse(relative);
    if (start === null) return false;
    const now = this.#options.now ?? Date.now();
    return start < bucketStart(now, layout.durationMs, s.timeZone);
  }

  async #compactDirectory(topic: string, dir: string, entries: HdfsFileStatus[]): Promise<void> {
    const existing = new Set(entries.map((entry) => entry.pathSuffix));
    const groups = new Map<string, SourceFile[]>();
    for (const entry of entries) {
      const name = parseCommittedName(entry.pathSuffix);
      if (name === null || name.topic !== topic || !FORMAT_BY_EXTENSION.has(name.extension)) continue;
      const key = `${name.partition}+${name.extension}`;
      const group = groups.get(key) ?? [];
      group.push({ name: entry.pathSuffix, start: name.start, end: name.end, length: entry.length });
      groups.set(key, group);
    }
    const target = this.#settings.compaction.targetSize;
    for (const [key, files] of groups) {
      const [partition, extension] = [
        Number(key.slice(0, key.indexOf("+"))),
        key.slice(key.indexOf("+") + 1),
      ];
      const format = FORMAT_BY_EXTENSION.get(extension) as FileFormat;
      files.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      let bin: SourceFile[] = [];
      let size = 0;
      let urlChars = 0;
      const close = async () => {
        if (bin.length > 1) await this.#mergeBin({ topic, partition }, dir, format, bin, existing);
        bin = [];
        size = 0;
        urlChars = 0;
      };
      for (const file of files) {
        if (file.length >= target) {
          await close();
          continue;
        }
        const chars = encodeURIComponent(`${dir}/${file.name},`).length;
        if (size + file.length > target || urlChars + chars > MAX_SOURCES_URL_CHARS) await close();
        bin.push(file);
        size += file.length;
        urlChars += chars;
      }
      await close();
    }
  }

  async #mergeBin(
    tp: TopicPartition,
    dir: string,
    format: FileFormat,
    bin: ReadonlyArray<SourceFile>,
    existing: ReadonlySet<string>,
  ): Promise<void> {
    // Files of different schemas cannot share a file: merge each run of equal keys on its own.
    const merging = format.merging;
    let inputs: MergeInput[];
    let keys: string[];
    if (merging.kind === "concat") {
      const summaries = await Promise.all(
        bin.map((file) =>
          merging.summary(
            (offset, length) => this.#hdfs.openRange(`${dir}/${file.name}`, offset, length, this.#signal),
            file.length,
          ),
        ),
      );
      inputs = summaries.map((summary) => ({ kind: "concat", summary }));
      keys = summaries.map((summary) => merging.mergeKey(summary));
    } else {
      const contents = await Promise.all(
        bin.map((file) => this.#hdfs.open(`${dir}/${file.name}`, this.#signal)),
      );
      inputs = contents.map((content) => ({ kind: "rewrite", content }));
      keys = await Promise.all(contents.map((content) => merging.mergeKey(content)));
    }
    let runStart = 0;
    for (let i = 1; i <= bin.length; i++) {
      if (i < bin.length && keys[i] === keys[runStart]) continue;
      if (i - runStart > 1)
        await this.#merge(tp, dir, format, bin.slice(runStart, i), inputs.slice(runStart, i), existing);
      runStart = i;
    }
  }

  async #merge(
    tp: TopicPartition,
    dir: string,
    format: FileFormat,
    files: ReadonlyArray<SourceFile>,
    inputs: readonly MergeInput[],
    existing: ReadonlySet<string>,
  ): Promise<void> {
    const first = files[0];
    const last = files.at(-1);
    if (first === undefined || last === undefined) return;
    const target = committedName({
      topic: tp.topic,
      partition: tp.partition,
      start: first.start,
      end: last.end,
      extension: format.extension,
    });
    if (existing.has(target)) return;
    const step = (s: MergeStep) => this.#options.onStep?.(s, dir, target);
    const bytesIn = files.reduce((n, file) => n + file.length, 0);
    // concat: the trailer to append after the sources (none for JSON lines); rewrite: the merged file.
    let written: Uint8Array;
    if (format.merging.kind === "concat") {
      written = format.merging.trailer(
        files.map((file, i) => ({ length: file.length, summary: summaryOf(inputs[i]) })),
      );
    } else {
      written = await format.merging.merge(inputs.map(contentOf));
    }
    let temp: string | null = null;
    if (written.length > 0) {
      temp = `${this.#paths.compactionTempDir(tp.topic)}/${target}`;
      await this.#hdfs.create(temp, written, { overwrite: true }, this.#signal);
      step("merged-written");
    }
    const manifest: MergeManifest = {
      version: 1,
      method: format.merging.kind,
      directory: dir,
      sources: files.map((file) => file.name),
      target,
      temp,
    };
    await replaceFile(this.#hdfs, this.#paths.compactionManifest(tp), JSON.stringify(manifest), this.#signal);
    step("manifest-written");
    await this.#finish(tp, manifest, step);
    this.#report.filesIn += files.length;
    this.#report.filesOut += 1;
    this.#report.bytesIn += bytesIn;
    this.#report.bytesOut += format.merging.kind === "concat" ? bytesIn + written.length : written.length;
    this.#report.merges.push({ directory: dir, sources: manifest.sources, target });
  }

  /** Completes the merge a manifest describes, from whatever step it reached; then removes the manifest. */
  async #finish(tp: TopicPartition, m: MergeManifest, step: (s: MergeStep) => void): Promise<void> {
    const hdfs = this.#hdfs;
    const signal = this.#signal;
    const at = (name: string) => `${m.directory}/${name}`;
    const exists = async (path: string) => (await hdfs.getFileStatus(path, signal)) !== null;
    const targetPath = at(m.target);
    if (m.method === "concat") {
      if (!(await exists(targetPath))) {
        const [head, ...rest] = m.sources as [string, ...string[]];
        if (!(await exists(at(head)))) throw this.#broken(m, `neither ${head} nor ${m.target} exists`);
        const present = await Promise.all(rest.map((name) => exists(at(name))));
        if (present.every(Boolean)) {
          const parts = rest.map(at);
          if (m.temp !== null) {
            // CONCAT takes files of the target's directory only: the trailer moves in under a hidden name.
            const trailer = at(hiddenName(m.target, "trailer"));
            if (
              !(await exists(trailer)) &&
              !(await hdfs.rename(m.temp, trailer, { overwrite: false }, signal))
            ) {
              throw this.#broken(m, `the trailer ${m.temp} is gone`);
            }
            parts.push(trailer);
          }
          await hdfs.concat(at(head), parts, signal);
        } else if (present.some(Boolean)) {
          throw this.#broken(m, "some sources are gone and others are not, which CONCAT never leaves");
        }
        step("swapped");
        await hdfs.rename(at(head), targetPath, { overwrite: false }, signal);
      }
      step("sources-removed");
    } else {
      if (!(await exists(targetPath))) {
        if (m.temp === null || !(await exists(m.temp)))
          throw this.#broken(m, "neither the merged temp file nor the target exists");
        if (!(await hdfs.rename(m.temp, targetPath, { overwrite: false }, signal))) {
          throw this.#broken(m, `the rename of ${m.temp} to ${targetPath} was refused`);
        }
        step("swapped");
      }
      await this.#removeAtOnce(m, signal);
      step("sources-removed");
    }
    await hdfs.delete(this.#paths.compactionManifest(tp), { recursive: false }, signal);
  }

  /**
   * Removes the sources of a rewrite in one NameNode operation, so that the window in which a reader sees
   * their records twice (merged file renamed in, sources not yet gone) does not grow with their number: a
   * CONCAT of them onto a hidden scratch file, which is then deleted. Idempotent.
   */
  async #removeAtOnce(m: MergeManifest, signal: AbortSignal | undefined): Promise<void> {
    const hdfs = this.#hdfs;
    const at = (name: string) => `${m.directory}/${name}`;
    const present = (
      await Promise.all(
        m.sources.map(async (name) => ((await hdfs.getFileStatus(at(name), signal)) !== null ? name : null)),
      )
    ).filter((name): name is string => name !== null);
    const scratch = at(hiddenName(m.target, "removed"));
    if (present.length > 0) {
      await hdfs.create(scratch, new Uint8Array(0), { overwrite: true }, signal);
      await hdfs.concat(scratch, present.map(at), signal);
    }
    await hdfs.delete(scratch, { recursive: false }, signal);
  }

  #broken(m: MergeManifest, why: string): SluiceError {
    return new SluiceError(
      ErrorCode.INTERNAL,
      `the compaction manifest for ${m.directory}/${m.target} cannot be completed: ${why}; something else changed these files. Check them and delete the manifest to go on.`,
    );
  }

  /** Finishes the merges that crashed runs left for this topic's partitions. */
  async #resumeManifests(topic: string): Promise<void> {
    const topicLogs = `${this.#settings.logsDir}/${topic}`;
    for (const entry of await this.#hdfs.listOrEmpty(topicLogs, this.#signal)) {
      if (entry.type !== "DIRECTORY" || !/^\d+$/.test(entry.pathSuffix)) continue;
      const tp = { topic, partition: Number(entry.pathSuffix) };
      const manifestPath = this.#paths.compactionManifest(tp);
      const manifestName = baseName(manifestPath);
      for (const file of await this.#hdfs.listOrEmpty(this.#paths.logDir(tp), this.#signal)) {
        if (isReplaceTemp(file.pathSuffix, manifestName)) {
          await this.#hdfs.delete(
            `${this.#paths.logDir(tp)}/${file.pathSuffix}`,
            { recursive: false },
            this.#signal,
          );
        }
      }
      let manifest: MergeManifest;
      try {
        manifest = JSON.parse(
          Buffer.from(await this.#hdfs.open(manifestPath, this.#signal)).toString("utf8"),
        ) as MergeManifest;
      } catch (error) {
        if (error instanceof HdfsNotFoundError) continue;
        throw error;
      }
      if (manifest.version !== 1 || !manifest.directory.startsWith(`${this.#settings.topicsDir}/`)) {
        throw this.#broken(manifest, "the manifest is not one this version writes");
      }
      await this.#finish(tp, manifest, () => {});
      this.#report.resumed++;
    }
  }
}

// ---- jobs ----------------------------------------------------------------------------------------

/** What the REST API and the CLI show of one compaction run. */
export interface CompactionRunInfo {
  id: string;
  trigger: "schedule" | "manual";
  /** The directory of a manual run limited to one (relative to topics.dir). */
  path: string | null;
  state: string;
  enqueuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  attempts: number;
  report: CompactionReport | null;
  error: string | null;
}

export interface CompactionScheduleInfo {
  pattern: string;
  timezone: string;
  /** When the scheduler enqueues the next run (ms since the epoch), if known. */
  next: number | null;
}

interface JobData {
  trigger: "schedule" | "manual";
  path: string | null;
}

const PREFIX = "sluice";
/** How long a call to Redis may take before it counts as unreachable (ioredis itself retries forever). */
const REDIS_DEADLINE_MS = 10_000;
const SCHEDULER_ID = "compaction";
const KEEP_RUNS = 50;
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: "exponential", delay: 10_000 },
  removeOnComplete: { count: KEEP_RUNS },
  removeOnFail: { count: KEEP_RUNS },
} as const;

/** The BullMQ queue of one connector's compactions (`sluice:hdfs-compaction-<connector>:*` in Redis). */
export function compactionQueueName(connector: string): string {
  return `hdfs-compaction-${encodeURIComponent(connector)}`;
}

/**
 * One HDFS connector's compactions in BullMQ: the job scheduler that enqueues a run per
 * compaction.schedule, runs on demand, the list of recent runs, and the worker that executes them (at
 * most one run of a connector at a time, across all workers). The engine and the REST API use it as:
 *   new CompactionJobs(name, config).trigger({path})  → POST /connectors/{name}/compactions (202, job id)
 *   .runs()                                           → GET  /connectors/{name}/compactions
 *   .scheduleInfo()                                   → the schedule in the connector's status
 *   .unschedule()                                     → when the connector is deleted
 * and close() after each use. The connector itself calls schedule() and startWorker() while it runs.
 */
export class CompactionJobs {
  readonly #connector: string;
  readonly #settings: HdfsSettings;
  readonly #queue: Queue<JobData, CompactionReport>;
  #worker: Worker<JobData, CompactionReport> | null = null;
  #closing: Promise<void> | null = null;
  #lastRedisError: Error | null = null;

  constructor(connector: string, config: ParsedConfig) {
    this.#connector = connector;
    this.#settings = hdfsSettings(config);
    const url = this.#settings.compaction.redisUrl;
    if (url === null) {
      throw new SluiceError(
        ErrorCode.BAD_REQUEST,
        `connector ${connector} has no compaction.redis.url, so it has no compactions`,
      );
    }
    this.#queue = new Queue(compactionQueueName(connector), { connection: { url }, prefix: PREFIX });
    this.#queue.on("error", (error) => {
      this.#lastRedisError = error;
    });
  }

  /** `call`, or a RetriableError naming compaction.redis.url when Redis does not answer in time. */
  async #redis<T>(what: string, call: () => Promise<T>): Promise<T> {
    const deadline = new AbortController();
    const timeout = sleep(REDIS_DEADLINE_MS, undefined, { signal: deadline.signal }).then(() => {
      const url = this.#settings.compaction.redisUrl;
      const reason = this.#lastRedisError ? `: ${this.#lastRedisError.message}` : "";
      throw new RetriableError(
        `${what}: the Redis of compaction.redis.url (${url}) did not answer within ${REDIS_DEADLINE_MS / 1000} s${reason}`,
      );
    });
    try {
      return await Promise.race([call(), timeout]);
    } finally {
      deadline.abort();
      timeout.catch(() => {});
    }
  }

  /** Creates or updates the job scheduler from compaction.schedule and compaction.timezone. */
  async schedule(): Promise<CompactionScheduleInfo> {
    const { schedule, timeZone } = this.#settings.compaction;
    await this.#redis("scheduling compaction", async () => {
      await this.#queue.setGlobalConcurrency(1);
      await this.#queue.upsertJobScheduler(
        SCHEDULER_ID,
        { pattern: schedule, tz: timeZone },
        { name: "compact", data: { trigger: "schedule", path: null }, opts: JOB_OPTIONS },
      );
    });
    return (await this.scheduleInfo()) as CompactionScheduleInfo;
  }

  /** Removes the job scheduler; true when there was one. */
  async unschedule(): Promise<boolean> {
    return this.#redis("removing the compaction schedule", () =>
      this.#queue.removeJobScheduler(SCHEDULER_ID),
    );
  }

  async scheduleInfo(): Promise<CompactionScheduleInfo | null> {
    const scheduler = await this.#redis("reading the compaction schedule", () =>
      this.#queue.getJobScheduler(SCHEDULER_ID),
    );
    if (!scheduler) return null;
    return {
      pattern: scheduler.pattern ?? "",
      timezone: scheduler.tz ?? "UTC",
      next: scheduler.next ?? null,
    };
  }

  /** Enqueues a run now, of every directory or of `path` (relative to topics.dir); resolves with its job id. */
  async trigger(options: { path?: string | null } = {}): Promise<{ jobId: string }> {
    const path = options.path?.trim() || null;
    if (path !== null && (!isCleanHdfsPath(`/${path.replace(/^\/+|\/+$/g, "")}`) || path.startsWith("+"))) {
      throw new SluiceError(
        ErrorCode.BAD_REQUEST,
        `the compaction path must be a directory below topics.dir such as "orders/year=2024"; got ${JSON.stringify(path)}`,
      );
    }
    const job = await this.#redis("enqueueing a compaction", () =>
      this.#queue.add("compact", { trigger: "manual", path }, JOB_OPTIONS),
    );
    return { jobId: job.id as string };
  }

  /** The recent runs, newest first: waiting, running, finished and failed. */
  async runs(limit = 20): Promise<CompactionRunInfo[]> {
    const jobs = await this.#queue.getJobs(
      ["active", "waiting", "prioritized", "completed", "failed"],
      0,
      limit - 1,
      false,
    );
    const infos = await Promise.all(
      jobs
        .filter((job): job is Job<JobData, CompactionReport> => job !== undefined)
        .map(async (job) => ({
          id: job.id as string,
          trigger: job.data.trigger,
          path: job.data.path,
          state: await job.getState(),
          enqueuedAt: job.timestamp,
          startedAt: job.processedOn ?? null,
          finishedAt: job.finishedOn ?? null,
          attempts: job.attemptsMade,
          report: job.returnvalue ?? null,
          error: job.failedReason || null,
        })),
    );
    return infos.sort((a, b) => b.enqueuedAt - a.enqueuedAt).slice(0, limit);
  }

  /** Starts executing this connector's runs in this process, one at a time. */
  startWorker(logger: Logger): void {
    if (this.#worker !== null || this.#closing !== null) return;
    const url = this.#settings.compaction.redisUrl as string;
    this.#worker = new Worker<JobData, CompactionReport>(
      compactionQueueName(this.#connector),
      async (job, _token, signal) => {
        const report = await compact(this.#settings, { path: job.data.path, ...(signal ? { signal } : {}) });
        logger.info(`compaction ${job.id} merged ${report.filesIn} files into ${report.filesOut}`, {
          ...report,
          merges: report.merges.length,
        });
        return report;
      },
      { connection: { url }, prefix: PREFIX, concurrency: 1 },
    );
    this.#worker.on("failed", (job, error) => {
      logger.warn(`compaction ${job?.id ?? "?"} failed (attempt ${job?.attemptsMade ?? "?"})`, {
        error: error.message,
      });
    });
    this.#worker.on("error", (error) => logger.warn("compaction worker error", { error: error.message }));
  }

  /** Stops the worker (letting a running compaction finish) and disconnects; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#worker?.close();
      await this.#queue.close();
    })();
    return this.#closing;
  }
}
