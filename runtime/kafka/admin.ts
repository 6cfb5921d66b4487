import { Admin as LibraryAdmin, ListOffsetTimestamps } from "@platformatic/kafka";
import { ErrorCode, SluiceError } from "../api/errors.ts";
import type { Logger } from "../api/logger.ts";
import type { TopicPartition } from "../api/records.ts";
import { brokerErrorIds, missingTopicName, toSluiceError } from "./errors.ts";
import { ClientSettings, readCommonOptions, SettingsReader } from "./settings.ts";
import type { PartitionOffset } from "./types.ts";

export interface KafkaAdminOptions {
  bootstrapServers: readonly string[];
  /** `admin.*` worker keys and `admin.override.*` connector keys (see ClientSettings.fromConfigs). */
  settings?: ClientSettings;
  clientId?: string;
  logger?: Logger;
}

export interface TopicSpec {
  name: string;
  /** Default 1. */
  partitions?: number;
  /** Default 1. */
  replicationFactor?: number;
  /** Topic configs, e.g. `{"cleanup.policy": "compact"}`. */
  configs?: Readonly<Record<string, string>>;
}

/** Which offset of a partition `listOffsets` asks for. */
export type OffsetSpec = "earliest" | "latest" | { timestamp: number };

/** A partition's offset as `listOffsets` answers it; `timestamp` is the record's (by timestamp), else -1. */
export interface ListedOffset extends PartitionOffset {
  timestamp: number;
}

/** For an admin request about one topic, a missing topic is a plain fact, not worth retrying. */
function missingTopic(error: unknown, topic: string): SluiceError | null {
  if (missingTopicName(error) === null && !brokerErrorIds(error).has("UNKNOWN_TOPIC_OR_PARTITION"))
    return null;
  return new SluiceError(ErrorCode.EXTERNAL_FATAL, `topic "${topic}" does not exist`, { cause: error });
}

/**
 * Topic and consumer-group administration for the engine: creating the topics connectors write to,
 * KIP-875 sink offsets (list, alter, reset a group's committed offsets) and resolving "earliest",
 * "latest" or "first offset at or after a time" for a partition. Every failure is a SluiceError
 * (see toSluiceError). Groups must have no active member for alterGroupOffsets and
 * deleteGroupOffsets: Kafka refuses them otherwise (EXTERNAL_FATAL naming the group), which is why
 * Kafka Connect allows them only while the connector is STOPPED.
 */
export class KafkaAdmin {
  readonly #client: LibraryAdmin;
  #closing: Promise<void> | null = null;

  constructor(options: KafkaAdminOptions) {
    const reader = new SettingsReader("admin", options.settings ?? new ClientSettings());
    const common = readCommonOptions(reader, options.bootstrapServers, options.clientId ?? "sluice-admin");
    reader.finish(options.logger);
    this.#client = new LibraryAdmin({ ...common, timeout: common.requestTimeout });
  }

  /**
   * Creates the topics that do not exist yet; existing ones are left as they are (their partition
   * count and configs are not compared). Resolves with the names it created.
   */
  async createTopics(topics: readonly TopicSpec[]): Promise<string[]> {
    if (topics.length === 0) return [];
    const existing = new Set(await this.listTopics());
    const created: string[] = [];
    for (const spec of topics) {
      if (existing.has(spec.name)) continue;
      try {
        await this.#client.createTopics({
          topics: [spec.name],
          partitions: spec.partitions ?? 1,
          replicas: spec.replicationFactor ?? 1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
        created.push(spec.name);
      } catch (error) {
        // Another worker (or task) created it between our listing and our request.
        if (brokerErrorIds(error).has("TOPIC_ALREADY_EXISTS")) continue;
        throw toSluiceError(error, `creating topic "${spec.name}"`);
      }
    }
    return created;
  }

  /** The id of the Kafka cluster, as `GET /` reports it. */
  async clusterId(): Promise<string> {
    try {
      return (await this.#client.metadata({ topics: [] })).id;
    } catch (error) {
      throw toSluiceError(error, "reading the cluster id");
    }
  }

  /** Deletes the topics; missing ones are ignored. */
  async deleteTopics(topics: readonly string[]): Promise<void> {
    const existing = new Set(await this.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length === 0) return;
    try {
      await this.#client.deleteTopics({ topics: present });
    } catch (error) {
      throw toSluiceError(error, `deleting topics ${present.join(", ")}`);
    }
  }

  /** The names of the topics, internal ones (`__consumer_offsets`, …) excluded. */
  async listTopics(): Promise<string[]> {
    try {
      return await this.#client.listTopics({ includeInternals: false });
    } catch (error) {
      throw toSluiceError(error, "listing topics");
    }
  }

  /** The partitions of a topic, in partition order, with each one's leader broker id (-1: none). */
  async describeTopic(topic: string): Promise<Array<TopicPartition & { leader: number }>> {
    try {
      const metadata = await this.#client.metadata({ topics: [topic], forceUpdate: true });
      const described = metadata.topics.get(topic);
      if (described === undefined)
        throw new SluiceError(ErrorCode.EXTERNAL_FATAL, `topic "${topic}" does not exist`);
      return described.partitions.map((partition, index) => ({
        topic,
        partition: index,
        leader: partition.leader,
      }));
    } catch (error) {
      throw missingTopic(error, topic) ?? toSluiceError(error, `describing topic "${topic}"`);
    }
  }

  /**
   * The offsets a group has committed (each the next offset to read), sorted by topic and partition.
   * A group that does not exist, or has committed nothing, has none.
   */
  async listGroupOffsets(groupId: string): Promise<PartitionOffset[]> {
    try {
      const [group] = await this.#client.listConsumerGroupOffsets({ groups: [groupId] });
      const offsets: PartitionOffset[] = [];
      for (const topic of group?.topics ?? []) {
        for (const partition of topic.partitions) {
          if (partition.committedOffset < 0n) continue;
          offsets.push({
            topic: topic.name,
            partition: partition.partitionIndex,
            offset: partition.committedOffset,
          });
        }
      }
      return offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    } catch (error) {
      throw toSluiceError(error, `listing the offsets of consumer group ${groupId}`);
    }
  }

  /** Sets the group's committed offsets of these partitions (others are untouched). The group must be empty. */
  async alterGroupOffsets(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = Map.groupBy(offsets, (offset) => offset.topic);
    try {
      await this.#client.alterConsumerGroupOffsets({
        groupId,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitionOffsets: list.map(({ partition, offset }) => ({ partition, offset })),
        })),
      });
    } catch (error) {
      throw this.#groupError(error, groupId, "altering");
    }
  }

  /**
   * Removes the group's committed offsets of these partitions, or of every partition when none are
   * named, so that the next member starts per auto.offset.reset. The group must be empty.
   */
  async deleteGroupOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<void> {
    const targets = partitions ?? (await this.listGroupOffsets(groupId));
    if (targets.length === 0) return;
    const byTopic = Map.groupBy(targets, (tp) => tp.topic);
    try {
      await this.#client.deleteConsumerGroupOffsets({
        groupId,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitionIndexes: list.map((tp) => tp.partition),
        })),
      });
    } catch (error) {
      throw this.#groupError(error, groupId, "deleting");
    }
  }

  /**
   * The offset of each partition of `topic` (all partitions when `partitions` is omitted) per `spec`:
   * "earliest" is the log start, "latest" the next offset to be written (the high watermark), and
   * `{timestamp}` the first offset whose record timestamp is at or after it (or the latest offset when
   * every record is older, with timestamp -1) — for resetting a sink to a date-time.
   */
  async listOffsets(
    topic: string,
    spec: OffsetSpec,
    partitions?: readonly number[],
  ): Promise<ListedOffset[]> {
    const timestamp =
      spec === "earliest"
        ? ListOffsetTimestamps.EARLIEST
        : spec === "latest"
          ? ListOffsetTimestamps.LATEST
          : BigInt(Math.trunc(spec.timestamp));
    try {
      const indexes = partitions ?? (await this.describeTopic(topic)).map((tp) => tp.partition);
      const [listed] = await this.#client.listOffsets({
        topics: [
          { name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp })) },
        ],
      });
      const result: ListedOffset[] = [];
      for (const partition of listed?.partitions ?? []) {
        if (partition.offset >= 0n) {
          result.push({
            topic,
            partition: partition.partitionIndex,
            offset: partition.offset,
            timestamp: Number(partition.timestamp),
          });
        }
      }
      const missing = indexes.filter((index) => !result.some((entry) => entry.partition === index));
      if (missing.length > 0 && typeof spec === "object") {
        // No record at or after the timestamp: Kafka answers -1; the position that means is "latest".
        const latest = await this.listOffsets(topic, "latest", missing);
        result.push(...latest.map((entry) => ({ ...entry, timestamp: -1 })));
      }
      return result.sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw missingTopic(error, topic) ?? toSluiceError(error, `listing the offsets of topic "${topic}"`);
    }
  }

  /** Disconnects; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#client.close();
    return this.#closing;
  }

  #groupError(error: unknown, groupId: string, verb: string): SluiceError {
    const ids = brokerErrorIds(error);
    if (ids.has("UNKNOWN_MEMBER_ID") || ids.has("NON_EMPTY_GROUP") || ids.has("REBALANCE_IN_PROGRESS")) {
      return new SluiceError(
        ErrorCode.STATE_CONFLICT,
        `${verb} the offsets of consumer group ${groupId} needs the group to have no active member; stop the connector first`,
        { cause: error },
      );
    }
    return toSluiceError(error, `${verb} the offsets of consumer group ${groupId}`);
  }
}
