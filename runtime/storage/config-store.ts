import type { ConnectorConfig, TargetState } from "../herder.ts";

/** One connector as the config store keeps it: what the user asked for, and how it was split into tasks. */
export interface ConnectorEntry {
  /** The config as the user gave it: `${provider:…}` placeholders stay unresolved, never the secret. */
  readonly config: ConnectorConfig;
  readonly targetState: TargetState;
  /**
   * One config per task, as the connector last generated them (with placeholders restored); empty
   * until the connector has generated them once.
   */
  readonly taskConfigs: readonly ConnectorConfig[];
}

/** A change the store has made durable, in the order the store applied it. */
export type ConfigStoreEvent =
  | { readonly type: "connector-config"; readonly name: string }
  | { readonly type: "connector-removed"; readonly name: string }
  | { readonly type: "target-state"; readonly name: string; readonly targetState: TargetState }
  | { readonly type: "task-configs"; readonly name: string };

/**
 * Connector configs, target states and task configs, keyed by connector name.
 *
 * What every backend guarantees:
 *  - A write is durable when its promise resolves (file: fsynced and renamed into place; Kafka
 *    compacted topic: acknowledged by all in-sync replicas), and reads issued after it see it.
 *  - Writes are applied in call order; reads never see a write half-applied. `putTaskConfigs` in
 *    particular replaces the whole set at once (a Kafka backend writes one record per task and then a
 *    commit record with the count, and applies a set only once its commit record is read).
 *  - Subscribers hear of every change, including changes other workers made (distributed mode),
 *    after it is durable and readable. A Kafka backend reads the topic to its end before `open`
 *    resolves, so the first reads see everything written before.
 *  - A failed write rejects and leaves the stored state as it was.
 */
export interface ConfigStore {
  /** The names of all connectors, sorted. */
  list(): Promise<string[]>;
  /** The connector, or null when there is none of that name. */
  get(name: string): Promise<ConnectorEntry | null>;
  /**
   * Creates the connector with `initialState` (default STARTED) and no task configs, or replaces the
   * config of an existing one, keeping its target state and task configs until new ones are put.
   */
  put(name: string, config: ConnectorConfig, options?: { initialState?: TargetState }): Promise<void>;
  /** Removes the connector and its task configs; resolves false when there was none. */
  remove(name: string): Promise<boolean>;
  /** Throws CONNECTOR_NOT_FOUND when there is no such connector. */
  setTargetState(name: string, targetState: TargetState): Promise<void>;
  /** Replaces all task configs of the connector; throws CONNECTOR_NOT_FOUND when there is none. */
  putTaskConfigs(name: string, taskConfigs: readonly ConnectorConfig[]): Promise<void>;
  /**
   * Calls `listener` after each durable change, in order. A listener must not throw: a throw is
   * reported as a process warning and does not affect the write or other listeners. Returns the
   * function that unsubscribes.
   */
  subscribe(listener: (event: ConfigStoreEvent) => void): () => void;
  /** Waits for writes already issued, then refuses new ones. Idempotent. */
  close(): Promise<void>;
}
