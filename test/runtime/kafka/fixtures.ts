import { randomUUID } from "node:crypto";
import { KafkaAdmin } from "../../../runtime/kafka/admin.ts";
import type { KafkaSinkConsumer } from "../../../runtime/kafka/consumer.ts";
import { ClientSettings } from "../../../runtime/kafka/settings.ts";
import type { ProduceRecord, RawRecord } from "../../../runtime/kafka/types.ts";
import { loadStackEnv } from "../../../stack/env.ts";

export const bootstrapServers = [loadStackEnv().kafkaBootstrap];

/** A topic name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Consumer settings that make group joins and rebalances take well under a second. */
export function fastConsumerSettings(extra: Record<string, string | number> = {}): ClientSettings {
  return ClientSettings.of({
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 200,
    "max.poll.interval.ms": 10_000,
    "fetch.max.wait.ms": 100,
    ...extra,
  });
}

/** Creates a topic named `prefix-<random>` (or `prefix` itself) with `partitions` partitions. */
export async function createTopic(
  prefix: string,
  partitions = 1,
  options: { exactName?: boolean } = {},
): Promise<string> {
  const topic = options.exactName ? prefix : uniqueName(prefix);
  const admin = new KafkaAdmin({ bootstrapServers });
  try {
    await admin.createTopics([{ name: topic, partitions }]);
  } finally {
    await admin.close();
  }
  return topic;
}

export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString("utf8");
}

/** `count` records with keys `k<i>` and values `v<i>` (from `start`) to one partition of `topic`. */
export function records(
  topic: string,
  count: number,
  options: { partition?: number; start?: number } = {},
): ProduceRecord[] {
  const start = options.start ?? 0;
  return Array.from({ length: count }, (_, i) => ({
    topic,
    ...(options.partition === undefined ? {} : { partition: options.partition }),
    key: Buffer.from(`k${start + i}`),
    value: Buffer.from(`v${start + i}`),
    headers: [],
  }));
}

/** Polls until `count` records arrived (or `timeoutMs` passed) and returns them in arrival order. */
export async function pollRecords(
  consumer: KafkaSinkConsumer,
  count: number,
  timeoutMs = 20_000,
): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  const signal = AbortSignal.timeout(timeoutMs);
  while (out.length < count && Date.now() < deadline) {
    out.push(...(await consumer.poll(count - out.length, signal, 500)));
  }
  return out;
}
