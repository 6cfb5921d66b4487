import { type Logger as PinoLogger, pino } from "pino";
import type { Logger } from "./api/index.ts";
import type { LoggerLevel, LoggerLevels, LogLevel } from "./rest/loggers.ts";

const TO_PINO: Record<LogLevel, pino.LevelWithSilent> = {
  TRACE: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  ERROR: "error",
  FATAL: "fatal",
  OFF: "silent",
};

/**
 * The worker's logging: JSON lines through pino, one named logger per area (`sluice.worker`,
 * `sluice.rest`, `sluice.connector.<name>`), each with a level that `/admin/loggers` can change at
 * run time. Setting a name sets every logger below it, as log4j namespaces do.
 */
export class Logging implements LoggerLevels {
  readonly root: PinoLogger;
  readonly #named = new Map<string, PinoLogger>();
  readonly #explicit = new Map<string, LoggerLevel>();

  /** The level defaults to `$SLUICE_LOG_LEVEL` (TRACE … OFF), else INFO. */
  constructor(options: { level?: LogLevel; destination?: pino.DestinationStream } = {}) {
    const fromEnv = process.env.SLUICE_LOG_LEVEL?.toUpperCase() as LogLevel | undefined;
    const level = options.level ?? (fromEnv && fromEnv in TO_PINO ? fromEnv : "INFO");
    this.root = pino({ level: TO_PINO[level], base: undefined }, options.destination);
  }

  /** The pino logger named `name`, created on first use with the level of its nearest set ancestor. */
  pino(name: string): PinoLogger {
    let logger = this.#named.get(name);
    if (!logger) {
      logger = this.root.child({ logger: name });
      const inherited = this.#inheritedLevel(name);
      if (inherited) logger.level = TO_PINO[inherited];
      this.#named.set(name, logger);
    }
    return logger;
  }

  /** A plugin-facing Logger for `name`, with `fields` on every line. */
  logger(name: string, fields: Record<string, unknown> = {}): Logger {
    const base = this.pino(name);
    const write =
      (level: "debug" | "info" | "warn" | "error") => (message: string, extra?: Record<string, unknown>) =>
        base[level]({ ...fields, ...extra }, message);
    return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
  }

  #inheritedLevel(name: string): LogLevel | undefined {
    let best: { length: number; level: LogLevel } | undefined;
    for (const [prefix, { level }] of this.#explicit) {
      if ((name === prefix || name.startsWith(`${prefix}.`)) && (!best || prefix.length > best.length))
        best = { length: prefix.length, level };
    }
    return best?.level;
  }

  list(): Record<string, LoggerLevel> {
    return Object.fromEntries(this.#explicit);
  }

  get(name: string): LoggerLevel | undefined {
    const explicit = this.#explicit.get(name);
    if (explicit) return explicit;
    if (!this.#named.has(name) && name !== "root") return undefined;
    const level =
      this.#inheritedLevel(name) ??
      (Object.entries(TO_PINO).find(([, p]) => p === this.root.level)?.[0] as LogLevel);
    return { level, last_modified: null };
  }

  set(name: string, level: LogLevel): string[] {
    this.#explicit.set(name, { level, last_modified: Date.now() });
    if (name === "root") this.root.level = TO_PINO[level];
    const changed: string[] = [];
    for (const [named, logger] of this.#named) {
      if (name === "root" || named === name || named.startsWith(`${name}.`)) {
        logger.level = TO_PINO[this.#inheritedLevel(named) ?? level];
        changed.push(named);
      }
    }
    if (!this.#named.has(name) && name !== "root") changed.push(name);
    return changed.sort();
  }
}
