import type { StackEnv } from "./env.ts";

/** Where one service keeps its files: `.stack/<name>/{data,logs,lib}`. */
export interface ServiceDirs {
  root: string;
  data: string;
  logs: string;
  /** Jars resolved by Maven, for the JVM services. */
  lib: string;
  /** The file the service's main process writes to; its tail is shown when start-up fails. */
  logFile: string;
  pidFile: string;
}

/**
 * One real service of the local stack.
 *
 * Contract for `stack:up`: `probe` is called first; when it resolves, the running service is reused.
 * Otherwise `prepare` (install packages or jars, initialise data dirs; idempotent) then `start`
 * (spawn in the background, return at once) are called, and `probe` is retried until it resolves
 * or `startTimeoutMs` passes. `probe` must make a real request that proves the service works —
 * a produce/fetch round trip, a query, a file written and read — and throw when it does not.
 */
export interface StackService {
  readonly name: string;
  /** Longest time start-up may take before `stack:up` gives up on this service. */
  readonly startTimeoutMs: number;
  /** The address users connect to, as printed by `stack:up` and `stack:status`. */
  address(env: StackEnv): string;
  probe(env: StackEnv, signal: AbortSignal): Promise<void>;
  prepare(env: StackEnv, dirs: ServiceDirs): Promise<void>;
  start(env: StackEnv, dirs: ServiceDirs): Promise<void>;
  /** Stops the service; when absent, the pid file's process gets SIGTERM, then SIGKILL. */
  stop?(env: StackEnv, dirs: ServiceDirs): Promise<void>;
}
