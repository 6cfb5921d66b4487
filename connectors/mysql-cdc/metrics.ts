import { RateMeter } from "../../runtime/api/index.ts";

/**
 * What a mysql-cdc task counts as it reads: change events (snapshot reads and streamed row changes),
 * and how far behind the server it is, from the timestamps the server wrote into the binlog.
 *
 * Milliseconds behind the source is, while binlog events wait to be turned into records (the task is
 * paused, Kafka pushes back, a backlog is being read), the age of the oldest waiting event: it grows
 * for as long as the task does not catch up. Once nothing waits, it is the delay with which the last
 * event was processed (Debezium's MilliSecondsBehindSource), so an idle connector neither drifts
 * upward nor hides that its last changes came late — e.g. from a replica that lags its primary.
 * Binlog timestamps have whole seconds, so the figure can be up to 1000 ms high.
 */
export class CdcMetrics {
  /** Change events read: one per snapshot row and per changed row of a captured table. */
  readonly changeEvents: RateMeter;
  readonly #now: () => number;
  #lastDelayMs = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.changeEvents = new RateMeter({ now });
  }

  /** Binlog events up to one the server wrote at `timestamp` (ms) were just turned into records. */
  binlogProcessed(timestamp: number): void {
    this.#lastDelayMs = Math.max(0, this.#now() - timestamp);
  }

  /** `oldestWaiting`: when the server wrote the oldest event read but not yet processed; null when none. */
  millisecondsBehindSource(oldestWaiting: number | null): number {
    return oldestWaiting === null ? this.#lastDelayMs : Math.max(0, this.#now() - oldestWaiting);
  }
}
