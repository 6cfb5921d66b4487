import { gzipSync } from "node:zlib";
import { DataError, jsonText, type SinkRecord } from "../../runtime/api/index.ts";
import { avroFormat } from "./avro-format.ts";
import { parquetFormat } from "./parquet-format.ts";

export type FormatName = "json" | "json.gz" | "parquet" | "avro";

const CONFLUENT = "io.confluent.connect.hdfs.";

/** Accepted format.class values: Sluice's short names and Confluent's class names. */
export const FORMAT_CLASSES: ReadonlyMap<string, FormatName> = new Map([
  ["json", "json"],
  ["json.gz", "json.gz"],
  ["parquet", "parquet"],
  ["avro", "avro"],
  [`${CONFLUENT}json.JsonFormat`, "json"],
  [`${CONFLUENT}parquet.ParquetFormat`, "parquet"],
  [`${CONFLUENT}avro.AvroFormat`, "avro"],
]);

/** The format a format.class value names, as ConfigDef resolved it. */
export function formatOf(name: string): FormatName {
  return FORMAT_CLASSES.get(name) ?? "json";
}

/**
 * Encodes the records of one file, in order. Bytes are taken out as they are ready so that a file of any
 * length is streamed to HDFS in chunks; the concatenation of everything `take` and `finish` returned is
 * the file.
 */
export interface RecordEncoder {
  /** Adds a record; DataError (and nothing added) when this format cannot hold it. */
  write(record: SinkRecord): void;
  /** Bytes held in memory that `take` would return (uncompressed estimate). */
  readonly bufferedBytes: number;
  /** The bytes ready so far; the encoder keeps going. */
  take(): Uint8Array;
  /** The remaining bytes, trailer included; the encoder is done. */
  finish(): Uint8Array;
}

/** A file format: how records become a file, and how files of it merge. */
export interface FileFormat {
  readonly name: FormatName;
  /** The file name extension, without the dot. */
  readonly extension: string;
  /**
   * Records with different keys cannot share a file (e.g. their value schemas differ); a change of key
   * commits the open files first.
   */
  fileKey(record: SinkRecord): string;
  /** An encoder for a file whose first record is `first` (it decides the file's schema). */
  createEncoder(first: SinkRecord): RecordEncoder;
  /** How compaction merges files of this format into one. */
  readonly merging: ConcatMerging | RewriteMerging;
}

/** Reads `length` bytes of one file from `offset`. */
export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * Files merge by HDFS CONCAT: the sources, followed by a trailer, become one file in one atomic NameNode
 * operation, so a reader sees either the sources or the merged file (see compaction.ts).
 */
export interface ConcatMerging {
  readonly kind: "concat";
  /**
   * What `mergeKey` and `trailer` need of one file of `length` bytes (Parquet: its footer), read through
   * `read`; empty when they need nothing.
   */
  summary(read: RangeReader, length: number): Promise<Uint8Array>;
  /** A key that differs when two files cannot be merged into one (their schemas differ). */
  mergeKey(summary: Uint8Array): string;
  /**
   * The bytes that, appended to the byte concatenation of `files` (all with the same mergeKey, in order),
   * make it one valid file with all their records in order; empty when the concatenation already is one.
   */
  trailer(files: ReadonlyArray<{ length: number; summary: Uint8Array }>): Uint8Array;
}

/** Files merge by writing a new file with all their records; the swap is not atomic for readers. */
export interface RewriteMerging {
  readonly kind: "rewrite";
  /** A key that differs when two files cannot be merged into one (their schemas differ). */
  mergeKey(file: Uint8Array): Promise<string>;
  /** One file with the records of `files`, in order (all with the same mergeKey). */
  merge(files: readonly Uint8Array[]): Promise<Uint8Array>;
}

/**
 * A record value as one line of JSON: bigints as exact numbers, bytes as base64 (as Kafka Connect's
 * JsonConverter writes them).
 */
export function jsonLine(value: unknown): string {
  return `${jsonText(value)}\n`;
}

class JsonLinesEncoder implements RecordEncoder {
  readonly #gzip: boolean;
  #lines: string[] = [];
  #buffered = 0;

  constructor(gzip: boolean) {
    this.#gzip = gzip;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  write(record: SinkRecord): void {
    let line: string;
    try {
      line = jsonLine(record.value);
    } catch (error) {
      throw new DataError(
        `record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} is not JSON-serialisable: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#lines.push(line);
    this.#buffered += line.length;
  }

  take(): Uint8Array {
    if (this.#lines.length === 0) return new Uint8Array(0);
    const text = Buffer.from(this.#lines.join(""));
    this.#lines = [];
    this.#buffered = 0;
    // Each chunk is one gzip member; a file of several members is valid gzip (RFC 1952) that gunzip,
    // zcat and Hadoop's GzipCodec read as one stream.
    return this.#gzip ? gzipSync(text) : text;
  }

  finish(): Uint8Array {
    return this.take();
  }
}

function jsonLinesFormat(gzip: boolean): FileFormat {
  return {
    name: gzip ? "json.gz" : "json",
    extension: gzip ? "json.gz" : "json",
    fileKey: () => "",
    createEncoder: () => new JsonLinesEncoder(gzip),
    // Gzip members concatenate into valid gzip, and lines into lines.
    merging: {
      kind: "concat",
      summary: async () => new Uint8Array(0),
      mergeKey: () => "",
      trailer: () => new Uint8Array(0),
    },
  };
}

const FORMATS: Record<FormatName, FileFormat> = {
  json: jsonLinesFormat(false),
  "json.gz": jsonLinesFormat(true),
  avro: avroFormat,
  parquet: parquetFormat,
};

export function fileFormat(name: FormatName): FileFormat {
  return FORMATS[name];
}

/** The extensions of every format, to recognise committed files whatever format wrote them. */
export const EXTENSIONS: readonly string[] = Object.values(FORMATS).map((format) => format.extension);
