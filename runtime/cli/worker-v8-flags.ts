/**
 * The V8 heap flags a standalone worker runs with, so that its RSS stays bounded while it drains a
 * backlog (issue 7: ≤ 300 MB). A sink's loop allocates fast and keeps each batch for a few hundred
 * milliseconds, so much of it outlives two scavenges and is promoted; with V8's defaults the young
 * generation grows to 32 MB semi-spaces and the old generation to about four times its live size
 * before a full collection, which more than doubles the worker's RSS for nothing.
 *
 * - `--max-semi-space-size=16` (MB): a young generation half V8's default maximum;
 * - `--heap-growing-percent=100`: a full collection once the old generation doubled what was live after
 *   the last one, instead of growing up to four times.
 *
 * Measured draining 500,000 records with a Redis sink: peak RSS 210–220 MB instead of 380–420 MB, for
 * about 10% more CPU per record (50% growth: under 200 MB for 25–35% more CPU; 200%: about 260 MB).
 *
 * A flag given on the command line or in NODE_OPTIONS, under its name with either `-` or `_`, wins:
 * that is how an operator picks other values.
 */
export const WORKER_V8_FLAGS: readonly string[] = ["--max-semi-space-size=16", "--heap-growing-percent=100"];

/** A flag's name as V8 compares them: without its value, `_` read as `-`. */
function flagName(flag: string): string {
  return flag.split("=")[0]!.replaceAll("_", "-");
}

/** The flags of `WORKER_V8_FLAGS` whose name neither `execArgv` nor `nodeOptions` (NODE_OPTIONS) sets. */
export function missingWorkerFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = new Set(
    [...execArgv, ...nodeOptions.split(/\s+/)].filter((arg) => arg.startsWith("--")).map(flagName),
  );
  return WORKER_V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

/**
 * Makes this process run with `WORKER_V8_FLAGS`: when some are missing, replaces it (same pid, same
 * arguments, environment and open standard streams) with Node started with them, so it never returns
 * then. Returns when none is missing, or where the process cannot be replaced (no `process.execve` on
 * Windows, or the permission model refuses it): the worker then runs with V8's defaults. Call it before
 * anything is opened: only the standard streams survive.
 */
export function relaunchWithWorkerFlags(): void {
  const missing = missingWorkerFlags(process.execArgv, process.env.NODE_OPTIONS ?? "");
  if (missing.length === 0 || typeof process.execve !== "function") return;
  try {
    process.execve(
      process.execPath,
      [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)],
      process.env,
    );
  } catch {
    // Not allowed here: run with V8's defaults rather than not at all.
  }
}
