import { ErrorCode, SluiceError } from "../../api/index.ts";
import { prepareDirectory, readTextFile, writeFileAtomic } from "./atomic-file.ts";

/** How one store's state is kept in its file. */
export interface StateCodec<T> {
  /** What the file holds, e.g. "config store"; named in errors. */
  readonly description: string;
  readonly empty: () => T;
  /** The JSON document to write. */
  readonly encode: (state: T) => unknown;
  /** The state from a parsed document; throws (with a message saying what is wrong) when it is not one. */
  readonly decode: (document: unknown) => T;
}

interface PendingUpdate<T> {
  mutate(draft: T): boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A store's whole state, held in memory and mirrored to one JSON file that is replaced atomically on
 * every change. `current` is always the last state that reached the disk: an update becomes visible
 * only once it is durable, and a failed write leaves `current` as it was. Updates issued while a write
 * is in flight are applied together and written once.
 */
export class DurableState<T> {
  readonly #path: string;
  readonly #codec: StateCodec<T>;
  #state: T;
  #pending: Array<PendingUpdate<T>> = [];
  #draining: Promise<void> | null = null;
  #closed = false;

  private constructor(path: string, codec: StateCodec<T>, state: T) {
    this.#path = path;
    this.#codec = codec;
    this.#state = state;
  }

  /** Loads the file at `path` (an absent file is the empty state). Throws INTERNAL when it is not ours. */
  static async open<T>(path: string, codec: StateCodec<T>): Promise<DurableState<T>> {
    await prepareDirectory(path);
    const text = await readTextFile(path);
    if (text === null) return new DurableState(path, codec, codec.empty());
    let state: T;
    try {
      state = codec.decode(JSON.parse(text));
    } catch (error) {
      throw new SluiceError(
        ErrorCode.INTERNAL,
        `${path} is not a Sluice ${codec.description} file (${(error as Error).message}); restore it from a backup or move it away to start empty`,
        { cause: error },
      );
    }
    return new DurableState(path, codec, state);
  }

  get path(): string {
    return this.#path;
  }

  /** True when no update is queued or being written: `current` is then the state after every call so far. */
  get settled(): boolean {
    return this.#draining === null;
  }

  /** The last durable state. Callers must not change it; they change it through `update`. */
  get current(): T {
    return this.#state;
  }

  /**
   * Applies `mutate` to a copy of the state and writes it; `mutate` returns whether it changed
   * anything. Resolves once the change is durable and visible in `current` (at once, after the
   * updates before it, when nothing changed). A throw from `mutate` rejects this update only and
   * changes nothing.
   */
  update(mutate: (draft: T) => boolean): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new SluiceError(ErrorCode.INTERNAL, `the ${this.#codec.description} is closed`));
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pending.push({ mutate, resolve, reject });
    this.#draining ??= this.#drain();
    return promise;
  }

  async #drain(): Promise<void> {
    // Yield first, so that `#draining` is assigned before this can finish and clear it.
    await Promise.resolve();
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      let next = this.#state;
      let changed = false;
      const applied: Array<PendingUpdate<T>> = [];
      for (const update of batch) {
        const draft = structuredClone(next);
        try {
          if (update.mutate(draft)) {
            next = draft;
            changed = true;
          }
        } catch (error) {
          update.reject(error);
          continue;
        }
        applied.push(update);
      }
      if (!changed) {
        for (const update of applied) update.resolve();
        continue;
      }
      try {
        await writeFileAtomic(this.#path, `${JSON.stringify(this.#codec.encode(next), null, 2)}\n`);
        this.#state = next;
        for (const update of applied) update.resolve();
      } catch (error) {
        for (const update of applied) update.reject(error);
      }
    }
    this.#draining = null;
  }

  /** Waits for updates already issued; later updates reject. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
  }
}

/** Throws unless `document` is an object with `version: 1`; returns it as a record. */
export function expectVersionedDocument(document: unknown): Record<string, unknown> {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new Error("the file does not hold a JSON object");
  }
  const record = document as Record<string, unknown>;
  if (record.version !== 1) throw new Error(`unknown version ${JSON.stringify(record.version)}`);
  return record;
}

/** Throws unless `value` is a JSON object; returns it as a record. */
export function expectObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
