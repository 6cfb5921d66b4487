import type { RunState } from "../../herder.ts";
import type { RunStatus, StatusStore } from "../status-store.ts";
import { DurableState, expectObject, expectVersionedDocument, type StateCodec } from "./durable-state.ts";

interface ConnectorStatuses {
  connector: RunStatus | null;
  tasks: Map<number, RunStatus>;
  topics: string[];
}

type StatusState = Map<string, ConnectorStatuses>;

const RUN_STATES: ReadonlySet<string> = new Set<RunState>([
  "UNASSIGNED",
  "RUNNING",
  "PAUSED",
  "FAILED",
  "RESTARTING",
  "STOPPED",
]);

function decodeStatus(value: unknown, what: string): RunStatus {
  const record = expectObject(value, what);
  const { state, workerId, trace } = record;
  if (typeof state !== "string" || !RUN_STATES.has(state))
    throw new Error(`${what} has state ${JSON.stringify(state)}`);
  if (typeof workerId !== "string") throw new Error(`${what} has no worker id`);
  if (trace !== undefined && typeof trace !== "string")
    throw new Error(`${what} has a trace that is not a string`);
  return { state: state as RunState, workerId, ...(trace === undefined ? {} : { trace }) };
}

const codec: StateCodec<StatusState> = {
  description: "status store",
  empty: () => new Map(),
  encode: (state) => ({
    version: 1,
    connectors: Object.fromEntries(
      [...state].map(([name, statuses]) => [
        name,
        {
          connector: statuses.connector,
          tasks: [...statuses.tasks].map(([id, status]) => ({ id, ...status })),
          topics: statuses.topics,
        },
      ]),
    ),
  }),
  decode: (document) => {
    const connectors = expectObject(expectVersionedDocument(document).connectors, "connectors");
    const state: StatusState = new Map();
    for (const [name, value] of Object.entries(connectors)) {
      const entry = expectObject(value, `connector "${name}"`);
      if (!Array.isArray(entry.tasks) || !Array.isArray(entry.topics)) {
        throw new Error(`connector "${name}" lacks its task or topic list`);
      }
      const tasks = new Map<number, RunStatus>();
      for (const task of entry.tasks) {
        const id = expectObject(task, `a task of connector "${name}"`).id;
        if (typeof id !== "number" || !Number.isSafeInteger(id))
          throw new Error(`a task of "${name}" has no id`);
        tasks.set(id, decodeStatus(task, `task ${id} of connector "${name}"`));
      }
      state.set(name, {
        connector: entry.connector === null ? null : decodeStatus(entry.connector, `connector "${name}"`),
        tasks,
        topics: entry.topics.map(String),
      });
    }
    return state;
  },
};

function statusesOf(state: StatusState, connector: string): ConnectorStatuses {
  let statuses = state.get(connector);
  if (statuses === undefined) {
    statuses = { connector: null, tasks: new Map(), topics: [] };
    state.set(connector, statuses);
  }
  return statuses;
}

function copyStatus(status: RunStatus): RunStatus {
  return {
    state: status.state,
    workerId: status.workerId,
    ...(status.trace === undefined ? {} : { trace: status.trace }),
  };
}

/** The standalone StatusStore: one JSON file, `status.json` in the worker's data dir. */
export class FileStatusStore implements StatusStore {
  readonly #file: DurableState<StatusState>;

  private constructor(file: DurableState<StatusState>) {
    this.#file = file;
  }

  static async open(path: string): Promise<FileStatusStore> {
    return new FileStatusStore(await DurableState.open(path, codec));
  }

  async putConnector(connector: string, status: RunStatus): Promise<void> {
    const copy = copyStatus(status);
    await this.#file.update((state) => {
      statusesOf(state, connector).connector = copy;
      return true;
    });
  }

  async putTask(connector: string, task: number, status: RunStatus): Promise<void> {
    const copy = copyStatus(status);
    await this.#file.update((state) => {
      statusesOf(state, connector).tasks.set(task, copy);
      return true;
    });
  }

  async connector(connector: string): Promise<RunStatus | null> {
    const status = this.#file.current.get(connector)?.connector;
    return status ? copyStatus(status) : null;
  }

  async tasks(connector: string): Promise<Array<RunStatus & { id: number }>> {
    const tasks = this.#file.current.get(connector)?.tasks ?? new Map<number, RunStatus>();
    return [...tasks].sort(([a], [b]) => a - b).map(([id, status]) => ({ id, ...copyStatus(status) }));
  }

  async retainTasks(connector: string, taskCount: number): Promise<void> {
    await this.#file.update((state) => {
      const tasks = state.get(connector)?.tasks;
      if (tasks === undefined) return false;
      const stale = [...tasks.keys()].filter((id) => id >= taskCount);
      for (const id of stale) tasks.delete(id);
      return stale.length > 0;
    });
  }

  async addTopic(connector: string, topic: string): Promise<void> {
    if (this.#file.settled && this.#file.current.get(connector)?.topics.includes(topic)) return;
    await this.#file.update((state) => {
      const statuses = statusesOf(state, connector);
      if (statuses.topics.includes(topic)) return false;
      statuses.topics = [...statuses.topics, topic].sort();
      return true;
    });
  }

  async topics(connector: string): Promise<string[]> {
    return [...(this.#file.current.get(connector)?.topics ?? [])];
  }

  async resetTopics(connector: string): Promise<void> {
    await this.#file.update((state) => {
      const statuses = state.get(connector);
      if (statuses === undefined || statuses.topics.length === 0) return false;
      statuses.topics = [];
      return true;
    });
  }

  async remove(connector: string): Promise<void> {
    await this.#file.update((state) => state.delete(connector));
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
