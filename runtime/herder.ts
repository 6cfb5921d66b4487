import type { ConfigValueReport } from "./api/index.ts";

/**
 * The one facade the REST API and the CLI talk to, as Kafka Connect's Herder. Every method answers
 * in Kafka Connect's REST shapes so that the REST layer stays a thin translation. Failures are
 * SluiceErrors (CONNECTOR_NOT_FOUND, CONNECTOR_EXISTS, CONFIG_INVALID, STATE_CONFLICT, …), mapped to
 * HTTP statuses in one place by the REST layer.
 */

export type TargetState = "STARTED" | "PAUSED" | "STOPPED";
export type RunState = "UNASSIGNED" | "RUNNING" | "PAUSED" | "FAILED" | "RESTARTING" | "STOPPED";
export type ConnectorType = "source" | "sink";

/** A connector config as Kafka Connect's REST API carries it: every value a string. */
export type ConnectorConfig = Record<string, string>;

export interface ConnectorInfo {
  name: string;
  config: ConnectorConfig;
  tasks: Array<{ connector: string; task: number }>;
  type: ConnectorType;
}

export interface StateInfo {
  state: RunState;
  worker_id: string;
  /** The error's stack when FAILED. */
  trace?: string;
}

export interface TaskStateInfo extends StateInfo {
  id: number;
  /**
   * Sluice's addition: the figures the task publishes about itself (a lag, a rate, a snapshot's
   * progress), by name, while it runs on this worker; a number, or one `{...labels, value}` per sample.
   */
  metrics?: Record<string, number | Array<Record<string, string | number>>>;
}

export interface ConnectorStateInfo {
  name: string;
  connector: StateInfo;
  tasks: TaskStateInfo[];
  type: ConnectorType;
  /** Sluice's addition: the schedule of the connector's jobs (HDFS compaction), when it has one. */
  schedule?: object;
}

export interface TaskInfo {
  id: { connector: string; task: number };
  config: ConnectorConfig;
}

/** Kafka Connect's validate response. */
export interface ConfigInfos {
  name: string;
  error_count: number;
  groups: string[];
  configs: Array<{
    definition: {
      name: string;
      type: string;
      required: boolean;
      default_value: string | null;
      importance: string;
      documentation: string;
      group: string | null;
      order: number;
      width: string;
      display_name: string;
      dependents: string[];
    };
    value: ConfigValueReport;
  }>;
}

export interface PluginInfo {
  class: string;
  type: ConnectorType | "converter" | "transformation" | "predicate";
  version: string;
}

/** One key of GET /connector-plugins/{plugin}/config. */
export interface PluginConfigKey {
  name: string;
  type: string;
  required: boolean;
  default_value: string | null;
  importance: string;
  documentation: string;
  group: string | null;
  order: number;
  width: string;
  display_name: string;
  dependents: string[];
}

/**
 * KIP-875 offsets: for a source, `partition` and `offset` are the connector's maps; for a sink,
 * `partition` is `{kafka_topic, kafka_partition}` and `offset` is `{kafka_offset}`.
 */
export interface ConnectorOffset {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

export interface RestartRequest {
  includeTasks: boolean;
  onlyFailed: boolean;
}

export interface Herder {
  /** The worker's id, e.g. `127.0.0.1:8083`. */
  readonly workerId: string;

  connectors(): Promise<string[]>;
  connectorInfo(name: string): Promise<ConnectorInfo>;
  connectorConfig(name: string): Promise<ConnectorConfig>;
  connectorStatus(name: string): Promise<ConnectorStateInfo>;
  taskStatus(name: string, task: number): Promise<TaskStateInfo>;
  taskConfigs(name: string): Promise<TaskInfo[]>;
  /** The topics the connector has used since its topic set was last reset. */
  connectorTopics(name: string): Promise<string[]>;
  resetConnectorTopics(name: string): Promise<void>;

  /**
   * Creates or replaces a connector. `allowReplace` false rejects an existing name (POST); true
   * replaces its config (PUT). Resolves with the info and whether it was created.
   */
  putConnectorConfig(
    name: string,
    config: ConnectorConfig,
    options: { allowReplace: boolean; initialState?: TargetState },
  ): Promise<{ created: boolean; info: ConnectorInfo }>;
  /** Merges `patch` into the config; a null value removes the key. */
  patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo>;
  deleteConnector(name: string): Promise<void>;

  pauseConnector(name: string): Promise<void>;
  resumeConnector(name: string): Promise<void>;
  stopConnector(name: string): Promise<void>;
  /** Restarts the connector and, per the request, its (failed) tasks; resolves with the new status. */
  restartConnector(name: string, request: RestartRequest): Promise<ConnectorStateInfo>;
  restartTask(name: string, task: number): Promise<void>;

  connectorOffsets(name: string): Promise<ConnectorOffset[]>;
  /**
   * For a sink: per partition of its topics, the offset of the first record at or after `to` (the log
   * end when there is none) — a body ready for alterConnectorOffsets. BAD_REQUEST for a source.
   */
  connectorOffsetsAt(
    name: string,
    to: "earliest" | "latest" | { timestamp: number },
  ): Promise<ConnectorOffset[]>;
  /** Only while STOPPED (else STATE_CONFLICT). Resolves with Kafka Connect's message. */
  alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<string>;
  resetConnectorOffsets(name: string): Promise<string>;

  /** Enqueues a run of the connector's jobs (HDFS compaction) now; BAD_REQUEST when it has none. */
  triggerConnectorJob(name: string, options: { path?: string | null }): Promise<{ jobId: string }>;
  /** Recent runs of the connector's jobs, newest first; BAD_REQUEST when it has none. */
  connectorJobRuns(name: string): Promise<readonly object[]>;

  validateConfig(pluginName: string, config: ConnectorConfig): Promise<ConfigInfos>;
  plugins(options: { connectorsOnly: boolean }): Promise<PluginInfo[]>;
  pluginConfig(pluginName: string): Promise<PluginConfigKey[]>;

  /** True once the worker can serve: stores loaded, Kafka reachable. */
  ready(): Promise<{ ready: boolean; message: string }>;
}
