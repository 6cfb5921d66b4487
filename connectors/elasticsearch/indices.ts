import type { Client } from "@elastic/elasticsearch";
import { ErrorCode, RetriableError, SluiceError } from "../../runtime/api/index.ts";
import { isTransientFailure, statusOf } from "./client.ts";
import { type BulkAction, mappingOf } from "./documents.ts";

/**
 * Creates each index the task writes to that does not exist yet, with the mapping derived from the value
 * schema of the first of its records that has one (schema.ignore=false). An index that exists is left as
 * it is; each index is looked at once per task.
 */
export class IndexCreator {
  readonly #client: Client;
  readonly #signal: AbortSignal;
  readonly #known = new Set<string>();

  constructor(client: Client, signal: AbortSignal) {
    this.#client = client;
    this.#signal = signal;
  }

  async ensure(actions: readonly BulkAction[]): Promise<void> {
    const firsts = new Map<string, BulkAction>();
    for (const action of actions) {
      if (this.#known.has(action.index)) continue;
      const first = firsts.get(action.index);
      if (
        first === undefined ||
        (first.record.valueSchema === undefined && action.record.valueSchema !== undefined)
      ) {
        firsts.set(action.index, action);
      }
    }
    for (const [index, action] of firsts) {
      await this.#create(index, action);
      this.#known.add(index);
    }
  }

  async #create(index: string, action: BulkAction): Promise<void> {
    const schema = action.record.valueSchema;
    const mapping = schema?.type === "struct" ? mappingOf(schema) : null;
    try {
      if (await this.#client.indices.exists({ index }, { signal: this.#signal })) return;
      await this.#client.indices.create(
        { index, ...(mapping !== null ? { mappings: mapping } : {}) },
        { signal: this.#signal },
      );
    } catch (error) {
      const type = (error as { body?: { error?: { type?: string } } }).body?.error?.type;
      if (type === "resource_already_exists_exception") return;
      if (isTransientFailure(error))
        throw new RetriableError(`cannot create index ${index}: ${(error as Error).message}`, {
          cause: error,
        });
      throw new SluiceError(
        ErrorCode.EXTERNAL_FATAL,
        `the server refused to create index ${index} (HTTP ${statusOf(error) ?? "?"}): ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
