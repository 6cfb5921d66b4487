// Invariant: the sink loop polls and converts the next batch while the task's put of the previous one
// runs, yet the task sees what it would without that overlap: one put at a time, in offset order; flush,
// preCommit, open and close never during a put; offsets committed only for records whose put and flush
// both completed; a failed put fails the task with its own error; the next batch's bad records are
// dead-lettered (or fail the task) only after the running put, in record order; and a seek or pause by
// the task during a put keeps the records polled before it from being put.
import { afterEach, expect, test } from "vitest";
import {
  ConfigDef,
  DataError,
  type Logger,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
} from "../../../runtime/api/index.ts";
import type { Converter } from "../../../runtime/converters/converter.ts";
import { createConverter } from "../../../runtime/converters/registry.ts";
import { KafkaAdmin } from "../../../runtime/kafka/admin.ts";
import { KafkaSinkConsumer } from "../../../runtime/kafka/consumer.ts";
import { KafkaProducer } from "../../../runtime/kafka/producer.ts";
import { ClientSettings } from "../../../runtime/kafka/settings.ts";
import { buildTransformChain } from "../../../runtime/transforms/chain.ts";
import { ErrorHandler, ToleranceExceededError } from "../../../runtime/worker/error-handler.ts";
import { WorkerMetrics } from "../../../runtime/worker/metrics.ts";
import { SinkTaskRunner } from "../../../runtime/worker/sink-task-runner.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";
import { eventually } from "../../support/worker.ts";
import { bootstrapServers, createTopic, fastConsumerSettings, uniqueName } from "../kafka/fixtures.ts";

const BATCH = 10;

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Produces JSON values `{"i": n}` (or the raw text given) to partition 0, in one request. */
async function produce(topic: string, values: readonly string[]): Promise<void> {
  const producer = new KafkaProducer({ bootstrapServers, settings: ClientSettings.of({}) });
  try {
    await Promise.all(
      producer.send(
        values.map((value) => ({ topic, partition: 0, key: null, value: Buffer.from(value), headers: [] })),
      ),
    );
  } finally {
    await producer.close();
  }
}

const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify({ i: from + i }));

/** A gate that a put or flush waits at until the test opens it. */
class Gate {
  #open = false;
  #waiters: Array<() => void> = [];
  wait(): Promise<void> {
    return this.#open ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
  open(): void {
    this.#open = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/**
 * A sink task that logs what the engine calls, notes any call that overlaps a put, and lets the test
 * decide, put by put, when it returns and what it does.
 */
class RecordingSink implements SinkTask {
  readonly kind = "sink";
  readonly calls: string[] = [];
  readonly puts: bigint[][] = [];
  readonly overlaps: string[] = [];
  context: SinkTaskContext | undefined;
  /** Called at the start of the n-th put (0-based); the put returns when the promise settles. */
  onPut: (n: number, records: readonly SinkRecord[], context: SinkTaskContext) => Promise<void> | void =
    () => {};
  flushGate: Gate | null = null;
  #putting = false;

  async start(_config: unknown, context: SinkTaskContext): Promise<void> {
    this.context = context;
  }
  #enter(call: string): void {
    if (this.#putting) this.overlaps.push(call);
    this.calls.push(call);
  }
  async open(): Promise<void> {
    this.#enter("open");
  }
  async put(records: readonly SinkRecord[]): Promise<void> {
    this.#enter("put");
    this.#putting = true;
    try {
      const n = this.puts.length;
      this.puts.push(records.map((r) => r.kafkaOffset));
      await this.onPut(n, records, this.context as SinkTaskContext);
    } finally {
      this.#putting = false;
    }
  }
  async flush(): Promise<void> {
    this.#enter("flush");
    await this.flushGate?.wait();
  }
  async preCommit(
    offsets: ReadonlyMap<string, { partition: { topic: string; partition: number }; offset: bigint }>,
  ) {
    this.#enter("preCommit");
    return offsets;
  }
  async close(): Promise<void> {
    this.#enter("close");
  }
  async stop(): Promise<void> {}
}

/** Counts the values the runner converts, to see a batch prepared while a put runs. */
function counting(converter: Converter): Converter & { readonly count: number } {
  let count = 0;
  return {
    get count() {
      return count;
    },
    fromConnectData: (topic, schema, value) => converter.fromConnectData(topic, schema, value),
    toConnectData: (topic, data) => {
      count++;
      return converter.toConnectData(topic, data);
    },
  };
}

interface Started {
  runner: SinkTaskRunner;
  done: Promise<unknown>;
  converted: () => number;
  committed: () => Promise<bigint | undefined>;
  /** The offsets of the dead-lettered records, in the order they were written. */
  deadLetters: bigint[];
}

function start(task: RecordingSink, topic: string, options: { tolerance?: "none" | "all" } = {}): Started {
  const connector = uniqueName("pipeline");
  const valueConverter = counting(createConverter("json", { "schemas.enable": "false" }, false));
  const deadLetters: bigint[] = [];
  const errors = new ErrorHandler({
    config: {
      tolerance: options.tolerance ?? "none",
      retryTimeoutMs: 0,
      retryDelayMaxMs: 0,
      logEnable: false,
      logIncludeMessages: false,
      dlqTopic: "dead-letters",
      dlqContextHeaders: true,
    },
    logger: silent,
    dlq: {
      write: async (_topic, record) => {
        const offset = record.headers.find((h) => h.key === "__connect.errors.offset")?.value;
        deadLetters.push(BigInt(String(offset)));
      },
    },
    identity: { connector, task: 0 },
  });
  const runner = new SinkTaskRunner({
    connector,
    taskId: 0,
    task,
    config: new ConfigDef().parse({}),
    context: {
      connectorName: connector,
      taskId: 0,
      logger: silent,
      metrics: testTaskMetrics("sink").metrics,
    },
    transforms: buildTransformChain({}),
    keyConverter: createConverter("json", { "schemas.enable": "false" }, true),
    valueConverter,
    openConsumer: async (listener) =>
      new KafkaSinkConsumer({
        bootstrapServers,
        connectorName: connector,
        topics: [topic],
        settings: fastConsumerSettings({ "max.poll.records": BATCH }),
        listener,
        logger: silent,
      }),
    errors,
    metrics: new WorkerMetrics(),
    offsetFlushIntervalMs: 50,
    maxPollRecords: BATCH,
    initialState: "STARTED",
    onClose: async () => {},
  });
  const done = runner.run().then(
    () => undefined,
    (error: unknown) => error,
  );
  const admin = new KafkaAdmin({ bootstrapServers });
  cleanups.push(async () => {
    await runner.stop(10_000);
    await admin.close();
  });
  return {
    runner,
    done,
    converted: () => valueConverter.count,
    committed: async () =>
      (await admin.listGroupOffsets(`connect-${connector}`)).find((o) => o.topic === topic)?.offset,
    deadLetters,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("while a put is slow the next batch is converted, puts never overlap, and only flushed offsets are committed", async () => {
  const topic = await createTopic("pipeline-slow-put");
  await produce(topic, numbered(0, 3 * BATCH));
  const task = new RecordingSink();
  const firstPut = new Gate();
  task.onPut = (n) => (n === 0 ? firstPut.wait() : undefined);
  const flushes = new Gate();
  task.flushGate = flushes;
  const run = start(task, topic);

  await eventually(() => (run.converted() > BATCH ? true : undefined), 20_000, "the next batch converted");
  expect(task.puts).toHaveLength(1);
  await sleep(300);
  expect(await run.committed()).toBeUndefined();

  firstPut.open();
  await eventually(() => (task.calls.includes("flush") ? true : undefined), 20_000, "a flush");
  await sleep(300);
  expect(task.puts[0]).toEqual(range(0, BATCH));
  expect(await run.committed()).toBeUndefined();

  flushes.open();
  await eventually(async () => ((await run.committed()) === BigInt(3 * BATCH) ? true : undefined));
  expect(task.calls.filter((call) => call === "preCommit").length).toBeGreaterThan(0);
  expect(task.puts.flat()).toEqual(range(0, 3 * BATCH));
  expect(task.overlaps).toEqual([]);
});

test("a put that fails while the next batch waits fails the task with its error and commits only what was put before", async () => {
  const topic = await createTopic("pipeline-failed-put");
  await produce(topic, numbered(0, 3 * BATCH));
  const task = new RecordingSink();
  const secondPut = new Gate();
  let convertedDuringSecondPut = 0;
  const run = start(task, topic);
  task.onPut = async (n) => {
    if (n !== 1) return;
    await secondPut.wait();
    convertedDuringSecondPut = run.converted();
    throw new Error("the target refused the batch");
  };
  await eventually(
    () => (run.converted() > 2 * BATCH ? true : undefined),
    20_000,
    "the third batch converted",
  );
  secondPut.open();

  const error = await run.done;
  expect((error as Error).message).toBe("the target refused the batch");
  expect(run.runner.state).toBe("FAILED");
  expect(convertedDuringSecondPut).toBe(3 * BATCH);
  expect(task.puts).toEqual([range(0, BATCH), range(BATCH, 2 * BATCH)]);
  expect(await run.committed()).toBe(BigInt(BATCH));
  expect(task.overlaps).toEqual([]);
});

test("bad records of the next batch are dead-lettered after the running put's errant records, in record order", async () => {
  const topic = await createTopic("pipeline-dead-letters");
  const values = numbered(0, 2 * BATCH);
  values[BATCH + 2] = "not json{";
  await produce(topic, values);
  const task = new RecordingSink();
  const firstPut = new Gate();
  const run = start(task, topic, { tolerance: "all" });
  task.onPut = async (n, records, context) => {
    if (n !== 0) return;
    await firstPut.wait();
    await context.reportErrant(records[5] as SinkRecord, new DataError("the target refused record 5"));
  };
  await eventually(() => (run.converted() === 2 * BATCH ? true : undefined), 20_000, "the poison converted");
  await sleep(200);
  expect(run.deadLetters).toEqual([]);
  firstPut.open();

  await eventually(() => (run.deadLetters.length === 2 ? true : undefined), 20_000, "two dead letters");
  expect(run.deadLetters).toEqual([5n, BigInt(BATCH + 2)]);
  await eventually(() => (task.puts.length === 2 ? true : undefined));
  expect(task.puts[1]).toEqual(range(BATCH, 2 * BATCH).filter((offset) => offset !== BigInt(BATCH + 2)));
  await eventually(async () => ((await run.committed()) === BigInt(2 * BATCH) ? true : undefined));
});

test("with errors.tolerance=none a bad record of the next batch fails the task only after the running put, whose offsets are committed", async () => {
  const topic = await createTopic("pipeline-tolerance-none");
  const values = numbered(0, 2 * BATCH);
  values[BATCH + 2] = "not json{";
  await produce(topic, values);
  const task = new RecordingSink();
  const firstPut = new Gate();
  task.onPut = (n) => (n === 0 ? firstPut.wait() : undefined);
  const run = start(task, topic);
  await eventually(() => (run.converted() === 2 * BATCH ? true : undefined), 20_000, "the poison converted");
  await sleep(200);
  expect(run.runner.state).toBe("RUNNING");
  firstPut.open();

  const error = await run.done;
  expect(error).toBeInstanceOf(ToleranceExceededError);
  expect((error as Error).message).toMatch(/stage VALUE_CONVERTER/);
  expect(task.puts).toEqual([range(0, BATCH)]);
  expect(await run.committed()).toBe(BigInt(BATCH));
});

test("a seek by the task during a put makes the next put start where it sought, not with the batch polled before", async () => {
  const topic = await createTopic("pipeline-seek");
  await produce(topic, numbered(0, 3 * BATCH));
  const task = new RecordingSink();
  const firstPut = new Gate();
  const run = start(task, topic);
  task.onPut = async (n, _records, context) => {
    if (n !== 0) return;
    await firstPut.wait();
    context.seek({ topic, partition: 0 }, 5n);
  };
  await eventually(() => (run.converted() > BATCH ? true : undefined), 20_000, "the next batch converted");
  firstPut.open();

  await eventually(() => (task.puts.flat().at(-1) === BigInt(3 * BATCH - 1) ? true : undefined));
  expect(task.puts[0]).toEqual(range(0, BATCH));
  expect(task.puts.slice(1).flat()).toEqual(range(5, 3 * BATCH));
  await eventually(async () => ((await run.committed()) === BigInt(3 * BATCH) ? true : undefined));
  expect(task.overlaps).toEqual([]);
});

test("a partition the task pauses during a put gets no more records until it resumes, then the next ones in order", async () => {
  const topic = await createTopic("pipeline-pause");
  await produce(topic, numbered(0, 3 * BATCH));
  const task = new RecordingSink();
  const firstPut = new Gate();
  const run = start(task, topic);
  task.onPut = async (n, _records, context) => {
    if (n !== 0) return;
    await firstPut.wait();
    context.pause([{ topic, partition: 0 }]);
  };
  await eventually(() => (run.converted() > BATCH ? true : undefined), 20_000, "the next batch converted");
  firstPut.open();
  await sleep(1_000);
  expect(task.puts).toEqual([range(0, BATCH)]);

  (task.context as SinkTaskContext).resume([{ topic, partition: 0 }]);
  await eventually(() => (task.puts.flat().length === 3 * BATCH ? true : undefined));
  expect(task.puts.flat()).toEqual(range(0, 3 * BATCH));
  expect(task.overlaps).toEqual([]);
});
