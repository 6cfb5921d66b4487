import { readFileSync } from "node:fs";
import { afterEach, expect, test } from "vitest";
import { freePort } from "../../../bench/support/connect-process.ts";
import { missingWorkerFlags, WORKER_V8_FLAGS } from "../../../runtime/cli/worker-v8-flags.ts";
import { killWorkerProcesses, spawnWorkerProcess, stopWorkerProcess, tempDir } from "../../support/worker.ts";

afterEach(() => killWorkerProcesses());

test("every worker flag is missing from a plain command line", () => {
  expect(missingWorkerFlags(["--enable-source-maps"], "")).toEqual([...WORKER_V8_FLAGS]);
});

test("a flag given on the command line or in NODE_OPTIONS, with - or _, wins", () => {
  expect(missingWorkerFlags(["--max_semi_space_size=64"], "--heap-growing-percent=100")).toEqual([]);
  expect(missingWorkerFlags([], "--max-semi-space-size=8 --inspect")).toEqual(["--heap-growing-percent=100"]);
});

test("sluice standalone runs with the worker flags, in the process that was started", async () => {
  const worker = await spawnWorkerProcess(tempDir(), await freePort());
  const commandLine = readFileSync(`/proc/${worker.child.pid}/cmdline`, "utf8").split("\0");
  for (const flag of WORKER_V8_FLAGS) expect(commandLine).toContain(flag);
  expect(commandLine).toContain("standalone");
  await stopWorkerProcess(worker);
  expect(worker.child.exitCode).toBe(0);
});
