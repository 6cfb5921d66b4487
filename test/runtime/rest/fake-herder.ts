import { ConfigError, ErrorCode, SluiceError } from "../../../runtime/api/index.ts";
import type {
  ConfigInfos,
  ConnectorConfig,
  ConnectorInfo,
  ConnectorOffset,
  ConnectorStateInfo,
  ConnectorType,
  Herder,
  PluginConfigKey,
  PluginInfo,
  RestartRequest,
  RunState,
  StateInfo,
  TargetState,
  TaskInfo,
} from "../../../runtime/herder.ts";
import type { RestAuth } from "../../../runtime/rest/auth.ts";
import type { LoggerLevel, LoggerLevels, LogLevel } from "../../../runtime/rest/loggers.ts";
import type { OffsetTarget } from "../../../runtime/rest/offset-lookup.ts";
import { createRestServer } from "../../../runtime/rest/server.ts";

/**
 * An in-memory Herder: the REST layer's own seam, faked so that routes can be checked for their exact
 * statuses and bodies. It keeps configs, target states, task states, topics and offsets, and refuses
 * what the real herder refuses with the same SluiceError codes.
 */

const WORKER_ID = "127.0.0.1:8083";

const PLUGINS: readonly PluginInfo[] = [
  { class: "datagen", type: "source", version: "0.1.0" },
  { class: "redis", type: "sink", version: "0.1.0" },
];

/** The one key each fake plugin declares besides the engine's. */
const PLUGIN_KEY: PluginConfigKey = {
  name: "topic",
  type: "STRING",
  required: true,
  default_value: null,
  importance: "HIGH",
  documentation: "The topic to use.",
  group: null,
  order: 1,
  width: "NONE",
  display_name: "topic",
  dependents: [],
};

interface FakeConnector {
  config: ConnectorConfig;
  target: TargetState;
  failedTasks: Map<number, string>;
  topics: string[];
  offsets: ConnectorOffset[];
}

function notFound(name: string): SluiceError {
  return new SluiceError(ErrorCode.CONNECTOR_NOT_FOUND, `Connector ${name} not found`);
}

export class FakeHerder implements Herder {
  readonly workerId = WORKER_ID;
  readiness = { ready: true, message: "Worker has completed startup and is ready to handle requests." };
  /** Every restart request, in order. */
  readonly restarts: Array<{ name: string } & RestartRequest> = [];
  /** Every `connectorsOnly` flag plugins() was asked with, in order. */
  readonly pluginQueries: boolean[] = [];
  /** Every compaction run requested, in order. */
  readonly jobRequests: Array<{ name: string; path: string | null }> = [];
  readonly #connectors = new Map<string, FakeConnector>();

  #get(name: string): FakeConnector {
    const connector = this.#connectors.get(name);
    if (connector === undefined) throw notFound(name);
    return connector;
  }

  #type(config: ConnectorConfig): ConnectorType {
    const plugin = PLUGINS.find((p) => p.class === config["connector.class"]);
    if (plugin === undefined) {
      throw new ConfigError([
        { field: "connector.class", message: `no plugin named "${config["connector.class"] ?? ""}"` },
      ]);
    }
    return plugin.type as ConnectorType;
  }

  #taskCount(connector: FakeConnector): number {
    return connector.target === "STOPPED" ? 0 : Number(connector.config["tasks.max"] ?? "1");
  }

  #info(name: string, connector: FakeConnector): ConnectorInfo {
    const tasks = Array.from({ length: this.#taskCount(connector) }, (_, task) => ({
      connector: name,
      task,
    }));
    return { name, config: connector.config, tasks, type: this.#type(connector.config) };
  }

  #taskState(connector: FakeConnector, id: number): StateInfo & { id: number } {
    const trace = connector.failedTasks.get(id);
    if (trace !== undefined) return { id, state: "FAILED", worker_id: WORKER_ID, trace };
    return { id, state: connector.target === "PAUSED" ? "PAUSED" : "RUNNING", worker_id: WORKER_ID };
  }

  /** Adds a connector as if it had been created earlier. */
  seed(name: string, config: ConnectorConfig, target: TargetState = "STARTED"): void {
    this.#type(config);
    this.#connectors.set(name, {
      config: { ...config, name },
      target,
      failedTasks: new Map(),
      topics: [],
      offsets: [],
    });
  }

  failTask(name: string, task: number, trace: string): void {
    this.#get(name).failedTasks.set(task, trace);
  }

  setTopics(name: string, topics: string[]): void {
    this.#get(name).topics = topics;
  }

  setOffsets(name: string, offsets: ConnectorOffset[]): void {
    this.#get(name).offsets = offsets;
  }

  targetState(name: string): TargetState {
    return this.#get(name).target;
  }

  async connectors(): Promise<string[]> {
    return [...this.#connectors.keys()];
  }

  async connectorInfo(name: string): Promise<ConnectorInfo> {
    return this.#info(name, this.#get(name));
  }

  async connectorConfig(name: string): Promise<ConnectorConfig> {
    return this.#get(name).config;
  }

  async connectorStatus(name: string): Promise<ConnectorStateInfo> {
    const connector = this.#get(name);
    const states: Record<TargetState, RunState> = {
      STARTED: "RUNNING",
      PAUSED: "PAUSED",
      STOPPED: "STOPPED",
    };
    return {
      name,
      connector: { state: states[connector.target], worker_id: WORKER_ID },
      tasks: Array.from({ length: this.#taskCount(connector) }, (_, id) => this.#taskState(connector, id)),
      type: this.#type(connector.config),
    };
  }

  async taskStatus(name: string, task: number): Promise<StateInfo & { id: number }> {
    const connector = this.#get(name);
    if (task >= this.#taskCount(connector)) {
      throw new SluiceError(ErrorCode.TASK_NOT_FOUND, `Task ${name}-${task} not found`);
    }
    return this.#taskState(connector, task);
  }

  async taskConfigs(name: string): Promise<TaskInfo[]> {
    const connector = this.#get(name);
    return this.#info(name, connector).tasks.map((id) => ({
      id,
      config: { ...connector.config, "task.id": String(id.task) },
    }));
  }

  async connectorTopics(name: string): Promise<string[]> {
    return this.#get(name).topics;
  }

  async resetConnectorTopics(name: string): Promise<void> {
    this.#get(name).topics = [];
  }

  async putConnectorConfig(
    name: string,
    config: ConnectorConfig,
    options: { allowReplace: boolean; initialState?: TargetState },
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    const existing = this.#connectors.get(name);
    if (existing !== undefined && !options.allowReplace) {
      throw new SluiceError(ErrorCode.CONNECTOR_EXISTS, `Connector ${name} already exists`);
    }
    this.#type(config);
    if (existing !== undefined) {
      existing.config = config;
      return { created: false, info: this.#info(name, existing) };
    }
    const connector: FakeConnector = {
      config,
      target: options.initialState ?? "STARTED",
      failedTasks: new Map(),
      topics: [],
      offsets: [],
    };
    this.#connectors.set(name, connector);
    return { created: true, info: this.#info(name, connector) };
  }

  async patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    const connector = this.#get(name);
    const config = { ...connector.config };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete config[key];
      else config[key] = value;
    }
    this.#type(config);
    connector.config = config;
    return this.#info(name, connector);
  }

  async deleteConnector(name: string): Promise<void> {
    this.#get(name);
    this.#connectors.delete(name);
  }

  async pauseConnector(name: string): Promise<void> {
    this.#get(name).target = "PAUSED";
  }

  async resumeConnector(name: string): Promise<void> {
    this.#get(name).target = "STARTED";
  }

  async stopConnector(name: string): Promise<void> {
    this.#get(name).target = "STOPPED";
  }

  async restartConnector(name: string, request: RestartRequest): Promise<ConnectorStateInfo> {
    const connector = this.#get(name);
    this.restarts.push({ name, ...request });
    const status = await this.connectorStatus(name);
    const restarting = status.tasks.map((task) =>
      request.includeTasks && (!request.onlyFailed || task.state === "FAILED")
        ? { id: task.id, state: "RESTARTING" as const, worker_id: WORKER_ID }
        : task,
    );
    if (request.includeTasks) connector.failedTasks.clear();
    return { ...status, connector: { state: "RESTARTING", worker_id: WORKER_ID }, tasks: restarting };
  }

  async restartTask(name: string, task: number): Promise<void> {
    await this.taskStatus(name, task);
    this.#get(name).failedTasks.delete(task);
  }

  async connectorOffsets(name: string): Promise<ConnectorOffset[]> {
    return this.#get(name).offsets;
  }

  #requireStopped(name: string): FakeConnector {
    const connector = this.#get(name);
    if (connector.target !== "STOPPED") {
      throw new SluiceError(
        ErrorCode.STATE_CONFLICT,
        `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
      );
    }
    return connector;
  }

  async alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<string> {
    this.#requireStopped(name).offsets = offsets;
    return "The offsets for this connector have been altered successfully";
  }

  async resetConnectorOffsets(name: string): Promise<string> {
    this.#requireStopped(name).offsets = [];
    return "The offsets for this connector have been reset successfully";
  }

  async triggerConnectorJob(name: string, options: { path?: string | null }): Promise<{ jobId: string }> {
    this.#get(name);
    this.jobRequests.push({ name, path: options.path ?? null });
    return { jobId: `job-${this.jobRequests.length}` };
  }

  async connectorJobRuns(name: string): Promise<readonly object[]> {
    this.#get(name);
    return this.jobRequests
      .filter((r) => r.name === name)
      .map((r, i) => ({ id: `job-${i + 1}`, path: r.path, state: "completed" }));
  }

  async connectorOffsetsAt(name: string, to: OffsetTarget): Promise<ConnectorOffset[]> {
    const connector = this.#get(name);
    if (this.#type(connector.config) !== "sink") {
      throw new SluiceError(
        ErrorCode.BAD_REQUEST,
        `Connector ${name} is a source; only sink offsets can be looked up`,
      );
    }
    const offset = to === "earliest" ? 0 : to === "latest" ? 100 : Math.floor(to.timestamp / 1000) % 100;
    return (connector.config.topics ?? "").split(",").map((topic) => ({
      partition: { kafka_topic: topic, kafka_partition: 0 },
      offset: { kafka_offset: offset },
    }));
  }

  #plugin(pluginName: string): PluginInfo {
    const plugin = PLUGINS.find((p) => p.class === pluginName);
    if (plugin === undefined) {
      throw new SluiceError(ErrorCode.PLUGIN_NOT_FOUND, `No plugin named ${pluginName}`);
    }
    return plugin;
  }

  async validateConfig(pluginName: string, config: ConnectorConfig): Promise<ConfigInfos> {
    this.#plugin(pluginName);
    const given = config.topic;
    return {
      name: pluginName,
      error_count: given === undefined ? 1 : 0,
      groups: ["Common"],
      configs: [
        {
          definition: PLUGIN_KEY,
          value: {
            name: "topic",
            value: given ?? null,
            recommended_values: [],
            errors: given === undefined ? ["is required: The topic to use."] : [],
            visible: true,
          },
        },
      ],
    };
  }

  async plugins(options: { connectorsOnly: boolean }): Promise<PluginInfo[]> {
    this.pluginQueries.push(options.connectorsOnly);
    return [...PLUGINS];
  }

  async pluginConfig(pluginName: string): Promise<PluginConfigKey[]> {
    this.#plugin(pluginName);
    return [PLUGIN_KEY];
  }

  async ready(): Promise<{ ready: boolean; message: string }> {
    return this.readiness;
  }
}

/** Loggers in a map; `set` changes the named logger and every one below it. */
export class FakeLoggerLevels implements LoggerLevels {
  readonly #levels = new Map<string, LoggerLevel>([["root", { level: "INFO", last_modified: null }]]);

  list(): Record<string, LoggerLevel> {
    return Object.fromEntries(this.#levels);
  }

  get(name: string): LoggerLevel | undefined {
    return this.#levels.get(name);
  }

  set(name: string, level: LogLevel): string[] {
    const changed = [...this.#levels.keys()].filter((key) => key === name || key.startsWith(`${name}.`));
    if (!changed.includes(name)) changed.push(name);
    for (const key of changed) this.#levels.set(key, { level, last_modified: 1_700_000_000_000 });
    return changed.sort();
  }
}

export const fakeMetrics = {
  contentType: "text/plain; version=0.0.4; charset=utf-8",
  render: async () => "# HELP sluice_up 1 when the worker runs\n# TYPE sluice_up gauge\nsluice_up 1\n",
};

/** A REST server over a fresh FakeHerder, for `inject`; close `app` after the test. */
export function createTestServer(options: { auth?: RestAuth; bodyLimitBytes?: number } = {}) {
  const herder = new FakeHerder();
  const loggers = new FakeLoggerLevels();
  const app = createRestServer({
    herder,
    loggers,
    metrics: fakeMetrics,
    auth: options.auth ?? { type: "none" },
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    serverInfo: { commit: "abc1234", kafkaClusterId: async () => "test-cluster-id" },
  });
  return { app, herder, loggers };
}
