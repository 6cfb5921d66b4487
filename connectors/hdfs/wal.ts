import { randomUUID } from "node:crypto";
import { ErrorCode, SluiceError, type TopicPartition } from "../../runtime/api/index.ts";
import { baseName, parentOf, parseCommittedName, type SinkPaths } from "./paths.ts";
import { HdfsNotFoundError, type WebHdfs } from "./webhdfs.ts";

/**
 * The write-ahead log of one topic partition: one small JSON file, replaced atomically (write a temp
 * file, then RENAME with overwrite) at every commit, before the commit's renames:
 *
 *   {"version": 1, "next": "<offset>" | null, "files": [{"temp": "<path>", "final": "<path>"}]}
 *
 * `next` is where the partition resumes: every record before it is in exactly one committed file (or was
 * skipped, e.g. a tombstone); `files` are the renames that make that true. A crash after the log was
 * replaced and before every rename happened is repaired by `recoverPartition`, which redoes the renames
 * whose temp file still exists. `next: null` (written by a reset of the connector's offsets) means: no
 * position in HDFS, start where the consumer group starts.
 */
export interface WriteAheadLog {
  next: bigint | null;
  files: Array<{ temp: string; final: string }>;
}

interface WalJson {
  version: 1;
  next: string | null;
  files: Array<{ temp: string; final: string }>;
}

export async function readWal(
  hdfs: WebHdfs,
  paths: SinkPaths,
  tp: TopicPartition,
  signal?: AbortSignal,
): Promise<WriteAheadLog | null> {
  let bytes: Uint8Array;
  try {
    bytes = await hdfs.open(paths.wal(tp), signal);
  } catch (error) {
    if (error instanceof HdfsNotFoundError) return null;
    throw error;
  }
  let json: WalJson;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8")) as WalJson;
  } catch (error) {
    throw new SluiceError(
      ErrorCode.INTERNAL,
      `the write-ahead log ${paths.wal(tp)} is not JSON; it is written atomically, so something else changed it`,
      { cause: error },
    );
  }
  if (json.version !== 1 || !Array.isArray(json.files) || (json.next !== null && !/^\d+$/.test(json.next))) {
    throw new SluiceError(
      ErrorCode.INTERNAL,
      `the write-ahead log ${paths.wal(tp)} is not a Sluice HDFS log of version 1`,
    );
  }
  return { next: json.next === null ? null : BigInt(json.next), files: json.files };
}

/**
 * A small file's new content written beside it (`<target>.<uuid>.tmp`) but not in place yet: until
 * `publishReplacement` renames it over the target, readers and recovery see the old content, and a crash
 * leaves only the temp file (see isReplaceTemp).
 */
export interface StagedReplacement {
  readonly temp: string;
  readonly target: string;
}

/** Writes `content` beside `path` without touching `path` (the slow half of replaceFile: a CREATE). */
export async function stageReplacement(
  hdfs: WebHdfs,
  path: string,
  content: string,
  signal?: AbortSignal,
): Promise<StagedReplacement> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await hdfs.create(temp, Buffer.from(content), { overwrite: true }, signal);
  return { temp, target: path };
}

/** Puts a staged content in place with one atomic RENAME (overwrite): after this, readers see it. */
export async function publishReplacement(
  hdfs: WebHdfs,
  staged: StagedReplacement,
  signal?: AbortSignal,
): Promise<void> {
  await hdfs.rename(staged.temp, staged.target, { overwrite: true }, signal);
}

/**
 * Writes a small file atomically: stageReplacement, then publishReplacement. A reader sees the old
 * content or the new one; a crash leaves at most the temp file.
 */
export async function replaceFile(
  hdfs: WebHdfs,
  path: string,
  content: string,
  signal?: AbortSignal,
): Promise<void> {
  await publishReplacement(hdfs, await stageReplacement(hdfs, path, content, signal), signal);
}

/** True when `fileName` is a temp file that stageReplacement left for the file named `target`. */
export function isReplaceTemp(fileName: string, target: string): boolean {
  return fileName.startsWith(`${target}.`) && fileName.endsWith(".tmp");
}

/**
 * Writes a new log beside wal.json without replacing it: recovery still sees the previous log (and
 * deletes this temp file) until publishReplacement puts it in place.
 */
export async function stageWal(
  hdfs: WebHdfs,
  paths: SinkPaths,
  tp: TopicPartition,
  wal: WriteAheadLog,
  signal?: AbortSignal,
): Promise<StagedReplacement> {
  const json: WalJson = {
    version: 1,
    next: wal.next === null ? null : wal.next.toString(),
    files: wal.files,
  };
  return stageReplacement(hdfs, paths.wal(tp), JSON.stringify(json), signal);
}

/** Replaces the log atomically: after this resolves, recovery sees `wal`; before, the previous log. */
export async function writeWal(
  hdfs: WebHdfs,
  paths: SinkPaths,
  tp: TopicPartition,
  wal: WriteAheadLog,
  signal?: AbortSignal,
): Promise<void> {
  await publishReplacement(hdfs, await stageWal(hdfs, paths, tp, wal, signal), signal);
}

/**
 * Moves each temp file of the log to its final name, skipping those already moved; idempotent. A final
 * directory is created only when a rename finds it missing, so commits into existing directories cost
 * one RENAME per file. `afterRename` runs after each rename (a seam for tests that cut a commit short).
 */
export async function applyWal(
  hdfs: WebHdfs,
  wal: WriteAheadLog,
  signal?: AbortSignal,
  afterRename?: () => void,
): Promise<void> {
  for (const file of wal.files) {
    if (await renameIntoDirectory(hdfs, file.temp, file.final, signal)) afterRename?.();
  }
}

/**
 * RENAME `temp` over `final`, creating `final`'s directory if that is what was missing; true when renamed.
 * False when `temp` is gone: only a rename done earlier moves it (the log is written after every temp
 * file is complete, and nothing else deletes temp files a log names).
 */
async function renameIntoDirectory(
  hdfs: WebHdfs,
  temp: string,
  final: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await hdfs.rename(temp, final, { overwrite: true }, signal);
    return true;
  } catch (error) {
    if (!(error instanceof HdfsNotFoundError)) throw error;
    if ((await hdfs.getFileStatus(temp, signal)) === null) return false;
  }
  // The source is there, so the destination's directory is not.
  await hdfs.mkdirs(parentOf(final), signal);
  await hdfs.rename(temp, final, { overwrite: true }, signal);
  return true;
}

/** The offset after the last one in a committed file of `tp` under its topic's directory, or null. */
export async function nextFromCommittedNames(
  hdfs: WebHdfs,
  paths: SinkPaths,
  tp: TopicPartition,
  signal?: AbortSignal,
): Promise<bigint | null> {
  let next: bigint | null = null;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await hdfs.listOrEmpty(dir, signal)) {
      if (entry.type === "DIRECTORY") {
        await walk(`${dir}/${entry.pathSuffix}`);
        continue;
      }
      const name = parseCommittedName(entry.pathSuffix);
      if (
        name &&
        name.topic === tp.topic &&
        name.partition === tp.partition &&
        (next === null || name.end + 1n > next)
      ) {
        next = name.end + 1n;
      }
    }
  };
  await walk(paths.topicDir(tp.topic));
  return next;
}

/**
 * Brings one topic partition's files in HDFS to a committed state and says where it resumes. In order:
 *  1. the log's renames are redone (a commit cut short completes);
 *  2. the partition's temp files and stray log temp files are deleted (records being written when a
 *     task died; they are read from Kafka again);
 *  3. the position is the log's `next`; without a log, the offset after the highest end offset among the
 *     committed file names; with neither, null (start where the consumer group starts).
 * Only the task that owns the partition, or the connector while it is stopped, may call this.
 */
export async function recoverPartition(
  hdfs: WebHdfs,
  paths: SinkPaths,
  tp: TopicPartition,
  signal?: AbortSignal,
): Promise<{ next: bigint | null; wal: WriteAheadLog | null; deletedTempFiles: string[] }> {
  const wal = await readWal(hdfs, paths, tp, signal);
  if (wal !== null) await applyWal(hdfs, wal, signal);
  const deletedTempFiles: string[] = [];
  const tempDir = paths.tempDir(tp.topic);
  for (const entry of await hdfs.listOrEmpty(tempDir, signal)) {
    if (entry.type === "FILE" && paths.isTempFileOf(tp, entry.pathSuffix)) {
      await hdfs.delete(`${tempDir}/${entry.pathSuffix}`, { recursive: false }, signal);
      deletedTempFiles.push(`${tempDir}/${entry.pathSuffix}`);
    }
  }
  const logDir = paths.logDir(tp);
  for (const entry of await hdfs.listOrEmpty(logDir, signal)) {
    if (isReplaceTemp(entry.pathSuffix, baseName(paths.wal(tp)))) {
      await hdfs.delete(`${logDir}/${entry.pathSuffix}`, { recursive: false }, signal);
    }
  }
  const next = wal !== null ? wal.next : await nextFromCommittedNames(hdfs, paths, tp, signal);
  return { next, wal, deletedTempFiles };
}
