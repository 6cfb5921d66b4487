import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

let tempCounter = 0;

/** The temp file names `writeFileAtomic` uses for `path`: `<name>.<pid>.<n>.tmp` beside it. */
function isTempFileOf(path: string, candidate: string): boolean {
  const prefix = `${basename(path)}.`;
  return candidate.startsWith(prefix) && /^\d+\.\d+\.tmp$/.test(candidate.slice(prefix.length));
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces the file at `path` with `data` so that a crash at any moment leaves either the old or the
 * new content, never a mix: writes a temp file beside it, fsyncs it, renames it over `path` and
 * fsyncs the directory so that the rename itself survives power loss.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  tempCounter += 1;
  const temp = `${path}.${process.pid}.${tempCounter}.tmp`;
  const handle = await open(temp, "w", 0o600);
  try {
    await handle.writeFile(data, "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(path));
}

/**
 * Makes sure the directory of `path` exists and removes temp files a crashed `writeFileAtomic` left
 * behind; they never hold state, since only a completed rename publishes a write.
 */
export async function prepareDirectory(path: string): Promise<void> {
  const dir = dirname(path);
  const created = await mkdir(dir, { recursive: true });
  if (created !== undefined) await fsyncDirectory(dirname(created));
  for (const entry of await readdir(dir)) {
    if (isTempFileOf(path, entry)) await rm(join(dir, entry), { force: true });
  }
}

/** The file's text, or null when there is no file. */
export async function readTextFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
