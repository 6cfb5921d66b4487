/**
 * The three stores a worker keeps its state in; backends live in subfolders: `file/` for all three,
 * `kafka/` for source offsets when sources run exactly-once.
 */
import type { ConfigStore } from "./config-store.ts";
import type { OffsetStore } from "./offset-store.ts";
import type { StatusStore } from "./status-store.ts";

export type { ConfigStore, ConfigStoreEvent, ConnectorEntry } from "./config-store.ts";
export { canonicalJson, type OffsetEntry, type OffsetStore, partitionKey } from "./offset-store.ts";
export type { RunStatus, StatusStore } from "./status-store.ts";

export interface Stores {
  readonly config: ConfigStore;
  readonly offsets: OffsetStore;
  readonly status: StatusStore;
  /** Closes all three; idempotent. */
  close(): Promise<void>;
}
