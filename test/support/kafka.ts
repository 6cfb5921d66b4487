import { Consumer, FetchIsolationLevels, Producer } from "@platformatic/kafka";
import { loadStackEnv } from "../../stack/env.ts";

const bootstrapBrokers = [loadStackEnv().kafkaBootstrap];

export interface ReadRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  offset: bigint;
}

/**
 * Reads `topic` from the beginning until `done(records)` says enough, or `timeoutMs` passes (then
 * resolves with what it has). Uses a throwaway consumer group; reads committed records only unless
 * told `read_uncommitted` (which also shows records of aborted or open transactions).
 */
export async function readTopic(
  topic: string,
  done: (records: ReadRecord[]) => boolean,
  timeoutMs = 30_000,
  options: { isolation?: "read_committed" | "read_uncommitted" } = {},
): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    clientId: "test-reader",
    groupId: `test-reader-${topic}-${Date.now()}-${Math.random()}`,
    bootstrapBrokers,
    isolationLevel:
      options.isolation === "read_uncommitted"
        ? FetchIsolationLevels.READ_UNCOMMITTED
        : FetchIsolationLevels.READ_COMMITTED,
  });
  const records: ReadRecord[] = [];
  const stream = await consumer.consume({
    topics: [topic],
    mode: "earliest",
    autocommit: false,
    maxWaitTime: 200,
  });
  const timer = setTimeout(() => void stream.close(), timeoutMs);
  try {
    for await (const message of stream) {
      const headers: Record<string, string> = {};
      for (const [k, v] of message.headers) headers[k.toString()] = v.toString();
      records.push({
        key: message.key?.length ? message.key.toString() : null,
        value: message.value?.length ? message.value.toString() : null,
        headers,
        offset: message.offset,
      });
      if (done(records)) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.close().catch(() => {});
    await consumer.close(true).catch(() => {});
  }
  return records;
}

/** Produces string records (value null: a tombstone) with acks=all. */
export async function produce(
  topic: string,
  records: Array<{ key: string | null; value: string | null }>,
): Promise<void> {
  const producer = new Producer({ clientId: "test-writer", bootstrapBrokers, autocreateTopics: true });
  try {
    await producer.send({
      acks: -1,
      messages: records.map((r) => ({
        topic,
        ...(r.key === null ? {} : { key: Buffer.from(r.key) }),
        ...(r.value === null ? {} : { value: Buffer.from(r.value) }),
      })),
    });
  } finally {
    await producer.close();
  }
}
