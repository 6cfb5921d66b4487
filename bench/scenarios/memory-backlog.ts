import { compareWithCeiling, type Measured } from "../report.ts";
import type { Scenario, ScenarioContext } from "../scenario.ts";
import { startSluiceWorker } from "../support/connect-process.ts";
import { uniqueName } from "../support/kafka.ts";
import { processRssMb, sampleRss, waitFor } from "../support/process-stats.ts";
import { redisTarget } from "./sink-targets.ts";

/**
 * Memory under backlog: N records pile up in a topic, then a Redis sink (HASH) whose consumer group has
 * committed nothing — as a sink resumed after a long stop — drains it in a fresh worker process, whose
 * RSS is sampled every 100 ms until the sink has committed the whole backlog. Reported: the worker's RSS
 * at start and its peak while draining, against the 300 MB budget (the "ceiling" of this scenario: a
 * ratio below 1 is within it).
 */

const BUDGET_MB = 300;

export const memoryBacklogScenario: Scenario = {
  name: "memory-backlog",
  async run(context: ScenarioContext) {
    const count = context.quick ? 500_000 : 5_000_000;
    const measured: Measured[] = [
      { scenario: "memory-backlog", system: "budget", metric: "peak RSS", unit: "MB", samples: [] },
      {
        scenario: "memory-backlog",
        system: "sluice redis sink",
        metric: "peak RSS",
        unit: "MB",
        samples: [],
      },
      {
        scenario: "memory-backlog",
        system: "sluice redis sink",
        metric: "RSS at start",
        unit: "MB",
        samples: [],
      },
    ];
    const topic = uniqueName("bench-backlog");
    const target = redisTarget(context.env);
    context.log(`memory-backlog: piling ${count} records into ${topic}`);
    await context.kafka.preload(topic, count);
    try {
      for (let run = 1; run <= context.runs; run++) {
        // A new connector name is a new consumer group: it starts at the earliest offset, the whole backlog.
        const name = uniqueName("bench-backlog");
        await target.prepare(topic);
        const worker = await startSluiceWorker(context.env.kafkaBootstrap, {}, context.workerNodeOptions);
        try {
          const before = processRssMb(worker.pid);
          const sampler = sampleRss(worker.pid);
          await worker.rest("PUT", `/connectors/${name}/config`, {
            "connector.class": target.connectorClass,
            "tasks.max": "1",
            topics: topic,
            ...target.connectorConfig(topic, 1_000),
          });
          await waitFor(
            `${name} to drain ${count} records`,
            async () => {
              await worker.assertNotFailed(name);
              return (await worker.sinkCommitted(name)) >= count ? true : undefined;
            },
            Math.max(600_000, count / 2),
            250,
          );
          const peak = sampler.stop();
          (measured[0]!.samples as number[]).push(BUDGET_MB);
          (measured[1]!.samples as number[]).push(peak);
          (measured[2]!.samples as number[]).push(before);
          context.log(
            `memory-backlog run ${run}: RSS ${before.toFixed(0)} MB at start, peak ${peak.toFixed(0)} MB`,
          );
          await worker.deleteConnector(name);
        } finally {
          await worker.stop();
        }
      }
    } finally {
      await target.cleanup(topic).catch(() => {});
      await target.close().catch(() => {});
      await context.kafka.deleteTopics(topic);
    }
    const entries = compareWithCeiling(measured, "budget");
    const peak = entries.find((entry) => entry.metric === "peak RSS" && entry.system !== "budget");
    if (peak !== undefined) {
      context.note(
        `memory-backlog: peak RSS ${peak.max.toFixed(0)} MB over ${context.runs} runs draining ${count.toLocaleString("en-US")} records (target ≤ ${BUDGET_MB} MB: ${peak.max <= BUDGET_MB ? "met" : "missed"}).`,
      );
    }
    return entries;
  },
};
