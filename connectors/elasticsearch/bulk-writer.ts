import { setTimeout as sleep } from "node:timers/promises";
import type { Client, estypes } from "@elastic/elasticsearch";
import { ErrorCode, RetriableError, SluiceError } from "../../runtime/api/index.ts";
import { isTransientFailure, isTransientStatus, statusOf } from "./client.ts";
import type { BulkAction } from "./documents.ts";

/** The longest wait between two retries. */
const MAX_BACKOFF_MS = 60_000;

export interface BulkWriterOptions {
  readonly client: Client;
  readonly batchSize: number;
  /** null: no limit. */
  readonly bulkSizeBytes: number | null;
  readonly maxInFlightRequests: number;
  readonly maxRetries: number;
  readonly retryBackoffMs: number;
  /** Aborts requests and backoff waits when the task stops. */
  readonly signal: AbortSignal;
  /**
   * Called for each action the server refused for good (a 4xx other than 408, 409 and 429), with the
   * server's reason; a throw stops the write and is rethrown by `write`.
   */
  onRefused(action: BulkAction, status: number, reason: string): Promise<void>;
}

/** What `write` could not write, in the order given, and why. */
export interface BulkWriteResult {
  readonly unwritten: BulkAction[];
  /** RetriableError when retries ran out; EXTERNAL_FATAL when the server refused a whole request. */
  readonly error: SluiceError | null;
}

interface Item {
  readonly sequence: number;
  readonly action: BulkAction;
}

interface Answered {
  readonly kind: "answered";
  readonly again: Item[];
  readonly refused: Array<{ item: Item; status: number; reason: string }>;
  readonly reason: string;
}

type RequestOutcome =
  | Answered
  | { readonly kind: "failed"; readonly message: string; readonly cause: unknown }
  | { readonly kind: "refused"; readonly error: SluiceError };

interface Chunk {
  readonly items: readonly Item[];
  readonly targets: ReadonlySet<string>;
}

/** Exponential backoff with jitter: about base·2^attempt, between half of it and all of it. */
export function backoffMs(attempt: number, baseMs: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function reasonOf(error: unknown): string {
  if (typeof error !== "object" || error === null) return String(error);
  const { type, reason, caused_by: cause } = error as { type?: string; reason?: string; caused_by?: unknown };
  const text = [type, reason].filter((part) => part !== undefined).join(": ");
  return cause === undefined ? text : `${text} (caused by ${reasonOf(cause)})`;
}

/**
 * Writes bulk actions: in requests of at most batch.size actions and bulk.size.bytes, with at most
 * max.in.flight.requests requests outstanding. Two requests that share a document are never in flight
 * together, and a failed action is retried together with every later action of its document, so each
 * document sees its actions in the order given. Failed requests and failed items are retried with
 * backoff up to max.retries; what is still unwritten then is returned, not thrown.
 */
export class BulkWriter {
  readonly #o: BulkWriterOptions;

  constructor(options: BulkWriterOptions) {
    this.#o = options;
  }

  async write(actions: readonly BulkAction[]): Promise<BulkWriteResult> {
    const chunks = this.#chunks(actions);
    const inFlight = new Map<Chunk, Promise<void>>();
    const unwritten: Item[] = [];
    let error: SluiceError | null = null;
    let thrown: { error: unknown } | null = null;
    const stopped = () => error !== null || thrown !== null || this.#o.signal.aborted;
    for (const [position, chunk] of chunks.entries()) {
      while (
        !stopped() &&
        (inFlight.size >= this.#o.maxInFlightRequests || this.#sharesTargets(chunk, inFlight))
      ) {
        await Promise.race(inFlight.values());
      }
      if (stopped()) {
        for (const rest of chunks.slice(position)) unwritten.push(...rest.items);
        break;
      }
      const request = this.#send(chunk.items)
        .then((result) => {
          unwritten.push(...result.unwritten);
          error ??= result.error;
        })
        .catch((failure: unknown) => {
          unwritten.push(...chunk.items);
          thrown ??= { error: failure };
        })
        .finally(() => inFlight.delete(chunk));
      inFlight.set(chunk, request);
    }
    await Promise.all(inFlight.values());
    if (thrown !== null) throw (thrown as { error: unknown }).error;
    if (error === null && this.#o.signal.aborted && unwritten.length > 0) {
      error = new SluiceError(ErrorCode.ABORTED, "the task stopped before the bulk write finished");
    }
    unwritten.sort((a, b) => a.sequence - b.sequence);
    return { unwritten: unwritten.map((item) => item.action), error };
  }

  #chunks(actions: readonly BulkAction[]): Chunk[] {
    const chunks: Chunk[] = [];
    let items: Item[] = [];
    let bytes = 0;
    const close = () => {
      if (items.length > 0) chunks.push({ items, targets: new Set(items.map((item) => item.action.target)) });
      items = [];
      bytes = 0;
    };
    for (const [sequence, action] of actions.entries()) {
      const full =
        items.length >= this.#o.batchSize ||
        (this.#o.bulkSizeBytes !== null && bytes + action.bytes > this.#o.bulkSizeBytes);
      if (full) close();
      items.push({ sequence, action });
      bytes += action.bytes;
    }
    close();
    return chunks;
  }

  #sharesTargets(chunk: Chunk, inFlight: ReadonlyMap<Chunk, unknown>): boolean {
    for (const other of inFlight.keys()) {
      for (const target of chunk.targets) if (other.targets.has(target)) return true;
    }
    return false;
  }

  /** Sends one request's items, retrying what failed transiently; returns what is still unwritten. */
  async #send(items: readonly Item[]): Promise<{ unwritten: Item[]; error: SluiceError | null }> {
    let pending = items;
    for (let attempt = 0; ; attempt++) {
      const sent = await this.#request(pending);
      if (sent.kind === "refused") return { unwritten: [...pending], error: sent.error };
      let failure: { message: string; cause?: unknown };
      if (sent.kind === "answered") {
        for (const { item, status, reason } of sent.refused)
          await this.#o.onRefused(item.action, status, reason);
        if (sent.again.length === 0) return { unwritten: [], error: null };
        pending = sent.again;
        failure = { message: `${pending.length} documents failed, the last with ${sent.reason}` };
      } else {
        failure = sent;
      }
      if (attempt >= this.#o.maxRetries || this.#o.signal.aborted) {
        const message = `bulk write failed after ${attempt + 1} attempts: ${failure.message}`;
        return { unwritten: [...pending], error: new RetriableError(message, { cause: failure.cause }) };
      }
      try {
        await sleep(backoffMs(attempt, this.#o.retryBackoffMs), undefined, { signal: this.#o.signal });
      } catch {
        // Aborted: the next round sees the signal and gives up.
      }
    }
  }

  /** One bulk request: answered (item by item), failed transiently, or refused as a whole. */
  async #request(items: readonly Item[]): Promise<RequestOutcome> {
    try {
      const response = await this.#o.client.bulk(
        { operations: items.flatMap((item) => item.action.lines) },
        { signal: this.#o.signal },
      );
      return { kind: "answered", ...this.#outcome(items, response) };
    } catch (error) {
      if (isTransientFailure(error))
        return { kind: "failed", message: (error as Error).message, cause: error };
      const status = statusOf(error);
      const message = `the server refused a bulk request${status === undefined ? "" : ` (HTTP ${status})`}: ${(error as Error).message}`;
      return { kind: "refused", error: new SluiceError(ErrorCode.EXTERNAL_FATAL, message, { cause: error }) };
    }
  }

  /**
   * Sorts a bulk response's items: written; refused for good; to send again (transient failures and
   * the later items of their documents), with the reason of the last transient failure.
   */
  #outcome(items: readonly Item[], response: estypes.BulkResponse): Omit<Answered, "kind"> {
    const again: Item[] = [];
    const refused: Array<{ item: Item; status: number; reason: string }> = [];
    const failedTargets = new Set<string>();
    let reason = "";
    for (const [position, outcome] of response.items.entries()) {
      const item = items[position] as Item;
      const result = Object.values(outcome)[0] as { status: number; error?: unknown } | undefined;
      const status = result?.status ?? 500;
      if (failedTargets.has(item.action.target)) {
        again.push(item);
      } else if (status < 300 || (item.action.operation === "delete" && status === 404)) {
        // written
      } else if (isTransientStatus(status)) {
        again.push(item);
        failedTargets.add(item.action.target);
        reason = `HTTP ${status}: ${reasonOf(result?.error)}`;
      } else {
        refused.push({ item, status, reason: reasonOf(result?.error) });
      }
    }
    return { again, refused, reason };
  }
}
