import type { StackEnv } from "../stack/env.ts";
import type { BenchEntry } from "./report.ts";
import type { BenchKafka } from "./support/kafka.ts";

/** What every scenario is given. */
export interface ScenarioContext {
  readonly quick: boolean;
  /** How many times each figure is measured (its median, min and max are reported). */
  readonly runs: number;
  readonly env: StackEnv;
  readonly kafka: BenchKafka;
  /** Node options for the Sluice worker processes a scenario starts (`--profile`: --cpu-prof into results/). */
  readonly workerNodeOptions: readonly string[];
  /** Progress for the terminal. */
  log(message: string): void;
  /** A line for the report's notes: a target met or missed, a system skipped and why. */
  note(message: string): void;
}

/** One benchmark scenario: measures its systems and their ceiling, several runs each. */
export interface Scenario {
  /** Short name used by `--only`, e.g. `kafka-client`. */
  readonly name: string;
  run(context: ScenarioContext): Promise<BenchEntry[]>;
}

/** Records per second over `count` records that took `ms`. */
export function ratePerSecond(count: number, ms: number): number {
  return ms <= 0 ? 0 : (count * 1000) / ms;
}
