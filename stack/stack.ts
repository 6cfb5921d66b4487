import { mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadStackEnv, type StackEnv } from "./env.ts";
import { isAlive, readPid, stopByPidFile, tail } from "./process.ts";
import type { ServiceDirs, StackService } from "./service.ts";
import { SERVICES } from "./services/index.ts";

/** `.stack/` at the project root, or `$SLUICE_STACK_DIR`. */
export const STACK_DIR = resolve(
  process.env.SLUICE_STACK_DIR ?? fileURLToPath(new URL("../.stack/", import.meta.url)),
);

export function serviceDirs(name: string): ServiceDirs {
  const root = join(STACK_DIR, name);
  const dirs: ServiceDirs = {
    root,
    data: join(root, "data"),
    logs: join(root, "logs"),
    lib: join(root, "lib"),
    logFile: join(root, "logs", `${name}.log`),
    pidFile: join(root, `${name}.pid`),
  };
  mkdirSync(dirs.data, { recursive: true });
  mkdirSync(dirs.logs, { recursive: true });
  return dirs;
}

/**
 * The services this run manages: all of them, or those named in `$SLUICE_STACK_ONLY`
 * (comma-separated), e.g. `SLUICE_STACK_ONLY=kafka,redis` while working on one part.
 */
export function selectedServices(env: NodeJS.ProcessEnv = process.env): readonly StackService[] {
  const only = env.SLUICE_STACK_ONLY?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (!only || only.length === 0) return SERVICES;
  const unknown = only.filter((name) => !SERVICES.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `SLUICE_STACK_ONLY names unknown services: ${unknown.join(", ")} (known: ${SERVICES.map((s) => s.name).join(", ")})`,
    );
  }
  return SERVICES.filter((s) => only.includes(s.name));
}

export interface ServiceReport {
  name: string;
  address: string;
  state: "reused" | "started" | "up" | "down" | "failed";
  ms: number;
  error?: string;
}

async function probeOnce(
  service: StackService,
  env: StackEnv,
  timeoutMs: number,
): Promise<Error | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await Promise.race([
      service.probe(env, signal),
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(new Error("probe timed out"))),
      ),
    ]);
    return undefined;
  } catch (error) {
    return error instanceof Error && error.message
      ? error
      : new Error(String((error as Error)?.message || error));
  }
}

/** Brings one service up (or reuses it when it already answers) and waits until its probe passes. */
export async function upService(service: StackService, env: StackEnv): Promise<ServiceReport> {
  const began = Date.now();
  const address = service.address(env);
  if ((await probeOnce(service, env, 5_000)) === undefined) {
    return { name: service.name, address, state: "reused", ms: Date.now() - began };
  }
  const dirs = serviceDirs(service.name);
  try {
    const pid = readPid(dirs);
    if (pid === undefined || !isAlive(pid)) {
      await service.prepare(env, dirs);
      await service.start(env, dirs);
    }
    // Preparing may take minutes on a fresh machine (packages, jars); the start-up budget begins now.
    const started = Date.now();
    let lastError: Error | undefined;
    while (Date.now() - started < service.startTimeoutMs) {
      lastError = await probeOnce(service, env, 10_000);
      if (lastError === undefined)
        return { name: service.name, address, state: "started", ms: Date.now() - began };
      const current = readPid(dirs);
      if (current !== undefined && !isAlive(current)) {
        throw new Error(`the process exited during start-up (last probe: ${lastError.message})`);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    throw new Error(`not ready after ${service.startTimeoutMs} ms (last probe: ${lastError?.message})`);
  } catch (error) {
    const message = `${(error as Error).message}\n--- last lines of ${dirs.logFile} ---\n${tail(dirs.logFile)}\n---\nretry with: npm run stack:down && npm run stack:up`;
    return { name: service.name, address, state: "failed", ms: Date.now() - began, error: message };
  }
}

/**
 * Runs `work` while holding `.stack/up.lock`, so that two `stack:up` runs (a test run and a shell,
 * say) never both start the same service. A lock older than 15 minutes is taken as left by a crash.
 */
async function withUpLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(STACK_DIR, "up.lock");
  mkdirSync(STACK_DIR, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 15 * 60_000)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Starts every service (in parallel), waiting for each to answer a real request. */
export async function stackUp(
  env: StackEnv = loadStackEnv(),
  onReport: (report: ServiceReport) => void = () => {},
): Promise<ServiceReport[]> {
  return withUpLock(() =>
    Promise.all(
      selectedServices().map(async (service) => {
        const report = await upService(service, env);
        onReport(report);
        return report;
      }),
    ),
  );
}

export async function stackStatus(env: StackEnv = loadStackEnv()): Promise<ServiceReport[]> {
  return Promise.all(
    selectedServices().map(async (service) => {
      const began = Date.now();
      const error = await probeOnce(service, env, 5_000);
      return {
        name: service.name,
        address: service.address(env),
        state: error === undefined ? "up" : "down",
        ms: Date.now() - began,
        ...(error === undefined ? {} : { error: error.message }),
      } satisfies ServiceReport;
    }),
  );
}

/** Stops the services this stack started (those with a pid file under `.stack/`); others are left alone. */
export async function stackDown(
  env: StackEnv = loadStackEnv(),
): Promise<Array<{ name: string; stopped: boolean }>> {
  return Promise.all(
    [...selectedServices()].reverse().map(async (service) => {
      const dirs = serviceDirs(service.name);
      if (service.stop) {
        await service.stop(env, dirs);
      }
      return { name: service.name, stopped: await stopByPidFile(dirs) };
    }),
  );
}
