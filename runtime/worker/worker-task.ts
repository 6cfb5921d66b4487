import type { Logger } from "../api/index.ts";
import type { RunState, TargetState } from "../herder.ts";

/**
 * The base of the source and sink task loops: owns the run state, the target state (running or
 * paused), and the soft-then-hard stop, as Kafka Connect's WorkerTask.
 *
 * Contract for subclasses: `execute(signal)` runs the loop until `signal` aborts (stop requested),
 * calling `awaitUnpaused(signal)` between batches; it must leave nothing uncommitted that it has
 * written when it returns after an abort (flush, commit offsets). `cleanup()` always runs last, in
 * a finally, to close clients and call the plugin task's stop().
 */
export abstract class WorkerTask {
  readonly id: number;
  readonly logger: Logger;
  #state: RunState = "UNASSIGNED";
  #trace: string | undefined;
  #paused = false;
  #wakeUnpaused: (() => void) | undefined;
  readonly #stopController = new AbortController();
  #done: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(id: number, logger: Logger, initial: TargetState) {
    this.id = id;
    this.logger = logger;
    this.#paused = initial === "PAUSED";
  }

  get state(): RunState {
    return this.#state;
  }

  /** The stack of the error that failed the task, while FAILED. */
  get trace(): string | undefined {
    return this.#trace;
  }

  /**
   * Starts the loop. The returned promise resolves when the task stopped on request and rejects
   * with the error that failed it. Calling it twice returns the same promise.
   */
  run(): Promise<void> {
    this.#done ??= this.#runLoop();
    return this.#done;
  }

  async #runLoop(): Promise<void> {
    this.#state = this.#paused ? "PAUSED" : "RUNNING";
    try {
      await this.execute(this.#stopController.signal);
      this.#state = "STOPPED";
    } catch (error) {
      if (this.#stopController.signal.aborted && isAbort(error)) {
        this.#state = "STOPPED";
        return;
      }
      this.#state = "FAILED";
      this.#trace = (error as Error)?.stack ?? String(error);
      this.logger.error("task failed", { error: (error as Error)?.message ?? String(error) });
      throw error;
    } finally {
      try {
        await this.cleanup();
      } catch (error) {
        this.logger.warn("task cleanup failed", { error: (error as Error).message });
      }
    }
  }

  /** Moves toward PAUSED or RUNNING; a paused loop holds at its next `awaitUnpaused`. */
  setTargetState(target: "STARTED" | "PAUSED"): void {
    this.#paused = target === "PAUSED";
    if (this.#state === "RUNNING" || this.#state === "PAUSED")
      this.#state = this.#paused ? "PAUSED" : "RUNNING";
    if (!this.#paused) {
      this.#wakeUnpaused?.();
      this.#wakeUnpaused = undefined;
    }
  }

  /**
   * Asks the loop to finish its batch, commit and stop; after `timeoutMs` without that, the task is
   * cancelled: abandoned, with its uncommitted work left to be redone (at-least-once). Idempotent.
   */
  stop(timeoutMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopController.abort(new StopRequested());
      this.#wakeUnpaused?.();
      if (!this.#done) return;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const outcome = await Promise.race([
        this.#done.then(
          () => "done" as const,
          () => "done" as const,
        ),
        timedOut,
      ]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.logger.warn(`task did not stop within ${timeoutMs} ms; cancelled`);
        this.#state = "STOPPED";
        this.cancel();
      }
    })();
    return this.#stopping;
  }

  /** Waits while the target state is PAUSED; rejects when a stop is requested. */
  protected async awaitUnpaused(signal: AbortSignal): Promise<void> {
    while (this.#paused && !signal.aborted) {
      await new Promise<void>((resolve) => {
        this.#wakeUnpaused = resolve;
      });
    }
  }

  protected get isPaused(): boolean {
    return this.#paused;
  }

  protected abstract execute(signal: AbortSignal): Promise<void>;
  protected abstract cleanup(): Promise<void>;
  /** Abandons the task without waiting: close clients, drop buffers. Must not throw. */
  protected abstract cancel(): void;
}

/** The abort reason used when a task is asked to stop. */
export class StopRequested extends Error {
  constructor() {
    super("task stop requested");
    this.name = "StopRequested";
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof StopRequested || (error instanceof Error && error.name === "AbortError");
}
