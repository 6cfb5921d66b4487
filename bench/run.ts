import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadStackEnv } from "../stack/env.ts";
import { type BenchEntry, renderTable, writeReports } from "./report.ts";
import type { Scenario } from "./scenario.ts";
import { kafkaClientScenario } from "./scenarios/kafka-client.ts";
import { latencyScenario } from "./scenarios/latency.ts";
import { memoryBacklogScenario } from "./scenarios/memory-backlog.ts";
import { sinkDrainScenario } from "./scenarios/sink-drain.ts";
import { sourceCatchupScenario } from "./scenarios/source-catchup.ts";
import { BenchKafka } from "./support/kafka.ts";

/**
 * `npm run bench [-- --quick] [--only a,b] [--runs n]`: runs the scenarios in order against the local
 * stack (npm run stack:up first), writes bench/results/<time>.json and .md, and prints the summary.
 * `--profile` runs the Sluice worker processes with --cpu-prof (profiles in bench/results/profiles/).
 * A scenario that fails is reported in the notes and the others still run.
 *
 * Scenarios, in order: kafka-client, sink-drain, source-catchup, latency, memory-backlog (each file's
 * comment says what it measures and against which ceiling). To narrow a run while investigating:
 * SLUICE_BENCH_SINKS=redis,hdfs (sink-drain), SLUICE_BENCH_CDC_SYSTEMS=sluice|debezium (source-catchup),
 * SLUICE_BENCH_WORKER='{"consumer.fetch.max.bytes":"8388608"}' (extra worker keys for Sluice workers).
 */

const SCENARIOS: readonly Scenario[] = [
  kafkaClientScenario,
  sinkDrainScenario,
  sourceCatchupScenario,
  latencyScenario,
  memoryBacklogScenario,
];

const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      runs: { type: "string" },
      profile: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      `usage: npm run bench -- [--quick] [--only ${SCENARIOS.map((s) => s.name).join(",")}] [--runs n] [--profile]`,
    );
    return 0;
  }
  const only = values.only?.split(",").map((name) => name.trim());
  const unknown = only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(
      `unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
    return 2;
  }
  const quick = values.quick ?? false;
  const runs = values.runs === undefined ? 3 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error("--runs must be a whole number of at least 1");
    return 2;
  }
  const env = loadStackEnv();
  const workerNodeOptions = values.profile
    ? ["--cpu-prof", `--cpu-prof-dir=${join(RESULTS_DIR, "profiles")}`]
    : [];
  const kafka = new BenchKafka(env.kafkaBootstrap);
  const notes: string[] = [
    "Measured on a shared machine while other work ran; expect noise, and read min–max before the median.",
  ];
  const startedAt = new Date().toISOString();
  const loadAverage = loadavg();
  const entries: BenchEntry[] = [];
  const began = performance.now();
  const log = (message: string) =>
    console.log(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  try {
    for (const scenario of SCENARIOS) {
      if (only !== undefined && !only.includes(scenario.name)) continue;
      log(`scenario ${scenario.name}${quick ? " (quick)" : ""}`);
      try {
        entries.push(
          ...(await scenario.run({
            quick,
            runs,
            env,
            kafka,
            workerNodeOptions,
            log,
            note: (note) => notes.push(note),
          })),
        );
      } catch (error) {
        const message = `${scenario.name} failed: ${(error as Error).stack ?? String(error)}`;
        log(message);
        notes.push(`${scenario.name} failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await kafka.close();
  }
  const paths = writeReports(RESULTS_DIR, entries, {
    startedAt,
    finishedAt: new Date().toISOString(),
    quick,
    host: { cpus: cpus().length, node: process.version, loadAverage },
    notes,
  });
  console.log(`\n${renderTable(entries)}\n`);
  for (const note of notes) console.log(`- ${note}`);
  console.log(`\nreports: ${paths.json}\n         ${paths.markdown}`);
  return 0;
}

process.exitCode = await main();
