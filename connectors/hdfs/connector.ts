import {
  type ConnectorContext,
  ErrorCode,
  type OffsetsAlterable,
  type ParsedConfig,
  ReplicatedTasksConnector,
  SluiceError,
  type SourceOffset,
  type SourcePartition,
  type TopicPartition,
} from "../../runtime/api/index.ts";
import { CompactionJobs } from "./compaction.ts";
import { hdfsSettings } from "./config.ts";
import { SinkPaths } from "./paths.ts";
import { recoverPartition, writeWal } from "./wal.ts";
import { WebHdfs, WebHdfsError } from "./webhdfs.ts";

function isTopicPartition(partition: SourcePartition | TopicPartition): partition is TopicPartition {
  const { topic, partition: number } = partition as Record<string, unknown>;
  return (
    typeof topic === "string" &&
    /^[A-Za-z0-9._-]+$/.test(topic) &&
    typeof number === "number" &&
    Number.isSafeInteger(number) &&
    number >= 0
  );
}

/**
 * Plans the HDFS sink: `tasks.max` tasks share the topics' partitions through the consumer group. While
 * it runs and `compaction.redis.url` is set, it keeps the connector's compaction job scheduler in BullMQ
 * up to date and runs its compaction jobs (see compaction.ts).
 */
export class HdfsSinkConnector extends ReplicatedTasksConnector implements OffsetsAlterable {
  #compaction: CompactionJobs | null = null;

  protected checkConfig(config: ParsedConfig): void {
    hdfsSettings(config);
  }

  override async start(config: ParsedConfig, context: ConnectorContext): Promise<void> {
    await super.start(config, context);
    if (hdfsSettings(config).compaction.redisUrl === null) return;
    const jobs = new CompactionJobs(context.name, config);
    try {
      await jobs.schedule();
      jobs.startWorker(context.logger);
      this.#compaction = jobs;
    } catch (error) {
      await jobs.close();
      throw error;
    }
  }

  override async stop(): Promise<void> {
    const jobs = this.#compaction;
    this.#compaction = null;
    await super.stop();
    await jobs?.close();
  }

  /** Checks that the NameNode answers as the configured user and that topics.dir is usable. */
  async validate(
    config: ParsedConfig,
    signal: AbortSignal,
  ): Promise<Array<{ field: string; message: string }>> {
    const settings = hdfsSettings(config);
    const hdfs = new WebHdfs({
      url: settings.url,
      user: settings.user,
      attempts: 1,
      requestTimeoutMs: 10_000,
    });
    try {
      const status = await hdfs.getFileStatus(settings.topicsDir, signal);
      if (status !== null && status.type !== "DIRECTORY") {
        return [
          { field: "topics.dir", message: `${settings.topicsDir} exists in HDFS and is not a directory` },
        ];
      }
      return [];
    } catch (error) {
      const message = error instanceof WebHdfsError ? error.message : String(error);
      return [
        { field: "hdfs.url", message: `WebHDFS at ${settings.url} did not answer as expected: ${message}` },
      ];
    }
  }

  /**
   * The position of an HDFS sink lives in HDFS (the write-ahead log of each partition), so a new offset is
   * written there: the partition is first recovered (a commit cut short completes, temp files go), then
   * its log is replaced by one that says "resume at `offset`", or for a reset (null) "resume where the
   * consumer group starts". Files already committed stay; moving back writes those records again.
   */
  async alterOffsets(
    config: ParsedConfig,
    offsets: ReadonlyArray<{
      partition: SourcePartition | TopicPartition;
      offset: SourceOffset | bigint | null;
    }>,
  ): Promise<boolean> {
    for (const { partition, offset } of offsets) {
      if (!isTopicPartition(partition)) {
        throw new SluiceError(
          ErrorCode.BAD_REQUEST,
          `HDFS sink partitions are Kafka topic partitions; got ${JSON.stringify(partition)}`,
        );
      }
      if (offset !== null && (typeof offset !== "bigint" || offset < 0n)) {
        throw new SluiceError(
          ErrorCode.BAD_REQUEST,
          `HDFS sink offsets are Kafka offsets (whole numbers from 0) or null; got ${String(offset)}`,
        );
      }
    }
    const settings = hdfsSettings(config);
    const hdfs = new WebHdfs({ url: settings.url, user: settings.user });
    const paths = new SinkPaths(settings.topicsDir, settings.logsDir);
    for (const { partition, offset } of offsets) {
      const tp = partition as TopicPartition;
      await recoverPartition(hdfs, paths, tp);
      await writeWal(hdfs, paths, tp, { next: offset as bigint | null, files: [] });
    }
    return true;
  }
}
