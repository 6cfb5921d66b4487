/**
 * The worker's named loggers as `/admin/loggers` shows and changes them. Levels are spelled as Kafka
 * Connect (log4j) spells them; the implementation maps them onto its own logger (OFF: silent).
 */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerLevel {
  level: LogLevel;
  /** Milliseconds since the epoch of the last change through this API; null when never changed. */
  last_modified?: number | null;
}

export interface LoggerLevels {
  /** Every logger whose level was set explicitly, by name. */
  list(): Record<string, LoggerLevel>;
  /** The logger's level (its effective level when not set explicitly); undefined for an unknown name. */
  get(name: string): LoggerLevel | undefined;
  /**
   * Sets the level of `name` and of every logger below it (`name` is a dotted namespace prefix).
   * Returns the names of the loggers whose level was changed.
   */
  set(name: string, level: LogLevel): string[];
}

/** The level for a name given in any case, or undefined when it is not a level. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.toUpperCase();
  return LOG_LEVELS.find((level) => level === upper);
}
