/**
 * Figures a task publishes about itself: how far behind its source it is, how fast it reads, how far a
 * snapshot got. A task declares each metric once, in `start()`, with a function that answers the
 * current value; the engine calls it whenever it needs the figure — on each scrape of `GET /metrics`
 * and on each `GET /connectors/{name}/status` — for as long as the task runs. Pulling instead of
 * pushing keeps the hot path free of metric updates, and lets a figure that depends on the time (a lag)
 * be right at the moment it is read, also while the task is paused and not polled.
 */

/** One value of a metric with labels of its own, e.g. `{ labels: { table: "shop.orders" }, value: 42 }`. */
export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The current figure: one number, one sample per label set, or null when it does not apply now. */
export type MetricReading = number | readonly MetricSample[] | null;

export interface MetricSpec {
  /**
   * snake_case, unique within the task, e.g. `milliseconds_behind_source`. The engine publishes it as
   * `sluice_source_<name>` (or `sluice_sink_<name>`) labelled with the connector and the task id, and
   * under `<name>` in the task's status.
   */
  readonly name: string;
  /** One sentence: what is measured, in which unit. */
  readonly help: string;
  /** The labels of each sample, besides the engine's `connector` and `task`; none by default. */
  readonly labelNames?: readonly string[];
}

/**
 * The metrics handle a task gets in its context. `read` must be cheap and must not block: it runs on
 * every scrape. A read that throws is skipped for that scrape. Declaring a name twice, a name that is
 * not snake_case, or the label `connector` or `task`, throws.
 */
export interface TaskMetrics {
  /** A figure that goes up and down (a lag, a rate, a progress count). */
  gauge(spec: MetricSpec, read: () => MetricReading): void;
  /** A count that only grows while the task runs; a restarted task counts from 0 again. */
  counter(spec: MetricSpec, read: () => MetricReading): void;
}

/**
 * Counts events and answers their rate over a recent window (the last `windowSeconds`, in one-second
 * slots), so that a task can publish both a running total and a current rate.
 */
export class RateMeter {
  readonly #windowSeconds: number;
  readonly #now: () => number;
  readonly #started: number;
  /** Events per second slot; slot `s % windowSeconds` holds second `s` while `s` is in the window. */
  readonly #slots: number[];
  #second: number;
  #total = 0;

  constructor(options: { windowSeconds?: number; now?: () => number } = {}) {
    this.#windowSeconds = options.windowSeconds ?? 10;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.#slots = new Array<number>(this.#windowSeconds).fill(0);
    this.#second = Math.floor(this.#started / 1000);
  }

  /** Counts `count` events now. */
  record(count = 1): void {
    this.#advance(this.#now());
    this.#slots[this.#second % this.#windowSeconds] =
      (this.#slots[this.#second % this.#windowSeconds] ?? 0) + count;
    this.#total += count;
  }

  /** Every event counted since the meter was made. */
  get total(): number {
    return this.#total;
  }

  /** Events per second over the window (or since the meter was made, when that is shorter). */
  perSecond(): number {
    const now = this.#now();
    this.#advance(now);
    const span = Math.min(
      (this.#windowSeconds - 1) * 1000 + (now - this.#second * 1000),
      now - this.#started,
    );
    if (span <= 0) return 0;
    return (this.#slots.reduce((sum, n) => sum + n, 0) * 1000) / span;
  }

  /** Moves the current slot to `now`'s second, emptying the slots of the seconds that passed. */
  #advance(now: number): void {
    const second = Math.floor(now / 1000);
    const passed = Math.min(second - this.#second, this.#windowSeconds);
    for (let i = 1; i <= passed; i++) this.#slots[(this.#second + i) % this.#windowSeconds] = 0;
    if (second > this.#second) this.#second = second;
  }
}
