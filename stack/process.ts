import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceDirs } from "./service.ts";

/**
 * Starts `command` detached from this process, output appended to `dirs.logFile`, and records its pid.
 * Returns once the process is spawned; it keeps running after `stack:up` exits.
 */
export function spawnDetached(
  dirs: ServiceDirs,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  mkdirSync(dirs.logs, { recursive: true });
  const out = openSync(dirs.logFile, "a");
  const child = spawn(command, args, {
    cwd: options.cwd ?? dirs.root,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ["ignore", out, out],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  child.unref();
  writeFileSync(dirs.pidFile, String(child.pid));
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPid(dirs: ServiceDirs): number | undefined {
  if (!existsSync(dirs.pidFile)) return undefined;
  const pid = Number(readFileSync(dirs.pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Sends SIGTERM to the recorded process group, waits up to `graceMs`, then SIGKILLs it. */
export async function stopByPidFile(dirs: ServiceDirs, graceMs = 20_000): Promise<boolean> {
  const pid = readPid(dirs);
  if (pid === undefined || !isAlive(pid)) {
    rmSync(dirs.pidFile, { force: true });
    return false;
  }
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  signalGroup("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signalGroup("SIGKILL");
  rmSync(dirs.pidFile, { force: true });
  return true;
}

/**
 * Runs a command to completion without blocking the event loop (other services' probes keep running
 * meanwhile); rejects with its output when it fails.
 */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${output.slice(-4000)}`));
    });
  });
}

/** True when `command` is on the PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

let aptQueue: Promise<unknown> = Promise.resolve();

/**
 * Installs Debian packages with apt-get when `command` is missing (the stack's machines run as root).
 * Installs run one at a time: dpkg takes a lock.
 */
export function ensureDebianPackage(command: string, packages: string[]): Promise<void> {
  const install = async () => {
    if (hasCommand(command)) return;
    await run("apt-get", ["update", "-q"]);
    await run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], {
      env: { DEBIAN_FRONTEND: "noninteractive" },
    });
    if (!hasCommand(command))
      throw new Error(`installed ${packages.join(", ")} but ${command} is still not on the PATH`);
  };
  const next = aptQueue.then(install, install);
  aptQueue = next.catch(() => {});
  return next;
}

/** Last `lines` lines of a log file, for a failure report. */
export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}
