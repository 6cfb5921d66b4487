import {
  DataError,
  ErrorCode,
  isRetriable,
  isTombstone,
  type Logger,
  type ParsedConfig,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
  SluiceError,
  type TopicPartition,
  topicPartitionKey,
} from "../../runtime/api/index.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type HdfsSettings, hdfsSettings } from "./config.ts";
import { type FileFormat, fileFormat, type RecordEncoder } from "./format.ts";
import { bucketStart, createPartitioner, type Partitioner, recordTime } from "./partitioner.ts";
import { SinkPaths } from "./paths.ts";
import { applyWal, publishReplacement, recoverPartition, stageWal, type WriteAheadLog } from "./wal.ts";
import { WebHdfs, WebHdfsError } from "./webhdfs.ts";

/** Encoded bytes a file holds in memory before they are appended to its temp file. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Commits of one partition under way at a time: the next one's temp files and log are written while the
 * previous one finishes. Sealing another waits for the oldest; each holds at most a chunk per file in memory.
 */
const MAX_SEALED_COMMITS = 2;

/** The steps of a commit, in order; see HdfsSinkTaskOptions.onCommitStep. */
export type CommitStep = "temp-files-complete" | "wal-written" | "file-renamed";

export interface HdfsSinkTaskOptions {
  clock?: Clock;
  /**
   * Called after each step of a commit of `tp`; `next` is the offset that commit moves the partition to,
   * which tells commits apart (the steps of two commits under way may interleave). A throw there stops
   * the commit exactly where a crash at that step would (tests use it to cut commits short and then
   * abandon the task).
   */
  onCommitStep?: (step: CommitStep, tp: TopicPartition, next: bigint | null) => void;
}

/** A file being written: a temp file in HDFS plus the encoded bytes not yet appended to it. */
interface OpenFile {
  readonly directory: string;
  readonly temp: string;
  readonly key: string;
  readonly encoder: RecordEncoder;
  readonly start: bigint;
  end: bigint;
  count: number;
  /** The extractor's time of the first record, for rotate.interval.ms. */
  readonly firstTime: number;
  /** Bytes in HDFS; a CREATE or APPEND adds to it only once it is known to have landed. */
  written: number;
  created: boolean;
  /** Encoded chunks not yet in HDFS, in order. */
  pending: Uint8Array[];
}

interface PartitionState {
  readonly tp: TopicPartition;
  /** Every record before it is in a committed file (or skipped); null: nothing known yet. */
  committedNext: bigint | null;
  /** The next offset to handle; records below it were handled already (redeliveries are dropped). */
  expectedNext: bigint | null;
  /** The files records go to now. */
  readonly files: Map<string, OpenFile>;
  /** Commits sealed and not yet done, oldest first (at most MAX_SEALED_COMMITS). */
  readonly sealed: SealedCommit[];
  /** The open files must be sealed before another record is written into them. */
  commitDue: boolean;
}

/** Files taken out of writing to be committed together, with the log that commits them. */
interface SealedCommit {
  readonly files: readonly OpenFile[];
  readonly wal: WriteAheadLog;
  /** The log's RENAME over wal.json was sent, so it may name these temp files: they stay for recovery. */
  walMayBeInPlace: boolean;
  /** The log is in place; what is left is renaming the files. */
  walWritten: boolean;
  /** The latest run of the commit; it never rejects (see `failure`). */
  running: Promise<void>;
  /** Why that run failed; the commit is run again, after the earlier ones, at the next put or flush. */
  failure: { error: unknown } | null;
}

/**
 * Writes Kafka records into HDFS files, exactly once. Records go to temp files per directory (from the
 * partitioner); a commit moves every open file of a topic partition to its final name
 * `<topic>+<partition>+<start>+<end>.<ext>` through the write-ahead log (see wal.ts). Commits happen when
 * a file holds flush.size records, when its records span rotate.interval.ms, when a record's schema
 * changes, and at every rotate.schedule.interval.ms of the wall clock (a timer asks the engine for a
 * commit, so a quiet topic still rolls). `open` recovers each partition from HDFS and seeks there;
 * `preCommit` hands the engine only offsets of committed files. `close` and `stop` let a commit under way
 * finish, then abandon files not yet committed: the next owner reads those records again.
 *
 * A commit runs in the background: its files are sealed (new records go to new files) and `put` goes on
 * while their last bytes, the log and the renames are written, so the next files fill while the NameNode
 * and DataNodes work. Up to MAX_SEALED_COMMITS commits of a partition are under way: a commit's temp
 * files and staged log may be written while the previous commit runs, but its log replaces wal.json only
 * once the previous commit's renames are done, so the log always names the only commit that may be
 * incomplete. A failed commit is run again (with those after it) at the next `put` or `flush` of its
 * partition, which throw when it fails again; `commitsSettled` waits for the commits under way.
 */
export class HdfsSinkTask implements SinkTask {
  readonly kind = "sink";
  readonly #clock: Clock;
  readonly #onCommitStep: HdfsSinkTaskOptions["onCommitStep"];
  readonly #partitions = new Map<string, PartitionState>();
  #settings: HdfsSettings | null = null;
  #context: SinkTaskContext | null = null;
  #hdfs: WebHdfs | null = null;
  #paths: SinkPaths | null = null;
  #format: FileFormat | null = null;
  #partitioner: Partitioner | null = null;
  #cancelTimer: (() => void) | null = null;
  #scheduledRotationDue = false;
  #stopping: Promise<void> | null = null;

  constructor(options: HdfsSinkTaskOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#onCommitStep = options.onCommitStep;
  }

  async start(config: ParsedConfig, context: SinkTaskContext): Promise<void> {
    const settings = hdfsSettings(config);
    this.#settings = settings;
    this.#context = context;
    this.#hdfs = new WebHdfs({ url: settings.url, user: settings.user });
    this.#paths = new SinkPaths(settings.topicsDir, settings.logsDir);
    this.#format = fileFormat(settings.format);
    this.#partitioner = createPartitioner(settings);
    this.#scheduleRotation();
  }

  get #logger(): Logger {
    return this.#require(this.#context, "context").logger;
  }

  #require<T>(value: T | null, what: string): T {
    if (value === null)
      throw new SluiceError(ErrorCode.INTERNAL, `the HDFS sink task has no ${what}: start was not called`);
    return value;
  }

  /** Arms the timer for the next multiple of rotate.schedule.interval.ms, aligned in `timezone`. */
  #scheduleRotation(): void {
    const settings = this.#require(this.#settings, "settings");
    const interval = settings.rotateScheduleIntervalMs;
    if (interval === null || this.#stopping !== null) return;
    const now = this.#clock.now();
    const next = bucketStart(now, interval, settings.timeZone) + interval;
    this.#cancelTimer = this.#clock.schedule(() => {
      this.#scheduledRotationDue = true;
      this.#context?.requestCommit();
      this.#scheduleRotation();
    }, next - now);
  }

  async open(partitions: readonly TopicPartition[]): Promise<void> {
    const hdfs = this.#require(this.#hdfs, "HDFS client");
    const paths = this.#require(this.#paths, "paths");
    const context = this.#require(this.#context, "context");
    for (const tp of partitions) {
      const key = topicPartitionKey(tp);
      const earlier = this.#partitions.get(key);
      if (earlier) await this.#abandon(earlier);
      const { next, deletedTempFiles } = await recoverPartition(hdfs, paths, tp);
      this.#partitions.set(key, {
        tp: { topic: tp.topic, partition: tp.partition },
        committedNext: next,
        expectedNext: next,
        files: new Map(),
        sealed: [],
        commitDue: false,
      });
      if (next !== null) context.seek(tp, next);
      this.#logger.info(`recovered ${key} from HDFS`, {
        next: next === null ? null : next.toString(),
        deletedTempFiles: deletedTempFiles.length,
      });
    }
  }

  #state(record: SinkRecord): PartitionState {
    const state = this.#partitions.get(
      topicPartitionKey({ topic: record.topic, partition: record.kafkaPartition }),
    );
    if (state === undefined) {
      throw new SluiceError(
        ErrorCode.INTERNAL,
        `a record of ${record.topic}-${record.kafkaPartition} arrived before open() assigned that partition`,
      );
    }
    return state;
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    for (const record of records) {
      const state = this.#state(record);
      if (state.expectedNext !== null && record.kafkaOffset < state.expectedNext) continue;
      if (hasFailedCommit(state)) await this.#settleSealed(state, 0);
      if (state.commitDue) await this.#commit(state);
      await this.#write(state, record);
    }
    if (this.#scheduledRotationDue) await this.#commitScheduled(false);
  }

  /** Adds one record to its file; the record counts as handled before any I/O, so a retry never repeats it. */
  async #write(state: PartitionState, record: SinkRecord): Promise<void> {
    const settings = this.#require(this.#settings, "settings");
    const format = this.#require(this.#format, "format");
    if (isTombstone(record)) {
      state.expectedNext = record.kafkaOffset + 1n;
      return;
    }
    let placed: { directory: string; time: number; key: string };
    try {
      const time = recordTime(
        settings.timestampExtractor,
        settings.timestampField,
        record,
        this.#clock.now(),
      );
      const directory = this.#require(this.#partitioner, "partitioner").encode(record, time);
      placed = { directory, time, key: format.fileKey(record) };
    } catch (error) {
      await this.#skipErrant(state, record, error);
      return;
    }
    const current = state.files.get(placed.directory);
    const rotate =
      current !== undefined &&
      (current.key !== placed.key ||
        (settings.rotateIntervalMs !== null && placed.time - current.firstTime >= settings.rotateIntervalMs));
    if (rotate) {
      state.commitDue = true;
      await this.#commit(state);
    }
    let file = state.files.get(placed.directory);
    try {
      if (file === undefined) {
        const encoder = format.createEncoder(record);
        encoder.write(record);
        file = {
          directory: placed.directory,
          temp: this.#require(this.#paths, "paths").newTempFile(state.tp),
          key: placed.key,
          encoder,
          start: record.kafkaOffset,
          end: record.kafkaOffset,
          count: 0,
          firstTime: placed.time,
          written: 0,
          created: false,
          pending: [],
        };
        state.files.set(placed.directory, file);
      } else {
        file.encoder.write(record);
      }
    } catch (error) {
      await this.#skipErrant(state, record, error);
      return;
    }
    file.end = record.kafkaOffset;
    file.count++;
    state.expectedNext = record.kafkaOffset + 1n;
    if (file.encoder.bufferedBytes >= CHUNK_BYTES) {
      file.pending.push(file.encoder.take());
      await this.#writePending(file);
    }
    if (file.count >= settings.flushSize) {
      state.commitDue = true;
      await this.#commit(state);
    }
  }

  /** A record this sink cannot write goes to the engine's error handling (DLQ or failure). */
  async #skipErrant(state: PartitionState, record: SinkRecord, error: unknown): Promise<void> {
    if (!(error instanceof DataError)) throw error;
    await this.#require(this.#context, "context").reportErrant(record, error);
    state.expectedNext = record.kafkaOffset + 1n;
  }

  /** Appends a file's pending chunks to its temp file (creating it with the first). */
  async #writePending(file: OpenFile): Promise<void> {
    const hdfs = this.#require(this.#hdfs, "HDFS client");
    while (file.pending.length > 0) {
      const chunk = file.pending[0] as Uint8Array;
      if (chunk.length > 0) {
        if (!file.created) {
          await hdfs.create(file.temp, chunk, { overwrite: true });
          file.created = true;
        } else {
          await this.#appendOnce(hdfs, file, chunk);
        }
        file.written += chunk.length;
      }
      file.pending.shift();
    }
  }

  /** APPEND is not idempotent: after an ambiguous failure the file's length says whether the chunk landed. */
  async #appendOnce(hdfs: WebHdfs, file: OpenFile, chunk: Uint8Array): Promise<void> {
    try {
      await hdfs.append(file.temp, chunk);
    } catch (error) {
      if (!(error instanceof WebHdfsError) || !error.retriable) throw error;
      const length = (await hdfs.getFileStatus(file.temp))?.length;
      if (length === file.written + chunk.length) return;
      if (length === file.written) throw error;
      throw new SluiceError(
        ErrorCode.EXTERNAL_FATAL,
        `an APPEND to ${file.temp} failed half-way (${length} bytes where ${file.written} or ${file.written + chunk.length} were expected); the task restarts and writes these records again`,
        { cause: error },
      );
    }
  }

  /** Appends what is left of a finished file and checks that HDFS holds every byte written. */
  async #completeTempFile(hdfs: WebHdfs, file: OpenFile): Promise<void> {
    await this.#writePending(file);
    const length = (await hdfs.getFileStatus(file.temp))?.length;
    if (length !== file.written) {
      throw new SluiceError(
        ErrorCode.EXTERNAL_FATAL,
        `the temp file ${file.temp} holds ${length ?? "no"} bytes where ${file.written} were written; the task restarts and writes these records again`,
      );
    }
  }

  /**
   * Seals every open file of the partition to be committed as one unit (see wal.ts) and starts that
   * commit in the background, once there is room for it. Safe to call again after a throw.
   */
  async #commit(state: PartitionState): Promise<void> {
    const paths = this.#require(this.#paths, "paths");
    const format = this.#require(this.#format, "format");
    state.commitDue = true;
    await this.#settleSealed(state, hasFailedCommit(state) ? 0 : MAX_SEALED_COMMITS - 1);
    const next = state.expectedNext;
    const sealedNext = state.sealed.at(-1)?.wal.next ?? state.committedNext;
    if (next === null || (state.files.size === 0 && next === sealedNext)) {
      state.commitDue = false;
      return;
    }
    const files = [...state.files.values()];
    for (const file of files) {
      file.pending.push(file.encoder.finish());
    }
    const sealed: SealedCommit = {
      files,
      wal: {
        next,
        files: files.map((file) => ({
          temp: file.temp,
          final: paths.committedFile(file.directory, {
            topic: state.tp.topic,
            partition: state.tp.partition,
            start: file.start,
            end: file.end,
            extension: format.extension,
          }),
        })),
      },
      walMayBeInPlace: false,
      walWritten: false,
      running: Promise.resolve(),
      failure: null,
    };
    state.files.clear();
    state.sealed.push(sealed);
    state.commitDue = false;
    this.#run(state, sealed);
  }

  /**
   * Waits until at most `keep` commits of the partition are under way, oldest first; a commit found
   * failed is run again here (and throws if it fails again).
   */
  async #settleSealed(state: PartitionState, keep: number): Promise<void> {
    while (state.sealed.length > keep) {
      const oldest = state.sealed[0] as SealedCommit;
      await oldest.running;
      // Done (and removed), or run again by someone else meanwhile: look again.
      if (state.sealed[0] !== oldest || oldest.failure === null) continue;
      this.#run(state, oldest);
      await oldest.running;
      if (oldest.failure !== null) throw oldest.failure.error;
    }
  }

  /** Starts a run of a sealed commit; its outcome lands in `running` and `failure`. */
  #run(state: PartitionState, sealed: SealedCommit): void {
    sealed.failure = null;
    sealed.running = this.#runCommit(state, sealed).catch((error: unknown) => {
      sealed.failure = { error };
    });
  }

  /** Resolves once every commit sealed before `sealed` is done; throws when one of them failed. */
  async #previousCommitsDone(state: PartitionState, sealed: SealedCommit): Promise<void> {
    for (;;) {
      const index = state.sealed.indexOf(sealed);
      const previous = index > 0 ? state.sealed[index - 1] : undefined;
      if (previous === undefined) return;
      await previous.running;
      if (previous.failure !== null) throw previous.failure.error;
    }
  }

  /**
   * The steps of a sealed commit, from wherever an earlier run stopped; the log replaces wal.json only
   * after the commits before it are done. The partition's committed position moves at the end.
   */
  async #runCommit(state: PartitionState, sealed: SealedCommit): Promise<void> {
    const hdfs = this.#require(this.#hdfs, "HDFS client");
    const paths = this.#require(this.#paths, "paths");
    const step = (s: CommitStep) => this.#onCommitStep?.(s, state.tp, sealed.wal.next);
    if (!sealed.walWritten) {
      // The new log is staged while the temp files are completed: it counts only once it replaces
      // wal.json, which waits for every temp file (a crash before leaves a stray temp that recovery deletes).
      const [completed, staged] = await Promise.allSettled([
        settleAll(sealed.files.map((file) => this.#completeTempFile(hdfs, file))),
        stageWal(hdfs, paths, state.tp, sealed.wal),
      ]);
      try {
        if (completed.status === "rejected") throw completed.reason;
        if (staged.status === "rejected") throw staged.reason;
        step("temp-files-complete");
        await this.#previousCommitsDone(state, sealed);
        sealed.walMayBeInPlace = true;
        await publishReplacement(hdfs, staged.value);
      } catch (error) {
        if (staged.status === "fulfilled" && !sealed.walMayBeInPlace) {
          await hdfs.delete(staged.value.temp, { recursive: false }).catch(() => {});
        }
        throw error;
      }
      sealed.walWritten = true;
      step("wal-written");
    }
    await applyWal(hdfs, sealed.wal, undefined, () => step("file-renamed"));
    this.#logger.debug(`committed ${sealed.wal.files.length} file(s) of ${topicPartitionKey(state.tp)}`, {
      next: sealed.wal.next?.toString(),
      files: sealed.wal.files.map((f) => f.final),
    });
    state.committedNext = sealed.wal.next;
    const index = state.sealed.indexOf(sealed);
    if (index >= 0) state.sealed.splice(index, 1);
    this.#context?.requestCommit();
  }

  /**
   * Commits what a wall-clock rule says is due: every partition after the schedule's tick, files whose
   * records span rotate.interval.ms by the wall clock (Wallclock extractor), and commits that failed
   * before. With `tolerateRetriable` a retriable failure is logged and tried again at the next call.
   */
  async #commitScheduled(tolerateRetriable: boolean): Promise<void> {
    const settings = this.#require(this.#settings, "settings");
    const scheduled = this.#scheduledRotationDue;
    const now = this.#clock.now();
    let failed = false;
    for (const state of this.#partitions.values()) {
      const aged =
        settings.rotateIntervalMs !== null &&
        settings.timestampExtractor === "Wallclock" &&
        [...state.files.values()].some((file) => now - file.firstTime >= settings.rotateIntervalMs!);
      const rerun = hasFailedCommit(state);
      if (!(scheduled || aged || state.commitDue || rerun)) continue;
      try {
        if (rerun) await this.#settleSealed(state, 0);
        if (scheduled || aged || state.commitDue) await this.#commit(state);
      } catch (error) {
        if (!tolerateRetriable || !isRetriable(error)) throw error;
        failed = true;
        this.#logger.warn(
          `committing ${topicPartitionKey(state.tp)} failed; trying again at the next flush`,
          {
            error: (error as Error).message,
          },
        );
      }
    }
    if (!failed) this.#scheduledRotationDue = false;
  }

  /**
   * Starts the commits the wall clock made due and runs failed ones again; other files keep growing, and
   * commits under way go on (the engine commits only what preCommit says).
   */
  async flush(): Promise<void> {
    await this.#commitScheduled(true);
  }

  /**
   * Resolves once no commit is under way, or rejects with the failure of the last one of a partition
   * (which is run again at the next put or flush). For callers that need HDFS to reflect every commit
   * started so far; the engine needs none of it (preCommit says what is committed).
   */
  async commitsSettled(): Promise<void> {
    for (const state of this.#partitions.values()) {
      for (const sealed of [...state.sealed]) await sealed.running;
      const failed = state.sealed.find((sealed) => sealed.failure !== null);
      if (failed?.failure) throw failed.failure.error;
    }
  }

  /** The offset after the last committed record of each partition: what HDFS holds, nothing more. */
  async preCommit(): Promise<ReadonlyMap<string, { partition: TopicPartition; offset: bigint }>> {
    const out = new Map<string, { partition: TopicPartition; offset: bigint }>();
    for (const [key, state] of this.#partitions) {
      if (state.committedNext !== null) out.set(key, { partition: state.tp, offset: state.committedNext });
    }
    return out;
  }

  /**
   * Lets the partition's commit under way end, then deletes its temp files that no written log may name,
   * best effort (recovery deletes what is left). A log that may be in place but was not applied stays
   * for the next owner's recovery to finish.
   */
  async #abandon(state: PartitionState): Promise<void> {
    const hdfs = this.#hdfs;
    this.#partitions.delete(topicPartitionKey(state.tp));
    for (const sealed of [...state.sealed]) await sealed.running;
    if (hdfs === null || state.sealed.some((sealed) => sealed.walMayBeInPlace)) return;
    for (const file of [...state.sealed.flatMap((sealed) => sealed.files), ...state.files.values()]) {
      if (!file.created) continue;
      await hdfs.delete(file.temp, { recursive: false }).catch((error: unknown) => {
        this.#logger.warn(`could not delete the temp file ${file.temp}; the next recovery will`, {
          error: (error as Error).message,
        });
      });
    }
  }

  /** Partitions leave this task: files not committed are abandoned (another task may own them already). */
  async close(partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) {
      const state = this.#partitions.get(topicPartitionKey(tp));
      if (state) await this.#abandon(state);
    }
  }

  async stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#cancelTimer?.();
      this.#cancelTimer = null;
      for (const state of [...this.#partitions.values()]) await this.#abandon(state);
    })();
    return this.#stopping;
  }
}

/** Waits for every promise to settle (so nothing still runs), then rejects with the first failure, if any. */
async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

/** True when a commit of the partition failed and was not run again yet. */
function hasFailedCommit(state: PartitionState): boolean {
  return state.sealed.some((sealed) => sealed.failure !== null);
}
