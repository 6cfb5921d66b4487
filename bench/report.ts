import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * One figure of a benchmark run, as the JSON report lists it: the median of `runs` measurements with
 * their min and max, and the ceiling measured in the same run. `ratio` is median / ceiling whatever the
 * unit, so for a rate (records/s) above 1 is better than the ceiling and for a cost (CPU-µs per record,
 * ms, MB) below 1 is. A ceiling entry is its own ceiling (ratio 1); null where there is no ceiling.
 */
export interface BenchEntry {
  scenario: string;
  system: string;
  metric: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number;
  ceiling: number | null;
  ratio: number | null;
}

/** A figure's measurements before they are summarised. */
export interface Measured {
  scenario: string;
  system: string;
  metric: string;
  unit: string;
  samples: readonly number[];
}

/** What a report says about the run as a whole. */
export interface ReportMeta {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  host: { cpus: number; node: string; loadAverage: readonly number[] };
  /** Targets and how each figure compares, and what was skipped and why. */
  notes: readonly string[];
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error("median of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Summarises measurements into an entry. `ceiling` is the median of the ceiling's samples (the same
 * metric measured on the ceiling system), or null when the figure has none.
 */
export function toEntry(measured: Measured, ceiling: number | null): BenchEntry {
  const { samples } = measured;
  const mid = median(samples);
  return {
    scenario: measured.scenario,
    system: measured.system,
    metric: measured.metric,
    unit: measured.unit,
    median: mid,
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs: samples.length,
    ceiling,
    ratio: ceiling === null || ceiling === 0 ? null : mid / ceiling,
  };
}

/**
 * Entries for a scenario's figures: every figure of a metric is compared with the one whose system is
 * `ceilingSystem` (which becomes its own ceiling, ratio 1). A metric without a ceiling figure gets null.
 */
export function compareWithCeiling(measured: readonly Measured[], ceilingSystem: string): BenchEntry[] {
  return measured.map((figure) => {
    const ceiling = measured.find(
      (other) =>
        other.system === ceilingSystem &&
        other.metric === figure.metric &&
        other.scenario === figure.scenario,
    );
    return toEntry(figure, ceiling === undefined ? null : median(ceiling.samples));
  });
}

function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const COLUMNS = ["scenario", "system", "metric", "median", "min–max", "runs", "ceiling", "ratio"] as const;

function rows(entries: readonly BenchEntry[]): string[][] {
  return entries.map((entry) => [
    entry.scenario,
    entry.system,
    `${entry.metric} (${entry.unit})`,
    formatNumber(entry.median),
    `${formatNumber(entry.min)}–${formatNumber(entry.max)}`,
    String(entry.runs),
    entry.ceiling === null ? "—" : formatNumber(entry.ceiling),
    entry.ratio === null ? "—" : `${entry.ratio.toFixed(2)}×`,
  ]);
}

/** The entries as a plain-text table for the terminal. */
export function renderTable(entries: readonly BenchEntry[]): string {
  const table = [[...COLUMNS], ...rows(entries)];
  const widths = COLUMNS.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  const numeric = new Set([3, 4, 5, 6, 7]);
  return table
    .map((row) =>
      row
        .map((cell, column) =>
          numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The report as Markdown: the run's conditions, the table and the notes. */
export function renderMarkdown(entries: readonly BenchEntry[], meta: ReportMeta): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [
    `# Sluice benchmark${meta.quick ? " (quick)" : ""}`,
    "",
    `Started ${meta.startedAt}, finished ${meta.finishedAt}; ${meta.host.cpus} CPUs, Node ${meta.host.node}, load average at start ${meta.host.loadAverage.map((n) => n.toFixed(2)).join(" ")}.`,
    "Each figure is the median of its runs (min–max beside it); ratio = median / ceiling measured in the same run, so above 1 is better for a rate and below 1 is better for a cost.",
    "",
    line(COLUMNS),
    line(COLUMNS.map(() => "---")),
    ...rows(entries).map(line),
    "",
    ...(meta.notes.length > 0 ? ["## Notes", "", ...meta.notes.map((note) => `- ${note}`), ""] : []),
  ].join("\n");
}

/**
 * Writes `<stamp>.json` (the list of entries, to compare across commits) and `<stamp>.md` (with the
 * run's conditions and notes) into `dir`, and copies both to `latest.json` / `latest.md`.
 */
export function writeReports(
  dir: string,
  entries: readonly BenchEntry[],
  meta: ReportMeta,
): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = meta.startedAt.replace(/[:.]/g, "-");
  const json = join(dir, `${stamp}${meta.quick ? "-quick" : ""}.json`);
  const markdown = join(dir, `${stamp}${meta.quick ? "-quick" : ""}.md`);
  const jsonText = `${JSON.stringify(entries, null, 2)}\n`;
  const markdownText = renderMarkdown(entries, meta);
  writeFileSync(json, jsonText);
  writeFileSync(markdown, markdownText);
  writeFileSync(join(dir, "latest.json"), jsonText);
  writeFileSync(join(dir, "latest.md"), markdownText);
  return { json, markdown };
}
