import { Consumer, Producer } from "@platformatic/kafka";
import kafkajs from "kafkajs";
import { KafkaProducer, KafkaSinkConsumer, type ProduceRecord } from "../../runtime/kafka/index.ts";
import { compareWithCeiling, type Measured } from "../report.ts";
import { ratePerSecond, type Scenario, type ScenarioContext } from "../scenario.ts";
import { recordOf } from "../support/documents.ts";
import { uniqueName } from "../support/kafka.ts";
import { ownCpuMicros } from "../support/process-stats.ts";

/**
 * Kafka client ceiling: how fast the client library Sluice uses (@platformatic/kafka) produces and
 * consumes on the stack's broker, raw and through Sluice's data plane (runtime/kafka), and how fast
 * kafkajs does the same. Every client writes the same records (about 200 bytes of JSON each) with
 * acks=all into a fresh topic of one partition, then reads them back from the start in a fresh group.
 *
 * Produce: `send` calls of 1,000 records, at most 4 under way (the raw clients); Sluice's KafkaProducer is
 * given the same calls and batches as it does for source tasks (its defaults: idempotent, linger.ms 5,
 * requests up to max.request.size, one in flight). Consume: timed from the first record to the last, so
 * that group joins are not counted. CPU is this process's user+system time over the same window.
 */

const SEND_BATCH = 1_000;
const SENDS_IN_FLIGHT = 4;
const CEILING = "@platformatic/kafka (raw)";

interface Timing {
  ms: number;
  cpuMicros: number;
}

interface ClientUnderTest {
  readonly system: string;
  produce(topic: string, count: number): Promise<Timing>;
  consume(topic: string, count: number): Promise<Timing>;
}

function batches(count: number): Array<Array<{ key: Buffer; value: Buffer }>> {
  const out: Array<Array<{ key: Buffer; value: Buffer }>> = [];
  for (let start = 0; start < count; start += SEND_BATCH) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + SEND_BATCH); i++) batch.push(recordOf(i));
    out.push(batch);
  }
  return out;
}

/** Runs `send` for each batch with at most SENDS_IN_FLIGHT under way; times the whole. */
async function timedSends<T>(items: readonly T[], send: (item: T) => Promise<unknown>): Promise<Timing> {
  const cpu = ownCpuMicros();
  const began = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (const item of items) {
    inFlight.push(send(item));
    if (inFlight.length >= SENDS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return { ms: performance.now() - began, cpuMicros: ownCpuMicros() - cpu };
}

/** Counts records as `onRecords` is told of them; resolves with the window from the first to the last. */
class ConsumeClock {
  readonly #count: number;
  #seen = 0;
  #began = 0;
  #cpu = 0;
  readonly #done = Promise.withResolvers<Timing>();

  constructor(count: number) {
    this.#count = count;
  }

  get done(): Promise<Timing> {
    return this.#done.promise;
  }

  get finished(): boolean {
    return this.#seen >= this.#count;
  }

  onRecords(n: number): void {
    if (n === 0 || this.finished) return;
    if (this.#seen === 0) {
      this.#began = performance.now();
      this.#cpu = ownCpuMicros();
    }
    this.#seen += n;
    if (this.finished) {
      this.#done.resolve({ ms: performance.now() - this.#began, cpuMicros: ownCpuMicros() - this.#cpu });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function platformaticRaw(bootstrap: string): ClientUnderTest {
  return {
    system: CEILING,
    async produce(topic, count) {
      const producer = new Producer({ clientId: "bench-raw", bootstrapBrokers: [bootstrap] });
      try {
        await producer.metadata({ topics: [topic] });
        return await timedSends(batches(count), (batch) =>
          producer.send({ acks: -1, messages: batch.map((r) => ({ topic, partition: 0, ...r })) }),
        );
      } finally {
        await producer.close();
      }
    },
    async consume(topic, count) {
      const consumer = new Consumer({
        clientId: "bench-raw",
        groupId: uniqueName("bench-raw"),
        bootstrapBrokers: [bootstrap],
      });
      const clock = new ConsumeClock(count);
      try {
        const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
        try {
          for await (const _message of stream) {
            clock.onRecords(1);
            if (clock.finished) break;
          }
        } finally {
          await stream.close();
        }
        return await clock.done;
      } finally {
        await consumer.close(true);
      }
    },
  };
}

function sluiceDataPlane(bootstrap: string): ClientUnderTest {
  return {
    system: "sluice runtime/kafka",
    async produce(topic, count) {
      const producer = new KafkaProducer({ bootstrapServers: [bootstrap], clientId: "bench-sluice" });
      try {
        await Promise.all(producer.send([{ topic, partition: 0, key: null, value: null, headers: [] }]));
        return await timedSends(batches(count), (batch) =>
          Promise.all(
            producer.send(
              batch.map(
                (r): ProduceRecord => ({ topic, partition: 0, key: r.key, value: r.value, headers: [] }),
              ),
            ),
          ),
        );
      } finally {
        await producer.close();
      }
    },
    async consume(topic, count) {
      const consumer = new KafkaSinkConsumer({
        bootstrapServers: [bootstrap],
        connectorName: uniqueName("bench-sluice"),
        topics: [topic],
      });
      const clock = new ConsumeClock(count);
      const abort = new AbortController();
      try {
        while (!clock.finished)
          clock.onRecords((await consumer.poll(consumer.maxPollRecords, abort.signal)).length);
        return await clock.done;
      } finally {
        abort.abort();
        await consumer.close();
      }
    },
  };
}

function kafkaJs(bootstrap: string): ClientUnderTest {
  const kafka = new kafkajs.Kafka({
    clientId: "bench-kafkajs",
    brokers: [bootstrap],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  return {
    system: "kafkajs",
    async produce(topic, count) {
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        return await timedSends(batches(count), (batch) =>
          producer.send({ topic, acks: -1, messages: batch.map((r) => ({ partition: 0, ...r })) }),
        );
      } finally {
        await producer.disconnect();
      }
    },
    async consume(topic, count) {
      const consumer = kafka.consumer({ groupId: uniqueName("bench-kafkajs") });
      const clock = new ConsumeClock(count);
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            clock.onRecords(batch.messages.length);
          },
        });
        return await clock.done;
      } finally {
        await consumer.disconnect();
      }
    },
  };
}

export const kafkaClientScenario: Scenario = {
  name: "kafka-client",
  async run(context: ScenarioContext) {
    const count = context.quick ? 50_000 : 500_000;
    const clients = [
      platformaticRaw(context.env.kafkaBootstrap),
      sluiceDataPlane(context.env.kafkaBootstrap),
      kafkaJs(context.env.kafkaBootstrap),
    ];
    const figures = new Map<string, Measured>();
    const add = (system: string, metric: string, unit: string, value: number) => {
      const key = `${system}\n${metric}`;
      const figure = figures.get(key) ?? { scenario: "kafka-client", system, metric, unit, samples: [] };
      (figure.samples as number[]).push(value);
      figures.set(key, figure);
    };
    const limit = Math.max(120_000, count / 5);
    for (let run = 1; run <= context.runs; run++) {
      for (const client of clients) {
        const topic = uniqueName("bench-client");
        await context.kafka.createTopic(topic);
        try {
          const produced = await withTimeout(client.produce(topic, count), limit, `${client.system} produce`);
          const consumed = await withTimeout(client.consume(topic, count), limit, `${client.system} consume`);
          add(client.system, "produce", "records/s", ratePerSecond(count, produced.ms));
          add(client.system, "consume", "records/s", ratePerSecond(count, consumed.ms));
          add(client.system, "produce CPU", "µs/record", produced.cpuMicros / count);
          add(client.system, "consume CPU", "µs/record", consumed.cpuMicros / count);
          context.log(
            `kafka-client run ${run}: ${client.system}: produce ${Math.round(ratePerSecond(count, produced.ms))}/s, consume ${Math.round(ratePerSecond(count, consumed.ms))}/s`,
          );
        } finally {
          await context.kafka.deleteTopics(topic);
        }
      }
    }
    context.note(
      `kafka-client: ${count.toLocaleString("en-US")} records of about 200 bytes per run, one partition, acks=all; ceiling = raw @platformatic/kafka.`,
    );
    return compareWithCeiling([...figures.values()], CEILING);
  },
};
