import type { SourceOffset, SourcePartition } from "../../api/index.ts";
import { canonicalJson, type OffsetEntry, type OffsetStore, partitionKey } from "../offset-store.ts";
import { DurableState, expectObject, expectVersionedDocument, type StateCodec } from "./durable-state.ts";

/** connector → partition key → entry. */
type OffsetState = Map<string, Map<string, OffsetEntry>>;

const codec: StateCodec<OffsetState> = {
  description: "offset store",
  empty: () => new Map(),
  encode: (state) => ({
    version: 1,
    connectors: Object.fromEntries(
      [...state].map(([connector, entries]) => [connector, [...entries.values()]]),
    ),
  }),
  decode: (document) => {
    const connectors = expectObject(expectVersionedDocument(document).connectors, "connectors");
    const state: OffsetState = new Map();
    for (const [connector, list] of Object.entries(connectors)) {
      if (!Array.isArray(list)) throw new Error(`offsets of connector "${connector}" are not a list`);
      const entries = new Map<string, OffsetEntry>();
      for (const item of list) {
        const entry = expectObject(item, `an offset entry of connector "${connector}"`);
        const partition = expectObject(
          entry.partition,
          `a partition of connector "${connector}"`,
        ) as SourcePartition;
        const offset = expectObject(entry.offset, `an offset of connector "${connector}"`) as SourceOffset;
        canonicalJson(offset, "source offset");
        entries.set(partitionKey(partition), { partition, offset });
      }
      state.set(connector, entries);
    }
    return state;
  },
};

/**
 * The standalone OffsetStore: one JSON file at the worker's `offset.storage.file.filename`, holding
 * every connector's offsets, replaced atomically on each flush.
 */
export class FileOffsetStore implements OffsetStore {
  readonly #file: DurableState<OffsetState>;

  private constructor(file: DurableState<OffsetState>) {
    this.#file = file;
  }

  static async open(path: string): Promise<FileOffsetStore> {
    return new FileOffsetStore(await DurableState.open(path, codec));
  }

  async get(connector: string, partition: SourcePartition): Promise<SourceOffset | null> {
    const entry = this.#file.current.get(connector)?.get(partitionKey(partition));
    return entry === undefined ? null : { ...entry.offset };
  }

  async getAll(connector: string): Promise<OffsetEntry[]> {
    const entries = this.#file.current.get(connector);
    if (entries === undefined) return [];
    return [...entries.keys()].sort().map((key) => structuredClone(entries.get(key) as OffsetEntry));
  }

  async set(
    connector: string,
    entries: ReadonlyArray<{ partition: SourcePartition; offset: SourceOffset | null }>,
  ): Promise<void> {
    // Checked and copied before queueing, so that a bad value fails this call alone and later changes
    // to the caller's maps cannot reach the store.
    const changes = entries.map(({ partition, offset }) => ({
      key: partitionKey(partition),
      partition: { ...partition },
      offset: offset === null ? null : { ...offset },
    }));
    for (const { offset } of changes) if (offset !== null) canonicalJson(offset, "source offset");
    if (changes.length === 0) return;
    await this.#file.update((state) => {
      const stored = state.get(connector) ?? new Map<string, OffsetEntry>();
      for (const { key, partition, offset } of changes) {
        if (offset === null) stored.delete(key);
        else stored.set(key, { partition, offset });
      }
      if (stored.size === 0) state.delete(connector);
      else state.set(connector, stored);
      return true;
    });
  }

  async reset(connector: string): Promise<void> {
    await this.#file.update((state) => state.delete(connector));
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
