import {
  type ConnectorPlugin,
  ErrorCode,
  type Logger,
  type ParsedConfig,
  type SinkTask,
  SluiceError,
  type SourceTask,
} from "../api/index.ts";
import type { WorkerConfig } from "../config/worker-config.ts";
import { convertersFor } from "../converters/registry.ts";
import type { TargetState } from "../herder.ts";
import type { KafkaAdmin } from "../kafka/admin.ts";
import { KafkaSinkConsumer } from "../kafka/consumer.ts";
import { KafkaProducer } from "../kafka/producer.ts";
import { ClientSettings } from "../kafka/settings.ts";
import type { OffsetStore, StatusStore } from "../storage/index.ts";
import { KafkaOffsetStore } from "../storage/kafka/kafka-offset-store.ts";
import { buildTransformChain } from "../transforms/chain.ts";
import { errorHandlingConfig } from "./connector-config.ts";
import { type DeadLetterWriter, ErrorHandler } from "./error-handler.ts";
import type { WorkerMetrics } from "./metrics.ts";
import { SinkTaskRunner } from "./sink-task-runner.ts";
import { type ExactlyOnceDelivery, SourceTaskRunner } from "./source-task-runner.ts";
import type { WorkerTask } from "./worker-task.ts";

/** Everything needed to create one task of a connector. */
export interface TaskSpec {
  connector: string;
  plugin: ConnectorPlugin;
  /** The connector's resolved config, parsed with the engine's and the plugin's keys. */
  connectorConfig: ParsedConfig;
  taskId: number;
  /** What the connector's taskConfigs returned for this task, merged over the connector config and parsed. */
  taskConfig: ParsedConfig;
  initialState: TargetState;
}

/**
 * Creates the running form of tasks — plugin task, transforms, converters, Kafka clients, error
 * handling — from a worker config. As Kafka Connect's Worker; the herder decides what runs.
 */
export class Worker {
  readonly config: WorkerConfig;
  readonly metrics: WorkerMetrics;
  readonly #offsets: OffsetStore;
  readonly #transactionalOffsets: KafkaOffsetStore | null;
  readonly #status: StatusStore;
  readonly #admin: KafkaAdmin;
  readonly #knownTopics = new Set<string>();
  readonly #logger: (fields: Record<string, unknown>) => Logger;

  constructor(options: {
    config: WorkerConfig;
    metrics: WorkerMetrics;
    /** A KafkaOffsetStore when the worker runs exactly-once sources (exactly.once.source.support). */
    offsets: OffsetStore;
    status: StatusStore;
    admin: KafkaAdmin;
    logger: (fields: Record<string, unknown>) => Logger;
  }) {
    this.config = options.config;
    this.metrics = options.metrics;
    this.#offsets = options.offsets;
    this.#transactionalOffsets = options.offsets instanceof KafkaOffsetStore ? options.offsets : null;
    if (options.config.exactlyOnceSource !== null && this.#transactionalOffsets === null) {
      throw new SluiceError(
        ErrorCode.INTERNAL,
        "exactly-once sources need their offsets in a KafkaOffsetStore",
      );
    }
    this.#status = options.status;
    this.#admin = options.admin;
    this.#logger = options.logger;
  }

  /** The worker's converter keys as one map, as Kafka Connect's worker config spells them. */
  #workerConverterKeys(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [prefix, setting] of [
      ["key.converter", this.config.keyConverter],
      ["value.converter", this.config.valueConverter],
    ] as const) {
      out[prefix] = setting.className;
      for (const [key, value] of Object.entries(setting.config)) out[`${prefix}.${key}`] = value;
    }
    return out;
  }

  #producer(
    connector: string,
    taskId: number,
    connectorConfig: ParsedConfig,
    logger: Logger,
    transactionalId?: string,
  ): KafkaProducer {
    return new KafkaProducer({
      ...(transactionalId === undefined ? {} : { transactionalId }),
      bootstrapServers: this.config.bootstrapServers,
      settings: ClientSettings.fromConfigs(
        "producer",
        prefixed("producer.", this.config.producer),
        connectorConfig.originals,
      ),
      clientId: `connector-producer-${connector}-${taskId}`,
      logger,
    });
  }

  /** Creates the topic unless this worker already knows it exists (Kafka Connect's topic.creation). */
  async #ensureTopic(topic: string, partitions: number, replicationFactor: number): Promise<void> {
    if (this.#knownTopics.has(topic)) return;
    await this.#admin.createTopics([{ name: topic, partitions, replicationFactor }]);
    this.#knownTopics.add(topic);
  }

  createTask(spec: TaskSpec): WorkerTask {
    const { connector, plugin, connectorConfig, taskId, taskConfig, initialState } = spec;
    const logger = this.#logger({ connector, task: taskId });
    const labels = { connector, task: String(taskId) };
    const converters = convertersFor(this.#workerConverterKeys(), connectorConfig.originals);
    const transforms = buildTransformChain(connectorConfig.originals);
    const task = plugin.createTask();
    let runner: WorkerTask | undefined;
    const metrics = this.metrics.tasks.forTask({
      connector,
      task: taskId,
      kind: task.kind,
      isLive: () => runner?.state === "RUNNING" || runner?.state === "PAUSED",
    });
    const context = { connectorName: connector, taskId, logger, metrics };
    const offsetsTopic = task.kind === "source" ? this.#transactionalOffsets : null;
    const producer =
      task.kind === "source"
        ? this.#producer(
            connector,
            taskId,
            connectorConfig,
            logger,
            // As Kafka Connect: one id per task, so a restarted task fences its predecessor.
            offsetsTopic === null ? undefined : `sluice-${connector}-${taskId}`,
          )
        : undefined;
    let dlqProducer: KafkaProducer | undefined = producer;
    const dlq: DeadLetterWriter = {
      write: async (topic, record) => {
        const replication =
          task.kind === "sink" ? connectorConfig.int("errors.deadletterqueue.topic.replication.factor") : 1;
        await this.#ensureTopic(topic, 1, replication);
        dlqProducer ??= this.#producer(connector, taskId, connectorConfig, logger);
        await Promise.all(
          dlqProducer.send([{ topic, key: record.key, value: record.value, headers: record.headers }]),
        );
      },
    };
    const errors = new ErrorHandler({
      config: errorHandlingConfig(connectorConfig),
      logger,
      dlq,
      identity: { connector, task: taskId },
      onError: (stage, deadLettered) => {
        this.metrics.recordsFailed.inc({ ...labels, stage });
        if (deadLettered) this.metrics.recordsDeadLettered.inc(labels);
      },
    });
    const common = {
      connector,
      taskId,
      config: taskConfig,
      transforms,
      keyConverter: converters.key,
      valueConverter: converters.value,
      errors,
      metrics: this.metrics,
      offsetFlushIntervalMs: this.config.offsetFlushIntervalMs,
      initialState,
    };
    if (task.kind === "source") {
      runner = new SourceTaskRunner({
        ...common,
        task: task as SourceTask,
        context,
        producer: producer as KafkaProducer,
        offsets: this.#offsets,
        ...(offsetsTopic === null
          ? {}
          : {
              exactlyOnce: exactlyOnceDelivery(
                producer as KafkaProducer,
                offsetsTopic,
                connector,
                connectorConfig,
                this.config,
              ),
            }),
        status: this.#status,
        ensureTopic: (topic) =>
          this.#ensureTopic(
            topic,
            connectorConfig.int("topic.creation.default.partitions"),
            connectorConfig.int("topic.creation.default.replication.factor"),
          ),
        idleWaitMs: 100,
        maxInFlight: 4,
      });
      return runner;
    }
    const consumerSettings = ClientSettings.fromConfigs(
      "consumer",
      prefixed("consumer.", this.config.consumer),
      connectorConfig.originals,
    );
    runner = new SinkTaskRunner({
      ...common,
      task: task as SinkTask,
      context,
      maxPollRecords: Number(consumerSettings.get("max.poll.records")?.value ?? 500),
      openConsumer: async (listener) =>
        new KafkaSinkConsumer({
          bootstrapServers: this.config.bootstrapServers,
          connectorName: connector,
          topics: connectorConfig.list("topics"),
          topicsRegex: connectorConfig.optionalString("topics.regex"),
          settings: consumerSettings,
          clientId: `connector-consumer-${connector}-${taskId}`,
          listener,
          logger,
        }),
      onClose: async () => {
        await dlqProducer?.close();
      },
    });
    return runner;
  }
}

/** How a source task's transactions are cut and what offsets records they carry. */
function exactlyOnceDelivery(
  producer: KafkaProducer,
  offsets: KafkaOffsetStore,
  connector: string,
  connectorConfig: ParsedConfig,
  worker: WorkerConfig,
): ExactlyOnceDelivery {
  return {
    transactions: {
      begin: () => producer.beginTransaction(),
      commit: () => producer.commitTransaction(),
      abort: () => producer.abortTransaction(),
    },
    boundary: connectorConfig.string("transaction.boundary") as "poll" | "interval",
    intervalMs:
      connectorConfig.optionalInt("transaction.boundary.interval.ms") ?? worker.offsetFlushIntervalMs,
    offsetRecords: (entries) => offsets.records(connector, entries),
  };
}

function prefixed(prefix: string, config: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [prefix + key, value]));
}
