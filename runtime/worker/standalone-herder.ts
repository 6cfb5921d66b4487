import {
  type ConfigDef,
  ConfigError,
  type ConnectorJobs,
  type ConnectorPlugin,
  ErrorCode,
  type Logger,
  type ParsedConfig,
  SluiceError,
  type SourceOffset,
  type SourcePartition,
} from "../api/index.ts";
import { restorePlaceholders } from "../config/config-providers.ts";
import { converterPlugins } from "../converters/registry.ts";
import type {
  ConfigInfos,
  ConnectorConfig,
  ConnectorInfo,
  ConnectorOffset,
  ConnectorStateInfo,
  Herder,
  PluginConfigKey,
  PluginInfo,
  RestartRequest,
  StateInfo,
  TargetState,
  TaskInfo,
  TaskStateInfo,
} from "../herder.ts";
import type { KafkaAdmin } from "../kafka/admin.ts";
import type { Stores } from "../storage/index.ts";
import { transformPlugins } from "../transforms/registry.ts";
import { commonConnectorConfig, crossFieldErrors, type WorkerCapabilities } from "./connector-config.ts";
import { ConnectorInstance } from "./connector-instance.ts";
import type { PluginRegistry } from "./plugins.ts";
import type { Worker } from "./worker.ts";

export const SLUICE_VERSION = "0.1.0";

const ALTERED = "The offsets for this connector have been altered successfully";
const RESET = "The offsets for this connector have been reset successfully";

/**
 * The standalone herder: every connector runs on this one worker, and state lives in the worker's
 * stores. Operations on the herder are serialised, so a pause never races a restart.
 */
export class StandaloneHerder implements Herder {
  #workerId: string;
  readonly #stores: Stores;
  readonly #plugins: PluginRegistry;
  readonly #worker: Worker;
  readonly #admin: KafkaAdmin;
  readonly #logger: (fields: Record<string, unknown>) => Logger;
  readonly #running = new Map<string, ConnectorInstance>();
  /** Open handles on connectors' jobs, by connector name; closed when the config changes. */
  readonly #jobs = new Map<string, ConnectorJobs>();
  #queue: Promise<unknown> = Promise.resolve();
  #ready = false;
  #closing: Promise<void> | undefined;

  constructor(options: {
    stores: Stores;
    plugins: PluginRegistry;
    worker: Worker;
    admin: KafkaAdmin;
    logger: (fields: Record<string, unknown>) => Logger;
  }) {
    this.#workerId = options.worker.config.workerId;
    this.#stores = options.stores;
    this.#plugins = options.plugins;
    this.#worker = options.worker;
    this.#admin = options.admin;
    this.#logger = options.logger;
  }

  get workerId(): string {
    return this.#workerId;
  }

  /** Starts every stored connector toward its target state; `workerId` is the address the REST API got. */
  start(workerId: string = this.#workerId): Promise<void> {
    this.#workerId = workerId;
    return this.#serial(async () => {
      for (const name of await this.#stores.config.list()) {
        await this.#startConnector(name).catch((error: unknown) =>
          this.#logger({ connector: name }).error("connector failed to start", {
            error: (error as Error).message,
          }),
        );
      }
      this.#ready = true;
    });
  }

  /** Runs `work` after every earlier operation finished. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Stops every connector gracefully (tasks flush and commit), then closes the stores. Idempotent. */
  stop(): Promise<void> {
    this.#closing ??= this.#serial(async () => {
      this.#ready = false;
      const timeout = this.#worker.config.taskShutdownGracefulTimeoutMs;
      await Promise.all([...this.#running.values()].map((instance) => instance.stop(timeout)));
      this.#running.clear();
      await Promise.all([...this.#jobs.values()].map((jobs) => jobs.close()));
      this.#jobs.clear();
      await this.#stores.close();
    });
    return this.#closing;
  }

  // ---- config validation ----

  /** The engine's keys for the plugin's type, then the plugin's own. */
  #fullConfigDef(plugin: ConnectorPlugin): ConfigDef {
    return commonConnectorConfig(plugin.type).merge(plugin.config);
  }

  #capabilities(): WorkerCapabilities {
    return { exactlyOnceSource: this.#worker.config.exactlyOnceSource !== null };
  }

  async #resolve(config: ConnectorConfig): Promise<ConnectorConfig> {
    return this.#worker.config.configProviders.resolveConfig(config);
  }

  /** Parses a resolved config for its plugin; throws ConfigError naming each bad field. */
  #parse(plugin: ConnectorPlugin, resolved: ConnectorConfig): ParsedConfig {
    const { config, errors } = this.#fullConfigDef(plugin).validate(resolved);
    errors.push(...(errors.length === 0 ? crossFieldErrors(plugin.type, config, this.#capabilities()) : []));
    if (errors.length > 0) throw new ConfigError(errors);
    return config;
  }

  async #validateForPut(name: string, config: ConnectorConfig): Promise<ConnectorPlugin> {
    const connectorClass = config["connector.class"];
    if (connectorClass === undefined || connectorClass.trim() === "") {
      throw new ConfigError([
        { field: "connector.class", message: "is required: the connector plugin, e.g. mysql-cdc" },
      ]);
    }
    if (config.name !== undefined && config.name !== name) {
      throw new ConfigError([
        { field: "name", message: `must match the connector's name "${name}"; got "${config.name}"` },
      ]);
    }
    const plugin = await this.#plugins.resolve(connectorClass);
    const parsed = this.#parse(plugin, await this.#resolve({ ...config, name }));
    const connector = plugin.createConnector();
    const problems = (await connector.validate?.(parsed, AbortSignal.timeout(30_000))) ?? [];
    if (problems.length > 0) throw new ConfigError(problems);
    return plugin;
  }

  async validateConfig(pluginName: string, config: ConnectorConfig): Promise<ConfigInfos> {
    const plugin = await this.#plugins.resolve(config["connector.class"] ?? pluginName);
    const def = this.#fullConfigDef(plugin);
    const resolved = await this.#resolve(config).catch((error: unknown) => {
      if (error instanceof ConfigError) return { error };
      throw error;
    });
    const external: Array<{ field: string; message: string }> = [];
    let reports: ReturnType<ConfigDef["validate"]>["reports"];
    if ("error" in resolved) {
      reports = def.validate(config).reports;
      external.push(...(resolved.error as ConfigError).fieldErrors);
    } else {
      const result = def.validate(resolved as ConnectorConfig);
      reports = result.reports;
      if (result.errors.length === 0) {
        external.push(...crossFieldErrors(plugin.type, result.config, this.#capabilities()));
        const connector = plugin.createConnector();
        external.push(...((await connector.validate?.(result.config, AbortSignal.timeout(30_000))) ?? []));
      }
    }
    for (const problem of external) {
      const report = reports.find((r) => r.name === problem.field);
      if (report) report.errors.push(problem.message);
      else
        reports.push({
          name: problem.field,
          value: config[problem.field] ?? null,
          recommended_values: [],
          errors: [problem.message],
          visible: true,
        });
    }
    const keys = new Map(def.keys().map((key, order) => [key.name, { key, order }]));
    const groups = [...new Set(def.keys().map((key) => key.group ?? "Common"))];
    return {
      name: plugin.name,
      error_count: reports.reduce((n, r) => n + r.errors.length, 0),
      groups,
      configs: reports.map((value) => {
        const entry = keys.get(value.name);
        return { definition: definitionOf(value.name, entry?.key, entry?.order ?? -1), value };
      }),
    };
  }

  // ---- connector lifecycle ----

  async #startConnector(name: string): Promise<void> {
    const entry = await this.#stores.config.get(name);
    if (!entry) throw notFound(name);
    const logger = this.#logger({ connector: name });
    const resolved = await this.#resolve(entry.config);
    const plugin = await this.#plugins.resolve(resolved["connector.class"] ?? "");
    const parsed = this.#parse(plugin, resolved);
    const instance = new ConnectorInstance(name, plugin, parsed, logger);
    this.#running.set(name, instance);
    if (entry.targetState === "STOPPED") {
      instance.markStopped();
      await this.#writeConnectorStatus(instance);
      await this.#stores.status.retainTasks(name, 0);
      return;
    }
    let taskConfigs: Array<Record<string, string>>;
    try {
      taskConfigs = await instance.startConnector(entry.targetState, {
        onError: () => void this.#writeConnectorStatus(instance),
        onReconfigure: () =>
          void this.#serial(() => this.#restartConnector(name, { includeTasks: true, onlyFailed: false })),
      });
    } catch (error) {
      logger.error("connector failed to start", { error: (error as Error).message });
      await this.#writeConnectorStatus(instance);
      return;
    }
    await this.#stores.config.putTaskConfigs(name, restorePlaceholders(entry.config, resolved, taskConfigs));
    const def = this.#fullConfigDef(plugin);
    const parsedTasks = taskConfigs.map((taskConfig) => def.parse({ ...resolved, ...taskConfig }));
    await this.#stores.status.retainTasks(name, parsedTasks.length);
    const policy = this.#worker.config.taskRestart;
    instance.startTasks(
      this.#worker,
      parsedTasks,
      entry.targetState,
      {
        initialBackoffMs: policy.backoffInitialMs,
        maxBackoffMs: policy.backoffMaxMs,
        budget: policy.budget,
        windowMs: policy.windowMs,
      },
      (task, status) => {
        void this.#stores.status
          .putTask(name, task, {
            state: status.state,
            workerId: this.#workerId,
            ...(status.trace ? { trace: status.trace } : {}),
          })
          .catch(() => {});
      },
    );
    await this.#writeConnectorStatus(instance);
  }

  async #stopConnector(name: string): Promise<void> {
    const instance = this.#running.get(name);
    if (!instance) return;
    await instance.stop(this.#worker.config.taskShutdownGracefulTimeoutMs);
    this.#running.delete(name);
  }

  async #restartConnector(name: string, request: RestartRequest): Promise<void> {
    const instance = this.#running.get(name);
    if (request.onlyFailed && instance && instance.status.state !== "FAILED") {
      if (request.includeTasks) {
        for (const task of instance.tasks) if (task.status.state === "FAILED") task.start();
      }
      return;
    }
    await this.#stopConnector(name);
    await this.#startConnector(name);
  }

  async #writeConnectorStatus(instance: ConnectorInstance): Promise<void> {
    const { state, trace } = instance.status;
    await this.#stores.status.putConnector(instance.name, {
      state,
      workerId: this.#workerId,
      ...(trace ? { trace } : {}),
    });
  }

  async #entry(name: string) {
    const entry = await this.#stores.config.get(name);
    if (!entry) throw notFound(name);
    return entry;
  }

  putConnectorConfig(
    name: string,
    config: ConnectorConfig,
    options: { allowReplace: boolean; initialState?: TargetState },
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.#serial(async () => {
      const existing = await this.#stores.config.get(name);
      if (existing && !options.allowReplace) {
        throw new SluiceError(ErrorCode.CONNECTOR_EXISTS, `Connector ${name} already exists`);
      }
      await this.#validateForPut(name, config);
      const stored = { ...config, name };
      await this.#stopConnector(name);
      await this.#closeJobs(name, false);
      await this.#stores.config.put(
        name,
        stored,
        existing ? {} : { initialState: options.initialState ?? "STARTED" },
      );
      await this.#startConnector(name);
      return { created: existing === null, info: await this.#info(name) };
    });
  }

  patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    return this.#serial(async () => {
      const entry = await this.#entry(name);
      const config: ConnectorConfig = { ...entry.config };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete config[key];
        else config[key] = value;
      }
      await this.#validateForPut(name, config);
      await this.#stopConnector(name);
      await this.#closeJobs(name, false);
      await this.#stores.config.put(name, { ...config, name });
      await this.#startConnector(name);
      return this.#info(name);
    });
  }

  deleteConnector(name: string): Promise<void> {
    return this.#serial(async () => {
      await this.#entry(name);
      await this.#stopConnector(name);
      await this.#closeJobs(name, true);
      await this.#stores.config.remove(name);
      await this.#stores.status.remove(name);
      await this.#worker.metrics.forget(name);
    });
  }

  #setTarget(name: string, target: TargetState): Promise<void> {
    return this.#serial(async () => {
      const entry = await this.#entry(name);
      await this.#stores.config.setTargetState(name, target);
      const instance = this.#running.get(name);
      if (target === "STOPPED") {
        await this.#stopConnector(name);
        await this.#startConnector(name);
        return;
      }
      if (entry.targetState === "STOPPED" || !instance || instance.status.state === "FAILED") {
        await this.#stopConnector(name);
        await this.#startConnector(name);
        return;
      }
      instance.setTargetState(target);
      await this.#writeConnectorStatus(instance);
    });
  }

  pauseConnector(name: string): Promise<void> {
    return this.#setTarget(name, "PAUSED");
  }

  resumeConnector(name: string): Promise<void> {
    return this.#setTarget(name, "STARTED");
  }

  stopConnector(name: string): Promise<void> {
    return this.#setTarget(name, "STOPPED");
  }

  restartConnector(name: string, request: RestartRequest): Promise<ConnectorStateInfo> {
    return this.#serial(async () => {
      await this.#entry(name);
      await this.#restartConnector(name, request);
      return this.#status(name);
    });
  }

  restartTask(name: string, task: number): Promise<void> {
    return this.#serial(async () => {
      await this.#entry(name);
      const supervised = this.#running.get(name)?.tasks[task];
      if (!supervised) throw new SluiceError(ErrorCode.TASK_NOT_FOUND, `Task ${name}-${task} not found`);
      await supervised.task?.stop(this.#worker.config.taskShutdownGracefulTimeoutMs);
      supervised.start();
    });
  }

  // ---- reads ----

  async connectors(): Promise<string[]> {
    return this.#stores.config.list();
  }

  async #info(name: string): Promise<ConnectorInfo> {
    const entry = await this.#entry(name);
    const plugin = await this.#plugins.resolve(entry.config["connector.class"] ?? "");
    return {
      name,
      config: entry.config,
      tasks: entry.taskConfigs.map((_, task) => ({ connector: name, task })),
      type: plugin.type,
    };
  }

  connectorInfo(name: string): Promise<ConnectorInfo> {
    return this.#info(name);
  }

  async connectorConfig(name: string): Promise<ConnectorConfig> {
    return (await this.#entry(name)).config;
  }

  async #status(name: string): Promise<ConnectorStateInfo> {
    const entry = await this.#entry(name);
    const plugin = await this.#plugins.resolve(entry.config["connector.class"] ?? "");
    const connector = (await this.#stores.status.connector(name)) ?? {
      state: "UNASSIGNED" as const,
      workerId: this.#workerId,
    };
    const tasks = await this.#stores.status.tasks(name);
    const schedule = plugin.jobs
      ? await (await this.#jobsOf(name, false))?.scheduleInfo().catch(() => null)
      : null;
    return {
      name,
      connector: stateInfo(connector),
      tasks: tasks.map((t) => {
        const metrics = this.#worker.metrics.tasks.figures(name, t.id);
        return { id: t.id, ...stateInfo(t), ...(metrics ? { metrics } : {}) };
      }),
      type: plugin.type,
      ...(schedule ? { schedule } : {}),
    };
  }

  connectorStatus(name: string): Promise<ConnectorStateInfo> {
    return this.#status(name);
  }

  async taskStatus(name: string, task: number): Promise<TaskStateInfo> {
    const status = await this.#status(name);
    const found = status.tasks.find((t) => t.id === task);
    if (!found) throw new SluiceError(ErrorCode.TASK_NOT_FOUND, `No status found for task ${name}-${task}`);
    return found;
  }

  async taskConfigs(name: string): Promise<TaskInfo[]> {
    const entry = await this.#entry(name);
    return entry.taskConfigs.map((config, task) => ({ id: { connector: name, task }, config }));
  }

  async connectorTopics(name: string): Promise<string[]> {
    await this.#entry(name);
    return this.#stores.status.topics(name);
  }

  resetConnectorTopics(name: string): Promise<void> {
    return this.#serial(async () => {
      await this.#entry(name);
      await this.#stores.status.resetTopics(name);
    });
  }

  // ---- offsets (KIP-875) ----

  async #offsetTarget(name: string) {
    const entry = await this.#entry(name);
    const resolved = await this.#resolve(entry.config);
    const plugin = await this.#plugins.resolve(resolved["connector.class"] ?? "");
    return { entry, plugin, parsed: this.#parse(plugin, resolved) };
  }

  async connectorOffsets(name: string): Promise<ConnectorOffset[]> {
    const { plugin } = await this.#offsetTarget(name);
    if (plugin.type === "sink") {
      const offsets = await this.#admin.listGroupOffsets(sinkGroup(name));
      return offsets.map((o) => ({
        partition: { kafka_topic: o.topic, kafka_partition: o.partition },
        offset: { kafka_offset: Number(o.offset) },
      }));
    }
    const entries = await this.#stores.offsets.getAll(name);
    return entries.map((e) => ({ partition: { ...e.partition }, offset: { ...e.offset } }));
  }

  async connectorOffsetsAt(
    name: string,
    to: "earliest" | "latest" | { timestamp: number },
  ): Promise<ConnectorOffset[]> {
    const { plugin, parsed } = await this.#offsetTarget(name);
    if (plugin.type !== "sink") {
      throw new SluiceError(
        ErrorCode.BAD_REQUEST,
        `Connector ${name} is a source; only a sink's offsets can be looked up by position or time`,
      );
    }
    let topics = parsed.list("topics");
    const regex = parsed.optionalString("topics.regex");
    if (regex !== null) topics = (await this.#admin.listTopics()).filter((t) => new RegExp(regex).test(t));
    const out: ConnectorOffset[] = [];
    for (const topic of topics) {
      for (const listed of await this.#admin.listOffsets(topic, to)) {
        out.push({
          partition: { kafka_topic: topic, kafka_partition: listed.partition },
          offset: { kafka_offset: Number(listed.offset) },
        });
      }
    }
    return out;
  }

  #requireStopped(name: string, targetState: TargetState): void {
    if (targetState !== "STOPPED" || this.#running.get(name)?.tasks.length) {
      throw new SluiceError(
        ErrorCode.STATE_CONFLICT,
        `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
      );
    }
  }

  alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<string> {
    return this.#serial(async () => {
      const { entry, plugin, parsed } = await this.#offsetTarget(name);
      this.#requireStopped(name, entry.targetState);
      if (offsets.length === 0)
        throw new SluiceError(ErrorCode.BAD_REQUEST, "The offsets to alter must not be empty");
      const connector = plugin.createConnector();
      if (plugin.type === "sink") {
        const parsedOffsets = offsets.map(sinkOffset);
        await connector.alterOffsets?.(
          parsed,
          parsedOffsets.map((o) => ({
            partition: { topic: o.topic, partition: o.partition },
            offset: o.offset,
          })),
        );
        const toDelete = parsedOffsets.filter((o) => o.offset === null);
        const toSet = parsedOffsets.filter((o): o is typeof o & { offset: bigint } => o.offset !== null);
        if (toSet.length > 0) await this.#admin.alterGroupOffsets(sinkGroup(name), toSet);
        if (toDelete.length > 0) await this.#admin.deleteGroupOffsets(sinkGroup(name), toDelete);
        return ALTERED;
      }
      const entries = offsets.map((o) => ({
        partition: o.partition as SourcePartition,
        offset: o.offset as SourceOffset | null,
      }));
      await connector.alterOffsets?.(parsed, entries);
      await this.#stores.offsets.set(name, entries);
      return ALTERED;
    });
  }

  resetConnectorOffsets(name: string): Promise<string> {
    return this.#serial(async () => {
      const { entry, plugin, parsed } = await this.#offsetTarget(name);
      this.#requireStopped(name, entry.targetState);
      const connector = plugin.createConnector();
      if (plugin.type === "sink") {
        const current = await this.#admin.listGroupOffsets(sinkGroup(name));
        await connector.alterOffsets?.(
          parsed,
          current.map((o) => ({ partition: { topic: o.topic, partition: o.partition }, offset: null })),
        );
        await this.#admin.deleteGroupOffsets(sinkGroup(name), current);
        return RESET;
      }
      const current = await this.#stores.offsets.getAll(name);
      await connector.alterOffsets?.(
        parsed,
        current.map((e) => ({ partition: e.partition, offset: null })),
      );
      await this.#stores.offsets.reset(name);
      return RESET;
    });
  }

  // ---- connector jobs (HDFS compaction) ----

  /** The connector's jobs handle, opened on first use; null (or BAD_REQUEST when `required`) if it has none. */
  async #jobsOf(name: string, required: boolean): Promise<ConnectorJobs | null> {
    const open = this.#jobs.get(name);
    if (open) return open;
    const { plugin, parsed } = await this.#offsetTarget(name);
    const jobs = plugin.jobs?.(name, parsed) ?? null;
    if (jobs === null) {
      if (!required) return null;
      throw new SluiceError(
        ErrorCode.BAD_REQUEST,
        `Connector ${name} runs no compaction jobs (set compaction.redis.url on an HDFS sink)`,
      );
    }
    this.#jobs.set(name, jobs);
    return jobs;
  }

  async #closeJobs(name: string, unschedule: boolean): Promise<void> {
    const jobs = unschedule ? await this.#jobsOf(name, false).catch(() => null) : this.#jobs.get(name);
    this.#jobs.delete(name);
    if (unschedule) await jobs?.unschedule();
    await jobs?.close();
  }

  async triggerConnectorJob(name: string, options: { path?: string | null }): Promise<{ jobId: string }> {
    const jobs = (await this.#jobsOf(name, true)) as ConnectorJobs;
    return jobs.trigger(options);
  }

  async connectorJobRuns(name: string): Promise<readonly object[]> {
    const jobs = (await this.#jobsOf(name, true)) as ConnectorJobs;
    return jobs.runs();
  }

  // ---- plugins and health ----

  async plugins(options: { connectorsOnly: boolean }): Promise<PluginInfo[]> {
    const connectors: PluginInfo[] = this.#plugins
      .list()
      .map((p) => ({ class: p.name, type: p.type, version: p.version }));
    if (options.connectorsOnly) return connectors;
    return [
      ...connectors,
      ...Object.values(converterPlugins).map((p) => ({
        class: p.className,
        type: "converter" as const,
        version: SLUICE_VERSION,
      })),
      ...Object.values(transformPlugins).map((p) => ({
        class: p.className,
        type: p.type,
        version: SLUICE_VERSION,
      })),
    ];
  }

  async pluginConfig(pluginName: string): Promise<PluginConfigKey[]> {
    const plugin = await this.#plugins.resolve(pluginName);
    return this.#fullConfigDef(plugin)
      .keys()
      .map((key, order) => definitionOf(key.name, key, order));
  }

  async ready(): Promise<{ ready: boolean; message: string }> {
    if (!this.#ready) return { ready: false, message: "The worker is starting or stopping" };
    return { ready: true, message: "Worker has completed startup and is ready to handle requests." };
  }
}

function notFound(name: string): SluiceError {
  return new SluiceError(ErrorCode.CONNECTOR_NOT_FOUND, `Connector ${name} not found`);
}

function stateInfo(status: { state: StateInfo["state"]; workerId: string; trace?: string }): StateInfo {
  return {
    state: status.state,
    worker_id: status.workerId,
    ...(status.trace ? { trace: status.trace } : {}),
  };
}

export function sinkGroup(connector: string): string {
  return `connect-${connector}`;
}

function sinkOffset(o: ConnectorOffset): { topic: string; partition: number; offset: bigint | null } {
  const topic = o.partition.kafka_topic;
  const partition = o.partition.kafka_partition;
  if (typeof topic !== "string" || !Number.isInteger(partition)) {
    throw new SluiceError(
      ErrorCode.BAD_REQUEST,
      "A sink offset's partition must have kafka_topic (a string) and kafka_partition (an integer)",
    );
  }
  if (o.offset === null) return { topic, partition: partition as number, offset: null };
  const offset = o.offset.kafka_offset;
  if (!(typeof offset === "number" || typeof offset === "string") || !/^\d+$/.test(String(offset))) {
    throw new SluiceError(
      ErrorCode.BAD_REQUEST,
      'A sink offset must be {"kafka_offset": <a non-negative integer>} or null',
    );
  }
  return { topic, partition: partition as number, offset: BigInt(offset) };
}

function definitionOf(
  name: string,
  key: ReturnType<ConfigDef["keys"]>[number] | undefined,
  order: number,
): PluginConfigKey {
  return {
    name,
    type: (key?.type ?? "string").toUpperCase(),
    required: key !== undefined && key.default === undefined,
    default_value: key?.default === undefined || key.default === null ? null : String(key.default),
    importance: (key?.importance ?? "medium").toUpperCase(),
    documentation: key?.description ?? "",
    group: key?.group ?? null,
    order,
    width: "NONE",
    display_name: name,
    dependents: [],
  };
}
