/** The plugin contract: everything a connector may import from Sluice. */
export * from "./config.ts";
export * from "./connector.ts";
export * from "./errors.ts";
export * from "./json.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./records.ts";
export * from "./task.ts";
