import { randomBytes } from "node:crypto";
import { Producer } from "@platformatic/kafka";
import { KafkaAdmin } from "../../runtime/kafka/index.ts";
import { recordOf } from "./documents.ts";

/** A topic name no other run uses, e.g. `bench-sink-3fa9c1d2`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** Topic administration and log-end offsets for the benchmarks, through Sluice's own admin client. */
export class BenchKafka {
  readonly bootstrap: string;
  readonly admin: KafkaAdmin;

  constructor(bootstrap: string) {
    this.bootstrap = bootstrap;
    this.admin = new KafkaAdmin({ bootstrapServers: [bootstrap], clientId: "sluice-bench-admin" });
  }

  async createTopic(name: string, partitions = 1): Promise<void> {
    await this.admin.createTopics([{ name, partitions }]);
  }

  async deleteTopics(...names: string[]): Promise<void> {
    await this.admin.deleteTopics(names).catch(() => {});
  }

  /** Records in the topic (sum of its partitions' log-end offsets; topics here start at 0); 0 when it does not exist. */
  async recordCount(topic: string): Promise<number> {
    try {
      const offsets = await this.admin.listOffsets(topic, "latest");
      return offsets.reduce((sum, entry) => sum + Number(entry.offset), 0);
    } catch {
      return 0;
    }
  }

  /** Writes documents 0..count-1 into a new topic of one partition as fast as the raw client goes. */
  async preload(topic: string, count: number): Promise<void> {
    await this.createTopic(topic);
    const producer = new Producer({
      clientId: "sluice-bench-preload",
      bootstrapBrokers: [this.bootstrap],
      autocreateTopics: false,
    });
    try {
      const batch = 2_000;
      const inFlight: Promise<unknown>[] = [];
      for (let start = 0; start < count; start += batch) {
        const messages = [];
        for (let i = start; i < Math.min(count, start + batch); i++)
          messages.push({ topic, partition: 0, ...recordOf(i) });
        inFlight.push(producer.send({ messages, acks: 1 }));
        if (inFlight.length >= 4) await inFlight.shift();
      }
      await Promise.all(inFlight);
    } finally {
      await producer.close();
    }
    const written = await this.recordCount(topic);
    if (written !== count) throw new Error(`preloading ${topic}: ${written} records instead of ${count}`);
  }

  close(): Promise<void> {
    return this.admin.close();
  }
}
