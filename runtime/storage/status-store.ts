import type { RunState } from "../herder.ts";

/** The observed state of a connector or task, and who observed it. */
export interface RunStatus {
  readonly state: RunState;
  /** The worker running it, e.g. `127.0.0.1:8083`. */
  readonly workerId: string;
  /** The error's stack when FAILED. */
  readonly trace?: string;
}

/**
 * Run states of connectors and tasks, and the topics each connector has used (for
 * `GET /connectors/{name}/topics`).
 *
 * What every backend guarantees:
 *  - A write is durable when its promise resolves, and reads issued after it see it. Writes for one
 *    connector or task are applied in call order.
 *  - Statuses are observations, not intents: after a worker restart they describe the previous run
 *    until the supervisor writes new ones.
 *  - Topics are kept until `resetTopics` or `remove`, across restarts.
 *  - A distributed backend will add a generation to each status so that a worker that lost an
 *    assignment cannot overwrite the status its successor wrote (Kafka Connect's `putSafe`); it will
 *    be an optional field of RunStatus, so that callers written now keep working.
 */
export interface StatusStore {
  putConnector(connector: string, status: RunStatus): Promise<void>;
  putTask(connector: string, task: number, status: RunStatus): Promise<void>;
  /** The connector's status, or null when none was written. */
  connector(connector: string): Promise<RunStatus | null>;
  /** The statuses of the connector's tasks, ordered by task id. */
  tasks(connector: string): Promise<Array<RunStatus & { id: number }>>;
  /** Drops the statuses of tasks whose id is `taskCount` or more, after a reconfiguration to fewer tasks. */
  retainTasks(connector: string, taskCount: number): Promise<void>;
  /** Records that the connector used `topic`; cheap when it is known already. */
  addTopic(connector: string, topic: string): Promise<void>;
  /** The topics the connector used since they were last reset, sorted. */
  topics(connector: string): Promise<string[]>;
  resetTopics(connector: string): Promise<void>;
  /** Forgets the connector: its status, its tasks' statuses and its topics. */
  remove(connector: string): Promise<void>;
  /** Waits for writes already issued, then refuses new ones. Idempotent. */
  close(): Promise<void>;
}
