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

/** Runs a command to completion, throwing with its output when it fails. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** True when `command` is on the PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Installs Debian packages with apt-get when `command` is missing (the stack's machines run as root). */
export function ensureDebianPackage(command: string, packages: string[]): void {
  if (hasCommand(command)) return;
  run("apt-get", ["update", "-q"]);
  run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
  });
  if (!hasCommand(command))
    throw new Error(`installed ${packages.join(", ")} but ${command} is still not on the PATH`);
}

/** Last `lines` lines of a log file, for a failure report. */
export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}
