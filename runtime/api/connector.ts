import type { ConfigDef, ParsedConfig } from "./config.ts";
import { ErrorCode, SluiceError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { SourceOffset, SourcePartition, TopicPartition } from "./records.ts";
import type { SinkTask, SourceTask } from "./task.ts";

/** What the engine offers a running connector. */
export interface ConnectorContext {
  readonly name: string;
  readonly logger: Logger;
  /** Asks the engine to call `taskConfigs` again and restart the tasks, e.g. after the table set changed. */
  requestTaskReconfiguration(): void;
  /** Fails the connector with this error; the supervisor decides whether to restart it. */
  raiseError(error: Error): void;
}

/**
 * A connector: the planner of work. Lifecycle, in order:
 *  1. `validate(config)` may be called any time (also without `start`) to check a config against the
 *     outside world (reachability, privileges, parsable templates); it returns per-field problems.
 *  2. `start(config, context)` once; a throw marks the connector FAILED.
 *  3. `taskConfigs(maxTasks)` returns one config per task (at most maxTasks, at least one).
 *  4. `stop()` once, also after a failed start; it must be idempotent and release everything.
 */
export interface Connector {
  start(config: ParsedConfig, context: ConnectorContext): Promise<void>;
  taskConfigs(maxTasks: number): Array<Record<string, string>>;
  stop(): Promise<void>;
  validate?(config: ParsedConfig, signal: AbortSignal): Promise<Array<{ field: string; message: string }>>;
}

/** A connector whose position lives outside Kafka's consumer group or Sluice's offset store. */
export interface OffsetsAlterable {
  /**
   * Called while the connector is STOPPED, before Sluice stores `offsets` (null: reset). Return true
   * when the connector applied the change to where it keeps its position (e.g. HDFS file names); throw
   * to refuse it with a message that says why.
   */
  alterOffsets(
    config: ParsedConfig,
    offsets: ReadonlyArray<{
      partition: SourcePartition | TopicPartition;
      offset: SourceOffset | bigint | null;
    }>,
  ): Promise<boolean>;
}

/**
 * Scheduled and on-demand jobs a connector runs beside its tasks (the HDFS sink's compaction). A handle
 * works whether or not the connector runs: it reads and enqueues through the job store.
 */
export interface ConnectorJobs {
  /** Enqueues a run now; `path` narrows it where the connector supports that. BAD_REQUEST if refused. */
  trigger(options: { path?: string | null }): Promise<{ jobId: string }>;
  /** Recent runs, newest first, as the REST API shows them. */
  runs(limit?: number): Promise<readonly object[]>;
  /** The schedule (pattern, time zone, next run), or null when there is none. */
  scheduleInfo(): Promise<object | null>;
  /** Removes the schedule, when the connector is deleted. */
  unschedule(): Promise<unknown>;
  /** Releases the handle's connections; idempotent. */
  close(): Promise<void>;
}

/** A plugin: how Sluice finds, documents, validates and instantiates one connector class. */
export interface ConnectorPlugin {
  /** The short name used in `connector.class`, e.g. `mysql-cdc`. */
  readonly name: string;
  /** Other accepted `connector.class` values, e.g. the Java class names users already have. */
  readonly aliases: readonly string[];
  readonly type: "source" | "sink";
  readonly version: string;
  readonly description: string;
  /** The connector's own keys (the engine adds name, connector.class, tasks.max, topics, …). */
  readonly config: ConfigDef;
  createConnector(): Connector & Partial<OffsetsAlterable>;
  createTask(): SourceTask | SinkTask;
  /** A handle on the connector's jobs; absent when the plugin has none. Null when this config runs none. */
  jobs?(connectorName: string, config: ParsedConfig): ConnectorJobs | null;
}

/**
 * A plugin as a worker lists it before its code is imported: enough to list it and to find it by name.
 * A worker imports a plugin's code (and the client libraries it uses) only once a connector needs it.
 */
export interface InstalledPlugin {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: "source" | "sink";
  readonly version: string;
  /** Imports the plugin; it has the same name, aliases, type and version as this listing. */
  load(): Promise<ConnectorPlugin>;
}

/**
 * A connector whose tasks all run with the connector's own config: the consumer group (sinks) or the
 * task id (sources) splits the work between them. A subclass checks the config in `checkConfig` — a
 * throw fails the start — and may add `validate`.
 */
export abstract class ReplicatedTasksConnector implements Connector {
  #config: ParsedConfig | null = null;

  async start(config: ParsedConfig, context: ConnectorContext): Promise<void> {
    this.checkConfig(config, context);
    this.#config = config;
  }

  /** `maxTasks` copies of the connector's config. */
  taskConfigs(maxTasks: number): Array<Record<string, string>> {
    const config = this.#config;
    if (config === null) throw new SluiceError(ErrorCode.INTERNAL, "taskConfigs was called before start");
    return Array.from({ length: maxTasks }, () => ({ ...config.originals }));
  }

  async stop(): Promise<void> {
    this.#config = null;
  }

  protected abstract checkConfig(config: ParsedConfig, context: ConnectorContext): void;
}
