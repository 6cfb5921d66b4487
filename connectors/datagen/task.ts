import { setTimeout as sleep } from "node:timers/promises";
import {
  ErrorCode,
  type Logger,
  type ParsedConfig,
  SluiceError,
  type SourceRecord,
  type SourceTask,
  type SourceTaskContext,
} from "../../runtime/api/index.ts";
import { type DatagenSettings, datagenSettings } from "./config.ts";
import { datagenOffset, datagenPartition, iterationOfOffset } from "./offsets.ts";
import { RecordRandom } from "./random.ts";

/** Records per poll when `max.interval` is 0. */
const BATCH_SIZE = 1_000;
/** How long a poll waits once every iteration is generated, so that the engine's loop does not spin. */
const IDLE_POLL_MS = 1_000;

/**
 * Record `iteration` of task `taskId`: a pure function of the settings, the task and the iteration.
 * The key is the text of the key field, as Confluent's datagen writes it; headers carry the task and
 * iteration.
 */
export function datagenRecord(settings: DatagenSettings, taskId: number, iteration: number): SourceRecord {
  const value = settings.quickstart.value(new RecordRandom(settings.seed, taskId, iteration), iteration);
  return {
    topic: settings.topic,
    key: String(value[settings.keyField]),
    keySchema: { type: "string" },
    value,
    valueSchema: settings.quickstart.valueSchema,
    headers: [
      { key: "task.id", value: String(taskId) },
      { key: "current.iteration", value: String(iteration) },
    ],
    sourcePartition: datagenPartition(taskId),
    sourceOffset: datagenOffset(iteration),
  };
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}

/**
 * Generates one stream of records, `{task: id}`, resuming after the iteration its committed offset
 * names. With `max.interval` > 0 each poll waits a random time up to it and returns one record; with 0
 * each poll returns a batch at once.
 */
export class DatagenTask implements SourceTask {
  readonly kind = "source";
  #settings: DatagenSettings | null = null;
  #logger: Logger | null = null;
  #taskId = 0;
  #next = 0;
  #reportedDone = false;

  async start(config: ParsedConfig, context: SourceTaskContext): Promise<void> {
    this.#settings = datagenSettings(config, context.connectorName);
    this.#logger = context.logger;
    this.#taskId = context.taskId;
    const committed = await context.offset(datagenPartition(context.taskId));
    if (committed === null) {
      this.#next = 0;
      return;
    }
    const iteration = iterationOfOffset(committed);
    if (iteration === undefined) {
      throw new SluiceError(
        ErrorCode.INTERNAL,
        `task ${context.taskId} has the stored offset ${JSON.stringify(committed)}, not {"iteration": <n>}; reset the connector's offsets or alter them to {"iteration": <n>}`,
      );
    }
    this.#next = iteration + 1;
  }

  async poll(signal: AbortSignal): Promise<SourceRecord[] | null> {
    const settings = this.#settings;
    if (settings === null) throw new SluiceError(ErrorCode.INTERNAL, "poll was called before start");
    const remaining = settings.iterations === null ? BATCH_SIZE : settings.iterations - this.#next;
    if (remaining <= 0) {
      if (!this.#reportedDone) {
        this.#reportedDone = true;
        this.#logger?.info("generated every iteration; idle until reconfigured", {
          iterations: settings.iterations,
        });
      }
      await pause(IDLE_POLL_MS, signal);
      return null;
    }
    if (settings.maxIntervalMs > 0) {
      if (!(await pause(Math.random() * settings.maxIntervalMs, signal))) return null;
      return [this.#generate(settings)];
    }
    if (signal.aborted) return null;
    return Array.from({ length: Math.min(BATCH_SIZE, remaining) }, () => this.#generate(settings));
  }

  #generate(settings: DatagenSettings): SourceRecord {
    const record = datagenRecord(settings, this.#taskId, this.#next);
    this.#next += 1;
    return record;
  }

  async stop(): Promise<void> {
    this.#settings = null;
  }
}
