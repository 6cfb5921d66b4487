import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { processCpuMicros, sleep, waitFor } from "./process-stats.ts";

const CLI = fileURLToPath(new URL("../../runtime/cli/main.ts", import.meta.url));

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/**
 * A Kafka Connect-style worker in a process of its own — Sluice's `sluice standalone` or Apache Kafka
 * Connect's ConnectStandalone — driven over its REST API (the same paths for both), so that its CPU time
 * and RSS are its own and the benchmark's bookkeeping does not count against it.
 */
export class ConnectProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly #child: ChildProcess;
  readonly #logFile: string;
  #exited = false;

  constructor(options: { url: string; dataDir: string; child: ChildProcess; logFile: string }) {
    this.url = options.url;
    this.dataDir = options.dataDir;
    this.#child = options.child;
    this.#logFile = options.logFile;
    this.#child.once("exit", () => {
      this.#exited = true;
    });
  }

  /** Resolves once the REST API answers `GET probePath` with 2xx; throws if the process exits first. */
  async ready(probePath: string, timeoutMs: number): Promise<this> {
    await waitFor(
      `the REST API at ${this.url}`,
      async () => {
        if (this.#exited) throw new Error(`the process exited; see ${this.#logFile}:\n${this.logTail()}`);
        return (await fetch(`${this.url}${probePath}`)).ok ? true : undefined;
      },
      timeoutMs,
      250,
    );
    return this;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** CPU time (user + system) the worker process has used so far, in microseconds. */
  cpuMicros(): number {
    return processCpuMicros(this.pid);
  }

  /** Calls the REST API; the parsed JSON answer, or an Error naming the status. */
  // biome-ignore lint/suspicious/noExplicitAny: the benchmark reads whatever JSON the API answers
  async rest(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return text === "" ? null : JSON.parse(text);
  }

  /** The connector's task states, e.g. ["RUNNING"], and the first failure trace if any. */
  async taskStates(name: string): Promise<{ states: string[]; trace: string | null }> {
    const status = await this.rest("GET", `/connectors/${name}/status`);
    const tasks = (status.tasks ?? []) as Array<{ state: string; trace?: string }>;
    const connectorTrace = status.connector?.state === "FAILED" ? (status.connector.trace ?? "failed") : null;
    return {
      states: tasks.map((task) => task.state),
      trace: connectorTrace ?? tasks.find((task) => task.state === "FAILED")?.trace ?? null,
    };
  }

  /** Throws with the failure trace when the connector or one of its tasks FAILED. */
  async assertNotFailed(name: string): Promise<void> {
    const { trace } = await this.taskStates(name);
    if (trace !== null)
      throw new Error(`connector ${name} failed: ${trace.split("\n").slice(0, 3).join(" ")}`);
  }

  /** A sink connector's committed Kafka offset (the next to read) of partition 0 of its topic; 0 before a commit. */
  async sinkCommitted(name: string): Promise<number> {
    const { offsets } = (await this.rest("GET", `/connectors/${name}/offsets`)) as {
      offsets: Array<{ offset: { kafka_offset?: number } | null }>;
    };
    return offsets.reduce((sum, entry) => sum + Number(entry.offset?.kafka_offset ?? 0), 0);
  }

  async deleteConnector(name: string): Promise<void> {
    await this.rest("DELETE", `/connectors/${name}`).catch(() => {});
  }

  /** The tail of the process's log, for a failure's message. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.#logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  /** SIGTERM (both drain and exit 0), then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    if (this.#exited) return;
    this.#child.kill("SIGTERM");
    const outcome = await Promise.race([exited.then(() => "exited"), sleep(graceMs).then(() => "timeout")]);
    if (outcome === "timeout") {
      this.#child.kill("SIGKILL");
      await exited;
    }
  }
}

/** Starts `sluice standalone` against `bootstrap` with JSON converters (schemas off) and the extra worker keys. */
export async function startSluiceWorker(
  bootstrap: string,
  extra: Record<string, string> = {},
  nodeOptions: readonly string[] = [],
): Promise<ConnectProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-bench-"));
  const port = await freePort();
  const workerPath = join(dataDir, "worker.json");
  writeFileSync(
    workerPath,
    JSON.stringify({
      "bootstrap.servers": bootstrap,
      listeners: `http://127.0.0.1:${port}`,
      "sluice.data.dir": dataDir,
      "offset.storage.file.filename": join(dataDir, "offsets.json"),
      "offset.flush.interval.ms": "250",
      "key.converter": "org.apache.kafka.connect.json.JsonConverter",
      "value.converter": "org.apache.kafka.connect.json.JsonConverter",
      "key.converter.schemas.enable": "false",
      "value.converter.schemas.enable": "false",
      // e.g. SLUICE_BENCH_WORKER='{"consumer.fetch.max.bytes":"8388608"}' to compare settings.
      ...(JSON.parse(process.env.SLUICE_BENCH_WORKER ?? "{}") as Record<string, string>),
      ...extra,
    }),
  );
  const logFile = join(dataDir, "worker.log");
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, [...nodeOptions, CLI, "standalone", workerPath], {
    cwd: dataDir,
    env: { ...process.env, SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? "WARN" },
    stdio: ["ignore", log, log],
  });
  return new ConnectProcess({ url: `http://127.0.0.1:${port}`, dataDir, child, logFile }).ready(
    "/health",
    60_000,
  );
}
