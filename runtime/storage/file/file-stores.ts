import { join } from "node:path";
import type { Stores } from "../index.ts";
import { FileConfigStore } from "./file-config-store.ts";
import { FileOffsetStore } from "./file-offset-store.ts";
import { FileStatusStore } from "./file-status-store.ts";

/** Where the standalone stores keep their files. */
export interface FileStoreLocations {
  /** The worker's data dir (`sluice.data.dir`): holds `connectors.json` and `status.json`. */
  readonly dataDir: string;
  /** The worker's `offset.storage.file.filename`. */
  readonly offsetFile: string;
}

/**
 * Opens the three standalone stores, loading what a previous run left. Two workers must not share a
 * data dir or offset file: each would overwrite the other's writes.
 */
export async function openFileStores(locations: FileStoreLocations): Promise<Stores> {
  const [config, offsets, status] = await Promise.all([
    FileConfigStore.open(join(locations.dataDir, "connectors.json")),
    FileOffsetStore.open(locations.offsetFile),
    FileStatusStore.open(join(locations.dataDir, "status.json")),
  ]);
  let closing: Promise<void> | null = null;
  return {
    config,
    offsets,
    status,
    close: () => {
      closing ??= Promise.all([config.close(), offsets.close(), status.close()]).then(() => undefined);
      return closing;
    },
  };
}
