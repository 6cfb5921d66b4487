import { randomUUID } from "node:crypto";
import { DataError, ErrorCode, SluiceError, type TopicPartition } from "../../runtime/api/index.ts";
import { isCleanHdfsPath } from "./webhdfs.ts";

/**
 * Where the sink keeps what in HDFS. Every path is built here, from a root that config validation
 * normalised and segments that are either fixed, Kafka topic names, or encoded by `segmentValue`, and
 * `under` checks the result once more, so nothing a record carries can name a path outside topics.dir.
 *
 *   <topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start>+<end>.<ext>   committed files
 *   <topics.dir>/+tmp/<topic>/<topic>+<partition>+<uuid>.tmp                         files being written
 *   <topics.dir>/+tmp/+compaction/<topic>/<committed name>                             merged files being written
 *   <logs.dir>/<topic>/<partition>/wal.json                                            write-ahead log
 *   <logs.dir>/<topic>/<partition>/compaction.json                                     compaction manifest
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is encoded
const UNSAFE_IN_SEGMENT = /[%/\\:\u0000-\u001f\u007f]/g;

/** HDFS refuses longer path components. */
const MAX_SEGMENT_BYTES = 255;

/** A configured directory as an absolute clean path ("topics" → "/topics"), or undefined when it is unsafe. */
export function normalizeRoot(dir: string): string | undefined {
  const trimmed = dir.trim().replace(/\/+$/, "");
  if (trimmed === "") return undefined;
  const absolute = trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
  return isCleanHdfsPath(absolute) && absolute !== "/" ? absolute : undefined;
}

/**
 * A value as one path component: `%`, `/`, `\`, `:` and control characters are percent-encoded, so the
 * result never splits into segments, never is `.` or `..` on its own, and reads back with decodeURIComponent.
 * Too long for one HDFS path component: DataError.
 */
export function segmentValue(value: string): string {
  let encoded = value.replace(
    UNSAFE_IN_SEGMENT,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  if (encoded === "." || encoded === "..") encoded = encoded.replaceAll(".", "%2E");
  if (Buffer.byteLength(encoded) > MAX_SEGMENT_BYTES) {
    throw new DataError(
      `a partition value of ${Buffer.byteLength(encoded)} bytes does not fit one HDFS path component (${MAX_SEGMENT_BYTES})`,
    );
  }
  return encoded;
}

/** `root` + `relative` (`/`-separated); throws unless the result is clean and strictly below `root`. */
export function under(root: string, relative: string): string {
  const path = `${root}/${relative}`;
  if (!isCleanHdfsPath(path) || relative === "") {
    throw new SluiceError(
      ErrorCode.INTERNAL,
      `refusing to build the path ${JSON.stringify(path)}: it would leave ${root}`,
    );
  }
  return path;
}

/** The parent directory of an absolute path. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

/** The last component of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** A committed file's name: the topic partition and the first and last Kafka offsets it holds. */
export interface CommittedName {
  topic: string;
  partition: number;
  start: bigint;
  end: bigint;
  /** Without the dot, e.g. `json.gz`. */
  extension: string;
}

export function committedName(name: CommittedName): string {
  return `${name.topic}+${name.partition}+${name.start}+${name.end}.${name.extension}`;
}

const COMMITTED = /^([A-Za-z0-9._-]+)\+(\d+)\+(\d+)\+(\d+)\.([a-z]+(?:\.[a-z]+)?)$/;

/** The parts of a committed file's name, or null when `fileName` is not one. */
export function parseCommittedName(fileName: string): CommittedName | null {
  const match = COMMITTED.exec(fileName);
  if (match === null) return null;
  const [, topic, partition, start, end, extension] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { topic, partition: Number(partition), start: BigInt(start), end: BigInt(end), extension };
}

/** Paths of one sink's topics.dir and logs.dir. */
export class SinkPaths {
  readonly topicsDir: string;
  readonly logsDir: string;

  constructor(topicsDir: string, logsDir: string) {
    this.topicsDir = topicsDir;
    this.logsDir = logsDir;
  }

  /** The directory of a topic's committed files. */
  topicDir(topic: string): string {
    return under(this.topicsDir, checkedTopic(topic));
  }

  /** A committed file in the directory `encodedPartition` (relative, from a Partitioner) of its topic. */
  committedFile(encodedPartition: string, name: CommittedName): string {
    return under(this.topicsDir, `${checkedTopic(name.topic)}/${encodedPartition}/${committedName(name)}`);
  }

  /** The directory of a topic's temp files. */
  tempDir(topic: string): string {
    return under(this.topicsDir, `+tmp/${checkedTopic(topic)}`);
  }

  /** A new temp file of this topic partition. */
  newTempFile(tp: TopicPartition): string {
    return `${this.tempDir(tp.topic)}/${tp.topic}+${tp.partition}+${randomUUID()}.tmp`;
  }

  /** True when `fileName` (in tempDir) is a temp file of this topic partition. */
  isTempFileOf(tp: TopicPartition, fileName: string): boolean {
    return fileName.startsWith(`${tp.topic}+${tp.partition}+`) && fileName.endsWith(".tmp");
  }

  /** The directory of a topic's merged files being written by compaction. */
  compactionTempDir(topic: string): string {
    return under(this.topicsDir, `+tmp/+compaction/${checkedTopic(topic)}`);
  }

  /** The directory of one topic partition's write-ahead log and compaction manifest. */
  logDir(tp: TopicPartition): string {
    return under(this.logsDir, `${checkedTopic(tp.topic)}/${tp.partition}`);
  }

  wal(tp: TopicPartition): string {
    return `${this.logDir(tp)}/wal.json`;
  }

  compactionManifest(tp: TopicPartition): string {
    return `${this.logDir(tp)}/compaction.json`;
  }
}

/** Kafka topic names are [A-Za-z0-9._-] and never `.` or `..`; anything else is refused before it reaches a path. */
function checkedTopic(topic: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(topic) || topic === "." || topic === "..") {
    throw new SluiceError(
      ErrorCode.INTERNAL,
      `refusing the topic name ${JSON.stringify(topic)} as an HDFS path component`,
    );
  }
  return topic;
}
