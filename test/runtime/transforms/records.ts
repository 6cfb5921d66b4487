import type { ConnectRecord, SinkRecord } from "../../../runtime/api/records.ts";
import { buildTransformChain } from "../../../runtime/transforms/chain.ts";

/** A schemaless record of topic "orders"; `overrides` replace its fields. */
export function record(overrides: Partial<ConnectRecord> = {}): ConnectRecord {
  return { topic: "orders", key: null, value: null, headers: [], ...overrides };
}

/** A record as a sink reads it from Kafka. */
export function sinkRecord(overrides: Partial<SinkRecord> = {}): SinkRecord {
  return { ...record(), kafkaPartition: 2, kafkaOffset: 41n, timestamp: 1_700_000_000_000, ...overrides };
}

/** Applies one transform of class `type`, configured by `config`, through a real chain. */
export function transform(type: string, config: Record<string, string> = {}) {
  const keys = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [`transforms.t.${key}`, value]),
  );
  const chain = buildTransformChain({ transforms: "t", "transforms.t.type": type, ...keys });
  return <R extends ConnectRecord>(input: R): R | null => chain.apply(input);
}
