// Invariant: the Kafka client ceiling scenario runs end to end in its --quick form against the stack's
// broker and yields produce and consume figures for each client, compared with the raw library. The
// numbers themselves are never asserted: this proves the benchmark works, not how fast anything is.
import { expect, test } from "vitest";
import { kafkaClientScenario } from "../../bench/scenarios/kafka-client.ts";
import { BenchKafka } from "../../bench/support/kafka.ts";
import { loadStackEnv } from "../../stack/env.ts";

test("--quick of the kafka-client scenario measures every client against the raw library", async () => {
  const env = loadStackEnv();
  const kafka = new BenchKafka(env.kafkaBootstrap);
  const notes: string[] = [];
  try {
    const entries = await kafkaClientScenario.run({
      quick: true,
      runs: 1,
      env,
      kafka,
      workerNodeOptions: [],
      log: () => {},
      note: (note) => notes.push(note),
    });
    const systems = new Set(entries.map((entry) => entry.system));
    expect(systems).toEqual(new Set(["@platformatic/kafka (raw)", "sluice runtime/kafka", "kafkajs"]));
    for (const entry of entries) {
      expect(entry.runs).toBe(1);
      expect(entry.median).toBeGreaterThan(0);
      expect(entry.ceiling).not.toBeNull();
    }
    expect(entries.filter((entry) => entry.metric === "produce")).toHaveLength(3);
    expect(entries.filter((entry) => entry.metric === "consume")).toHaveLength(3);
  } finally {
    await kafka.close();
  }
}, 60_000);
