import type { StackEnv } from "../../stack/env.ts";
import { compareWithCeiling, type Measured } from "../report.ts";
import { ratePerSecond, type Scenario, type ScenarioContext } from "../scenario.ts";
import { type ConnectProcess, startSluiceWorker } from "../support/connect-process.ts";
import { uniqueName } from "../support/kafka.ts";
import { ownCpuMicros, waitFor } from "../support/process-stats.ts";
import { hdfsTarget, neo4jTarget, openSearchTarget, redisTarget, type SinkTarget } from "./sink-targets.ts";

/**
 * Sink drain: a topic of one partition is preloaded with N records of about 200 bytes of JSON; then each
 * Sluice sink (in a standalone worker process of its own, JSON converter with schemas off) drains it into
 * its store, and the ceiling writes the same documents with the same client library directly. Both use
 * the same batch size (the sink's batch setting and its consumer's max.poll.records); the HDFS sink
 * commits a file per flush.size records and its ceiling writes files of that many.
 *
 * Before the measured runs, each target is warmed up by one uncounted round of both on a tenth of the
 * records (the worker loads the connector and the JIT compiles it; the store's JVM warms up too), and
 * the runs alternate which of the two goes first, so that neither gains from a store the other warmed.
 *
 * A Sluice run is timed from the first committed offset to the commit of the last record, so that the
 * group join and the connector's start-up are not counted (offsets are committed every 250 ms and
 * polled every 100 ms). Its CPU is the worker process's over the whole run, start-up included; the
 * ceiling's is this process's. After each run the store is checked to hold N documents.
 */

const BATCH_SIZE = 1_000;
const HDFS_FLUSH_SIZE = 10_000;

interface TargetSpec {
  readonly short: string;
  readonly plugin: string;
  readonly ceilingSystem: string;
  readonly batchSize: number;
  readonly create: (env: StackEnv) => SinkTarget;
}

const TARGETS: readonly TargetSpec[] = [
  {
    short: "opensearch",
    plugin: "elasticsearch",
    ceilingSystem: "ceiling: @elastic/elasticsearch bulk",
    batchSize: BATCH_SIZE,
    create: openSearchTarget,
  },
  {
    short: "redis",
    plugin: "redis",
    ceilingSystem: "ceiling: ioredis pipeline",
    batchSize: BATCH_SIZE,
    create: redisTarget,
  },
  {
    short: "neo4j",
    plugin: "neo4j",
    ceilingSystem: "ceiling: neo4j-driver UNWIND/MERGE",
    batchSize: BATCH_SIZE,
    create: neo4jTarget,
  },
  {
    short: "hdfs",
    plugin: "hdfs",
    ceilingSystem: "ceiling: WebHDFS CREATE",
    batchSize: HDFS_FLUSH_SIZE,
    create: hdfsTarget,
  },
];

interface Drained {
  recordsPerSecond: number;
  cpuMicrosPerRecord: number;
}

/** Runs one Sluice sink over the whole topic; resolves once it committed every record. */
async function drainWithSluice(
  worker: ConnectProcess,
  target: SinkTarget,
  spec: TargetSpec,
  topic: string,
  count: number,
): Promise<Drained> {
  const name = uniqueName(`bench-${spec.short}`);
  const cpuBefore = worker.cpuMicros();
  await worker.rest("PUT", `/connectors/${name}/config`, {
    "connector.class": target.connectorClass,
    "tasks.max": "1",
    topics: topic,
    "consumer.override.max.poll.records": String(Math.min(spec.batchSize, 10_000)),
    ...target.connectorConfig(topic, spec.batchSize),
  });
  try {
    let first: { at: number; committed: number } | null = null;
    const finishedAt = await waitFor(
      `${name} to commit ${count} records`,
      async () => {
        const committed = await worker.sinkCommitted(name);
        const now = performance.now();
        if (committed > 0 && first === null) first = { at: now, committed };
        if (committed >= count) return now;
        await worker.assertNotFailed(name);
        return undefined;
      },
      Math.max(300_000, count),
      100,
    );
    const start = first as { at: number; committed: number } | null;
    const drainedRecords = count - (start?.committed ?? 0);
    return {
      recordsPerSecond: ratePerSecond(drainedRecords, finishedAt - (start?.at ?? finishedAt)),
      cpuMicrosPerRecord: (worker.cpuMicros() - cpuBefore) / count,
    };
  } finally {
    await worker.deleteConnector(name);
  }
}

async function drainWithCeiling(target: SinkTarget, topic: string, count: number, batchSize: number) {
  const cpuBefore = ownCpuMicros();
  const began = performance.now();
  await target.ceiling(topic, count, batchSize);
  return {
    recordsPerSecond: ratePerSecond(count, performance.now() - began),
    cpuMicrosPerRecord: (ownCpuMicros() - cpuBefore) / count,
  };
}

async function checkCount(
  context: ScenarioContext,
  target: SinkTarget,
  topic: string,
  count: number,
  who: string,
) {
  const held = await target.count(topic);
  if (held !== count) context.note(`${who} left ${held} documents instead of ${count}.`);
}

export const sinkDrainScenario: Scenario = {
  name: "sink-drain",
  async run(context: ScenarioContext) {
    const count = context.quick ? 100_000 : 1_000_000;
    const topic = uniqueName("bench-sink");
    const warmUpTopic = uniqueName("bench-sink-warm-up");
    const warmUpCount = count / 10;
    context.log(`sink-drain: preloading ${count} records into ${topic}`);
    const loadStarted = performance.now();
    await context.kafka.preload(topic, count);
    await context.kafka.preload(warmUpTopic, warmUpCount);
    context.log(`sink-drain: preloaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
    const worker = await startSluiceWorker(context.env.kafkaBootstrap, {}, context.workerNodeOptions);
    const entries = [];
    try {
      const plugins = ((await worker.rest("GET", "/connector-plugins")) as Array<{ class: string }>).map(
        (plugin) => plugin.class,
      );
      const wanted = process.env.SLUICE_BENCH_SINKS?.split(",") ?? TARGETS.map((spec) => spec.short);
      for (const spec of TARGETS.filter((target) => wanted.includes(target.short))) {
        if (!plugins.some((plugin) => plugin === spec.plugin || plugin.toLowerCase().includes(spec.plugin))) {
          context.note(`sink-drain: ${spec.short} skipped: the ${spec.plugin} connector is not registered.`);
          continue;
        }
        const target = spec.create(context.env);
        const measured: Measured[] = [];
        const figure = (system: string, metric: string, unit: string): Measured => {
          const found = measured.find((m) => m.system === system && m.metric === metric);
          if (found) return found;
          const created = { scenario: `sink-drain ${spec.short}`, system, metric, unit, samples: [] };
          measured.push(created);
          return created;
        };
        const record = (system: string, drained: Drained) => {
          (figure(system, "drain", "records/s").samples as number[]).push(drained.recordsPerSecond);
          (figure(system, "CPU", "µs/record").samples as number[]).push(drained.cpuMicrosPerRecord);
        };
        const sluiceRun = async (runTopic: string, runCount: number) => {
          await target.prepare(runTopic);
          const drained = await drainWithSluice(worker, target, spec, runTopic, runCount);
          await checkCount(context, target, runTopic, runCount, `sluice ${spec.short} on ${runTopic}`);
          return drained;
        };
        const ceilingRun = async (runTopic: string, runCount: number) => {
          await target.prepare(runTopic);
          return drainWithCeiling(target, runTopic, runCount, spec.batchSize);
        };
        try {
          context.log(`sink-drain ${spec.short}: warming up on ${warmUpCount} records`);
          await sluiceRun(warmUpTopic, warmUpCount);
          await ceilingRun(warmUpTopic, warmUpCount);
          await target.cleanup(warmUpTopic);
          for (let run = 1; run <= context.runs; run++) {
            let sluice: Drained;
            let ceiling: Drained;
            if (run % 2 === 1) {
              sluice = await sluiceRun(topic, count);
              ceiling = await ceilingRun(topic, count);
            } else {
              ceiling = await ceilingRun(topic, count);
              sluice = await sluiceRun(topic, count);
            }
            record(target.system, sluice);
            record(spec.ceilingSystem, ceiling);
            context.log(
              `sink-drain ${spec.short} run ${run}: sluice ${Math.round(sluice.recordsPerSecond)}/s (${sluice.cpuMicrosPerRecord.toFixed(1)} µs/rec), ceiling ${Math.round(ceiling.recordsPerSecond)}/s (${ceiling.cpuMicrosPerRecord.toFixed(1)} µs/rec)`,
            );
          }
          const compared = compareWithCeiling(measured, spec.ceilingSystem);
          entries.push(...compared);
          const drain = compared.find((entry) => entry.system === target.system && entry.metric === "drain");
          if (drain?.ratio != null) {
            context.note(
              `sink-drain ${spec.short}: ${drain.ratio.toFixed(2)}× its direct ceiling (target ≥ 0.8×: ${drain.ratio >= 0.8 ? "met" : "missed"}).`,
            );
          }
        } catch (error) {
          context.log(`sink-drain ${spec.short} failed: ${(error as Error).stack}\n${worker.logTail()}`);
          context.note(`sink-drain ${spec.short} failed: ${(error as Error).message.split("\n")[0]}`);
        } finally {
          await target.cleanup(topic).catch(() => {});
          await target.close().catch(() => {});
        }
      }
    } finally {
      await worker.stop();
      await context.kafka.deleteTopics(topic, warmUpTopic);
    }
    context.note(
      `sink-drain: ${count.toLocaleString("en-US")} records of about 200 bytes, one partition, batches of ${BATCH_SIZE} (HDFS files of ${HDFS_FLUSH_SIZE}); ceilings write one batch at a time; one uncounted warm-up round of ${warmUpCount.toLocaleString("en-US")} records per target, then runs alternating which goes first.`,
    );
    return entries;
  },
};
