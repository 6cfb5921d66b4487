import type { Logger } from "../api/index.ts";
import type { RunState, TargetState } from "../herder.ts";
import { backoffDelay } from "./backoff.ts";
import type { WorkerTask } from "./worker-task.ts";

export interface RestartPolicy {
  /** First wait before restarting a failed task. */
  initialBackoffMs: number;
  /** Longest wait between restarts. */
  maxBackoffMs: number;
  /** Restarts allowed within `windowMs`; once spent, the task stays FAILED until restarted by hand. */
  budget: number;
  windowMs: number;
}

export interface SupervisedStatus {
  state: RunState;
  trace?: string;
  /** Automatic restarts so far. */
  restarts: number;
}

/**
 * Keeps one task running: when it fails, restarts it after an exponential backoff, as long as the
 * restart budget of the window allows; then it stays FAILED with its trace. Kafka Connect leaves
 * failed tasks failed; its users script the restart. This does it for them.
 */
export class SupervisedTask {
  readonly #create: (target: TargetState) => WorkerTask;
  #target: "STARTED" | "PAUSED";
  readonly #policy: RestartPolicy;
  readonly #logger: Logger;
  readonly #onStatus: (status: SupervisedStatus) => void;
  readonly #onRestart: () => void;
  readonly #now: () => number;
  #task: WorkerTask | undefined;
  #restartTimes: number[] = [];
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastFailure: string | undefined;

  /** `create` makes a fresh task that starts in the given target state; it is called for every (re)start. */
  constructor(options: {
    create: (target: TargetState) => WorkerTask;
    initialTarget: "STARTED" | "PAUSED";
    policy: RestartPolicy;
    logger: Logger;
    onStatus: (status: SupervisedStatus) => void;
    onRestart?: () => void;
    now?: () => number;
  }) {
    this.#create = options.create;
    this.#target = options.initialTarget;
    this.#policy = options.policy;
    this.#logger = options.logger;
    this.#onStatus = options.onStatus;
    this.#onRestart = options.onRestart ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  get status(): SupervisedStatus {
    const task = this.#task;
    if (!task)
      return {
        state: this.#lastFailure ? "FAILED" : "UNASSIGNED",
        trace: this.#lastFailure,
        restarts: this.#restarts,
      };
    if (task.state === "FAILED") return { state: "FAILED", trace: task.trace, restarts: this.#restarts };
    return { state: task.state, restarts: this.#restarts };
  }

  get task(): WorkerTask | undefined {
    return this.#task;
  }

  /** Starts the task (again); a manual start also resets the restart budget. */
  start(manual = true): void {
    if (this.#closed) return;
    if (manual) this.#restartTimes = [];
    clearTimeout(this.#timer);
    const task = this.#create(this.#target);
    this.#task = task;
    const running = task.run();
    this.#report();
    running.then(
      () => this.#report(),
      (error: unknown) => {
        if (this.#task !== task) return;
        this.#lastFailure = task.trace;
        this.#report();
        this.#scheduleRestart(error);
      },
    );
  }

  #scheduleRestart(error: unknown): void {
    if (this.#closed) return;
    const now = this.#now();
    this.#restartTimes = this.#restartTimes.filter((t) => now - t < this.#policy.windowMs);
    if (this.#restartTimes.length >= this.#policy.budget) {
      this.#logger.error(
        `task failed and its restart budget (${this.#policy.budget} in ${this.#policy.windowMs} ms) is spent; it stays FAILED`,
        {
          error: (error as Error)?.message,
        },
      );
      return;
    }
    const delay = backoffDelay(
      this.#restartTimes.length,
      this.#policy.initialBackoffMs,
      this.#policy.maxBackoffMs,
    );
    this.#restartTimes.push(now);
    this.#logger.warn(`task failed; restarting in ${delay} ms`, { error: (error as Error)?.message });
    this.#timer = setTimeout(() => {
      this.#restarts++;
      this.#onRestart();
      this.start(false);
    }, delay);
  }

  setTargetState(target: "STARTED" | "PAUSED"): void {
    this.#target = target;
    this.#task?.setTargetState(target);
    this.#report();
  }

  /** Stops the task and any pending restart. Idempotent. */
  async stop(timeoutMs: number): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#task?.stop(timeoutMs);
    this.#report();
  }

  #report(): void {
    this.#onStatus(this.status);
  }
}
