import { ErrorCode, SluiceError } from "../../api/index.ts";
import type { ConnectorConfig, TargetState } from "../../herder.ts";
import type { ConfigStore, ConfigStoreEvent, ConnectorEntry } from "../config-store.ts";
import { DurableState, expectObject, expectVersionedDocument, type StateCodec } from "./durable-state.ts";

interface StoredConnector {
  config: ConnectorConfig;
  targetState: TargetState;
  taskConfigs: ConnectorConfig[];
}

type ConfigState = Map<string, StoredConnector>;

const TARGET_STATES: ReadonlySet<string> = new Set<TargetState>(["STARTED", "PAUSED", "STOPPED"]);

function decodeStringMap(value: unknown, what: string): ConnectorConfig {
  const record = expectObject(value, what);
  for (const [key, item] of Object.entries(record)) {
    if (typeof item !== "string") throw new Error(`${what} key "${key}" is not a string`);
  }
  return record as ConnectorConfig;
}

const codec: StateCodec<ConfigState> = {
  description: "config store",
  empty: () => new Map(),
  encode: (state) => ({ version: 1, connectors: Object.fromEntries(state) }),
  decode: (document) => {
    const connectors = expectObject(expectVersionedDocument(document).connectors, "connectors");
    const state: ConfigState = new Map();
    for (const [name, value] of Object.entries(connectors)) {
      const entry = expectObject(value, `connector "${name}"`);
      const { targetState, taskConfigs } = entry;
      if (typeof targetState !== "string" || !TARGET_STATES.has(targetState)) {
        throw new Error(`connector "${name}" has target state ${JSON.stringify(targetState)}`);
      }
      if (!Array.isArray(taskConfigs)) throw new Error(`connector "${name}" has no task config list`);
      state.set(name, {
        config: decodeStringMap(entry.config, `config of connector "${name}"`),
        targetState: targetState as TargetState,
        taskConfigs: taskConfigs.map((task, i) =>
          decodeStringMap(task, `task ${i} config of connector "${name}"`),
        ),
      });
    }
    return state;
  },
};

function notFound(name: string): SluiceError {
  return new SluiceError(ErrorCode.CONNECTOR_NOT_FOUND, `Connector ${name} not found`);
}

/** The standalone ConfigStore: one JSON file, `connectors.json` in the worker's data dir. */
export class FileConfigStore implements ConfigStore {
  readonly #file: DurableState<ConfigState>;
  readonly #listeners = new Set<(event: ConfigStoreEvent) => void>();

  private constructor(file: DurableState<ConfigState>) {
    this.#file = file;
  }

  static async open(path: string): Promise<FileConfigStore> {
    return new FileConfigStore(await DurableState.open(path, codec));
  }

  async list(): Promise<string[]> {
    return [...this.#file.current.keys()].sort();
  }

  async get(name: string): Promise<ConnectorEntry | null> {
    const stored = this.#file.current.get(name);
    return stored === undefined ? null : structuredClone(stored);
  }

  async put(
    name: string,
    config: ConnectorConfig,
    options: { initialState?: TargetState } = {},
  ): Promise<void> {
    await this.#file.update((state) => {
      const existing = state.get(name);
      state.set(name, {
        config: { ...config },
        targetState: existing?.targetState ?? options.initialState ?? "STARTED",
        taskConfigs: existing?.taskConfigs ?? [],
      });
      return true;
    });
    this.#emit({ type: "connector-config", name });
  }

  async remove(name: string): Promise<boolean> {
    let removed = false;
    await this.#file.update((state) => {
      removed = state.delete(name);
      return removed;
    });
    if (removed) this.#emit({ type: "connector-removed", name });
    return removed;
  }

  async setTargetState(name: string, targetState: TargetState): Promise<void> {
    await this.#file.update((state) => {
      const entry = state.get(name);
      if (entry === undefined) throw notFound(name);
      entry.targetState = targetState;
      return true;
    });
    this.#emit({ type: "target-state", name, targetState });
  }

  async putTaskConfigs(name: string, taskConfigs: readonly ConnectorConfig[]): Promise<void> {
    await this.#file.update((state) => {
      const entry = state.get(name);
      if (entry === undefined) throw notFound(name);
      entry.taskConfigs = taskConfigs.map((task) => ({ ...task }));
      return true;
    });
    this.#emit({ type: "task-configs", name });
  }

  subscribe(listener: (event: ConfigStoreEvent) => void): () => void {
    const subscription = (event: ConfigStoreEvent) => listener(event);
    this.#listeners.add(subscription);
    return () => this.#listeners.delete(subscription);
  }

  #emit(event: ConfigStoreEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(
          `a config store listener threw on ${event.type} of "${event.name}": ${String(error)}`,
        );
      }
    }
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
