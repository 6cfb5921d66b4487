import type { Connector, ConnectorPlugin, Logger, OffsetsAlterable, ParsedConfig } from "../api/index.ts";
import type { RunState, TargetState } from "../herder.ts";
import type { RestartPolicy, SupervisedStatus } from "./supervisor.ts";
import { SupervisedTask } from "./supervisor.ts";
import type { Worker } from "./worker.ts";

/**
 * One connector running on this worker: the plugin's Connector and its supervised tasks, moved toward
 * the target state. The herder owns the store writes; this owns the running objects.
 */
export class ConnectorInstance {
  readonly name: string;
  readonly plugin: ConnectorPlugin;
  readonly config: ParsedConfig;
  #connector: (Connector & Partial<OffsetsAlterable>) | undefined;
  #state: RunState = "UNASSIGNED";
  #trace: string | undefined;
  #tasks: SupervisedTask[] = [];
  readonly #logger: Logger;

  constructor(name: string, plugin: ConnectorPlugin, config: ParsedConfig, logger: Logger) {
    this.name = name;
    this.plugin = plugin;
    this.config = config;
    this.#logger = logger;
  }

  get status(): { state: RunState; trace?: string } {
    return this.#trace === undefined ? { state: this.#state } : { state: this.#state, trace: this.#trace };
  }

  get tasks(): readonly SupervisedTask[] {
    return this.#tasks;
  }

  /**
   * Starts the plugin's connector and returns its task configs; a throw leaves the instance FAILED
   * with the trace (and rethrows).
   */
  async startConnector(
    target: TargetState,
    hooks: { onError(error: Error): void; onReconfigure(): void },
  ): Promise<Array<Record<string, string>>> {
    const connector = this.plugin.createConnector();
    this.#connector = connector;
    try {
      await connector.start(this.config, {
        name: this.name,
        logger: this.#logger,
        requestTaskReconfiguration: hooks.onReconfigure,
        raiseError: (error) => {
          this.#fail(error);
          hooks.onError(error);
        },
      });
      const configs = connector.taskConfigs(this.config.int("tasks.max"));
      this.#state = target === "PAUSED" ? "PAUSED" : "RUNNING";
      this.#trace = undefined;
      return configs;
    } catch (error) {
      this.#fail(error as Error);
      await connector.stop().catch(() => {});
      throw error;
    }
  }

  #fail(error: Error): void {
    this.#state = "FAILED";
    this.#trace = error.stack ?? error.message;
  }

  /** Creates and starts the supervised tasks for the given parsed task configs. */
  startTasks(
    worker: Worker,
    taskConfigs: readonly ParsedConfig[],
    target: TargetState,
    policy: RestartPolicy,
    onTaskStatus: (task: number, status: SupervisedStatus) => void,
  ): void {
    this.#tasks = taskConfigs.map((taskConfig, taskId) => {
      const supervised = new SupervisedTask({
        create: (initialState) =>
          worker.createTask({
            connector: this.name,
            plugin: this.plugin,
            connectorConfig: this.config,
            taskId,
            taskConfig,
            initialState,
          }),
        initialTarget: target === "PAUSED" ? "PAUSED" : "STARTED",
        policy,
        logger: this.#logger,
        onStatus: (status) => onTaskStatus(taskId, status),
        onRestart: () => worker.metrics.taskRestarts.inc({ connector: this.name, task: String(taskId) }),
      });
      supervised.start();
      return supervised;
    });
  }

  setTargetState(target: "STARTED" | "PAUSED"): void {
    if (this.#state === "RUNNING" || this.#state === "PAUSED")
      this.#state = target === "PAUSED" ? "PAUSED" : "RUNNING";
    for (const task of this.#tasks) task.setTargetState(target);
  }

  /** Stops tasks (each within `timeoutMs`, else cancelled), then the connector. Idempotent. */
  async stop(timeoutMs: number, finalState: RunState = "STOPPED"): Promise<void> {
    await Promise.all(this.#tasks.map((task) => task.stop(timeoutMs)));
    this.#tasks = [];
    const connector = this.#connector;
    this.#connector = undefined;
    await connector
      ?.stop()
      .catch((error: unknown) =>
        this.#logger.warn("connector stop failed", { error: (error as Error).message }),
      );
    if (this.#state !== "FAILED" || finalState !== "STOPPED") this.#state = finalState;
  }

  /** Marks the instance STOPPED without a running connector (target state STOPPED). */
  markStopped(): void {
    this.#state = "STOPPED";
    this.#trace = undefined;
  }
}
