import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INSTALLED_PLUGINS } from "../../connectors/index.ts";
import type { ConnectorPlugin, InstalledPlugin } from "../../runtime/api/index.ts";
import { type RunningWorker, startStandalone } from "../../runtime/worker/standalone.ts";
import { loadStackEnv } from "../../stack/env.ts";
import { captureSinkPlugin } from "./capture-sink.ts";

export interface TestWorkerOptions {
  /** The worker's data dir; a fresh temp dir by default. Reuse one to restart "the same" worker. */
  dataDir?: string;
  /** Extra worker keys, e.g. `sluice.rest.auth.type`. */
  worker?: Record<string, string>;
  plugins?: ReadonlyArray<InstalledPlugin | ConnectorPlugin>;
}

/** A fresh temp directory for one test. */
export function tempDir(prefix = "sluice-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The worker.json of a test worker against the stack's Kafka, on a free port. */
export function writeWorkerConfig(dataDir: string, extra: Record<string, string> = {}, port = 0): string {
  const path = join(dataDir, "worker.json");
  writeFileSync(
    path,
    JSON.stringify({
      "bootstrap.servers": loadStackEnv().kafkaBootstrap,
      listeners: `http://127.0.0.1:${port}`,
      "sluice.data.dir": dataDir,
      "offset.storage.file.filename": join(dataDir, "offsets.json"),
      "offset.flush.interval.ms": "500",
      "key.converter": "org.apache.kafka.connect.json.JsonConverter",
      "value.converter": "org.apache.kafka.connect.json.JsonConverter",
      "key.converter.schemas.enable": "false",
      "value.converter.schemas.enable": "false",
      "sluice.task.restart.backoff.initial.ms": "200",
      "sluice.task.restart.backoff.max.ms": "1000",
      ...extra,
    }),
  );
  return path;
}

/** Starts an in-process standalone worker with the installed plugins plus the test's capture sink. */
export async function startTestWorker(
  options: TestWorkerOptions = {},
): Promise<RunningWorker & { dataDir: string }> {
  const dataDir = options.dataDir ?? tempDir();
  const workerPath = writeWorkerConfig(dataDir, options.worker);
  const worker = await startStandalone(workerPath, [], {
    plugins: options.plugins ?? [...INSTALLED_PLUGINS, captureSinkPlugin],
  });
  return { ...worker, dataDir };
}

/** Calls the worker's REST API; resolves with the status and the parsed JSON body (or null). */
export async function rest(
  worker: { url: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the API answers and assert on it.
): Promise<{ status: number; body: any }> {
  const response = await fetch(worker.url + path, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A `sluice standalone` child process and its REST URL. */
export interface WorkerProcess {
  child: ChildProcess;
  url: string;
}

const workerProcesses = new Set<ChildProcess>();

/**
 * Starts `sluice standalone` as a child process (so that a test can kill -9 it) with a worker config
 * in `dataDir` (plus `options.worker` keys) and the given connector files; resolves once GET /health
 * answers 200. `killWorkerProcesses()` in an afterEach kills whatever a test left running.
 */
export async function spawnWorkerProcess(
  dataDir: string,
  port: number,
  options: { connectorFiles?: readonly string[]; worker?: Record<string, string> } = {},
): Promise<WorkerProcess> {
  const workerFile = writeWorkerConfig(dataDir, options.worker, port);
  const child = spawn(
    process.execPath,
    ["bin/sluice.js", "standalone", workerFile, ...(options.connectorFiles ?? [])],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  workerProcesses.add(child);
  child.once("exit", () => workerProcesses.delete(child));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => ((await fetch(`${url}/health`).catch(() => null))?.ok ? true : undefined),
    60_000,
    "the worker to be healthy",
  );
  return { child, url };
}

/** Sends `signal` to the worker process and waits for it to exit. */
export async function stopWorkerProcess(
  worker: WorkerProcess,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once("exit", resolve));
  worker.child.kill(signal);
  await exited;
}

/** Kills every worker process still running; for afterEach. */
export function killWorkerProcesses(): void {
  for (const child of workerProcesses) child.kill("SIGKILL");
  workerProcesses.clear();
}
