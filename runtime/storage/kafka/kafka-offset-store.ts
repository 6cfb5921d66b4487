import type { SourceOffset, SourcePartition } from "../../api/index.ts";
import type { Logger } from "../../api/logger.ts";
import type { KafkaAdmin } from "../../kafka/admin.ts";
import { KafkaLogReader, type LogRecord } from "../../kafka/log-reader.ts";
import { KafkaProducer } from "../../kafka/producer.ts";
import type { ClientSettings } from "../../kafka/settings.ts";
import type { ProduceRecord } from "../../kafka/types.ts";
import { canonicalJson, type OffsetEntry, type OffsetStore, partitionKey } from "../offset-store.ts";

export interface KafkaOffsetStoreOptions {
  bootstrapServers: readonly string[];
  admin: KafkaAdmin;
  /** offset.storage.topic */
  topic: string;
  /** offset.storage.partitions: used only when the topic is created. */
  partitions: number;
  /** offset.storage.replication.factor: used only when the topic is created; -1 is the broker's default. */
  replicationFactor: number;
  producerSettings?: ClientSettings;
  consumerSettings?: ClientSettings;
  logger?: Logger;
}

/** An offset change: a null offset removes the partition. */
export interface OffsetChange {
  partition: SourcePartition;
  offset: SourceOffset | null;
}

/**
 * Source offsets kept in a compacted Kafka topic, in Kafka Connect's format: one record per source
 * partition, keyed by the JSON `["<connector>", {<partition>}]`, whose value is the offset's JSON (a
 * tombstone removes it). Because the offsets are Kafka records, a source task's transactional producer
 * can write them in the same transaction as the records they describe (`records`), which is what makes
 * exactly-once source delivery possible: after a crash, the offsets and the data are either both
 * visible or both gone. Reads first read the topic to its end (read_committed), so they see every
 * committed write, whoever made it.
 */
export class KafkaOffsetStore implements OffsetStore {
  readonly #o: KafkaOffsetStoreOptions;
  /** connector → partition key → entry, as read from the topic. */
  readonly #state = new Map<string, Map<string, OffsetEntry>>();
  #reader: KafkaLogReader | null = null;
  #producer: KafkaProducer | null = null;
  #closing: Promise<void> | null = null;

  private constructor(options: KafkaOffsetStoreOptions) {
    this.#o = options;
  }

  /** Creates the topic (compacted) when it is missing, then reads it to its end. */
  static async open(options: KafkaOffsetStoreOptions): Promise<KafkaOffsetStore> {
    const store = new KafkaOffsetStore(options);
    await options.admin.createTopics([
      {
        name: options.topic,
        partitions: options.partitions,
        replicationFactor: options.replicationFactor,
        configs: { "cleanup.policy": "compact" },
      },
    ]);
    store.#reader = await KafkaLogReader.open({
      bootstrapServers: options.bootstrapServers,
      topic: options.topic,
      clientId: "sluice-offsets-reader",
      ...(options.consumerSettings ? { settings: options.consumerSettings } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onRecord: (record) => store.#apply(record),
    });
    return store;
  }

  /** The topic the offsets live in. */
  get topic(): string {
    return this.#o.topic;
  }

  async get(connector: string, partition: SourcePartition): Promise<SourceOffset | null> {
    await this.#readToEnd();
    const entry = this.#state.get(connector)?.get(partitionKey(partition));
    return entry === undefined ? null : { ...entry.offset };
  }

  async getAll(connector: string): Promise<OffsetEntry[]> {
    await this.#readToEnd();
    const entries = this.#state.get(connector);
    if (entries === undefined) return [];
    return [...entries.keys()].sort().map((key) => structuredClone(entries.get(key) as OffsetEntry));
  }

  async set(connector: string, entries: readonly OffsetChange[]): Promise<void> {
    const records = this.records(connector, entries);
    if (records.length === 0) return;
    await Promise.all(this.#writer().send(records));
  }

  async reset(connector: string): Promise<void> {
    const current = await this.getAll(connector);
    await this.set(
      connector,
      current.map(({ partition }) => ({ partition, offset: null })),
    );
  }

  /**
   * The records that store these offset changes, for a caller that writes them itself, e.g. in the
   * Kafka transaction that holds the data they describe. Throws, naming the key, when a partition or
   * offset holds something other than JSON scalars.
   */
  records(connector: string, entries: readonly OffsetChange[]): ProduceRecord[] {
    return entries.map(({ partition, offset }) => ({
      topic: this.#o.topic,
      key: Buffer.from(`[${JSON.stringify(connector)},${canonicalJson(partition, "source partition")}]`),
      value: offset === null ? null : Buffer.from(canonicalJson(offset, "source offset")),
      headers: [],
    }));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#producer?.close();
      await this.#reader?.close();
    })();
    return this.#closing;
  }

  #writer(): KafkaProducer {
    this.#producer ??= new KafkaProducer({
      bootstrapServers: this.#o.bootstrapServers,
      clientId: "sluice-offsets-writer",
      ...(this.#o.producerSettings ? { settings: this.#o.producerSettings } : {}),
      ...(this.#o.logger ? { logger: this.#o.logger } : {}),
    });
    return this.#producer;
  }

  async #readToEnd(): Promise<void> {
    if (this.#reader === null) throw new Error("the offset store is not open");
    await this.#reader.readToEnd();
  }

  /** Applies one record of the topic; records that are not Sluice's or Kafka Connect's are skipped. */
  #apply(record: LogRecord): void {
    const parsed = parseKey(record.key);
    if (parsed === null) {
      this.#o.logger?.warn("skipping a record of the offsets topic whose key is not [connector, partition]", {
        topic: this.#o.topic,
        partition: record.partition,
        offset: String(record.offset),
      });
      return;
    }
    const { connector, partition, key } = parsed;
    const entries = this.#state.get(connector) ?? new Map<string, OffsetEntry>();
    if (record.value === null) {
      entries.delete(key);
    } else {
      let offset: unknown;
      try {
        offset = JSON.parse(record.value.toString("utf8"));
      } catch {
        offset = null;
      }
      if (offset === null || typeof offset !== "object" || Array.isArray(offset)) {
        this.#o.logger?.warn("skipping an offset that is not a JSON object", { connector, partition: key });
        return;
      }
      entries.set(key, { partition, offset: offset as SourceOffset });
    }
    if (entries.size === 0) this.#state.delete(connector);
    else this.#state.set(connector, entries);
  }
}

/** The connector and partition a record's key names, with the partition's store key; null when it is not one. */
function parseKey(key: Buffer | null): { connector: string; partition: SourcePartition; key: string } | null {
  if (key === null) return null;
  try {
    const parsed: unknown = JSON.parse(key.toString("utf8"));
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [connector, partition] = parsed as [unknown, unknown];
    if (typeof connector !== "string" || partition === null || typeof partition !== "object") return null;
    return {
      connector,
      partition: partition as SourcePartition,
      key: partitionKey(partition as SourcePartition),
    };
  } catch {
    return null;
  }
}
