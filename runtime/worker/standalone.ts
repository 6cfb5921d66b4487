import { readFile } from "node:fs/promises";
import { INSTALLED_PLUGINS } from "../../connectors/index.ts";
import {
  ConfigError,
  type ConnectorPlugin,
  type InstalledPlugin,
  type Logger,
  SluiceError,
} from "../api/index.ts";
import { loadWorkerConfig, type WorkerConfig } from "../config/worker-config.ts";
import type { ConnectorConfig, Herder } from "../herder.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import { Logging } from "../logging.ts";
import { createRestServer } from "../rest/server.ts";
import { openFileStores } from "../storage/file/file-stores.ts";
import type { Stores } from "../storage/index.ts";
import { KafkaOffsetStore } from "../storage/kafka/kafka-offset-store.ts";
import { WorkerMetrics } from "./metrics.ts";
import { PluginRegistry } from "./plugins.ts";
import { StandaloneHerder } from "./standalone-herder.ts";
import { Worker } from "./worker.ts";

/** A connector file as Kafka Connect's REST API takes it: `{"name": …, "config": {…}}`. */
async function readConnectorFile(path: string): Promise<{ name: string; config: ConnectorConfig }> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError([
      { field: path, message: `cannot read a connector JSON file: ${(error as Error).message}` },
    ]);
  }
  const { name, config } = (document ?? {}) as { name?: unknown; config?: unknown };
  if (typeof name !== "string" || typeof config !== "object" || config === null) {
    throw new ConfigError([
      {
        field: path,
        message: 'must be {"name": "...", "config": {...}} as Kafka Connect\'s REST API takes it',
      },
    ]);
  }
  const strings = Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  return { name, config: strings };
}

export interface RunningWorker {
  herder: Herder;
  /** The REST API's base URL, e.g. http://127.0.0.1:8083. */
  url: string;
  /** Drains: stops polling, flushes sinks, commits offsets, closes the REST API. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a standalone worker: stores, connectors from the files (created or updated), REST API.
 * `plugins` replaces the installed connector plugins (tests add their own).
 */
export async function startStandalone(
  workerPath: string,
  connectorPaths: readonly string[],
  options: { plugins?: ReadonlyArray<InstalledPlugin | ConnectorPlugin> } = {},
): Promise<RunningWorker> {
  const config = await loadWorkerConfig(workerPath);
  const logging = new Logging();
  const log = logging.logger("sluice.worker");
  for (const warning of config.warnings) log.warn(warning);
  const connectorFiles = await Promise.all(connectorPaths.map(readConnectorFile));
  const admin = new KafkaAdmin({
    bootstrapServers: config.bootstrapServers,
    logger: logging.logger("sluice.kafka"),
  });
  const stores = await openStores(config, admin, logging.logger("sluice.offsets"));
  const metrics = new WorkerMetrics();
  const connectorLogger = (fields: Record<string, unknown>) =>
    logging.logger(`sluice.connector.${String(fields.connector ?? "")}`, fields);
  const worker = new Worker({
    config,
    metrics,
    offsets: stores.offsets,
    status: stores.status,
    admin,
    logger: connectorLogger,
  });
  const herder = new StandaloneHerder({
    stores,
    plugins: new PluginRegistry(options.plugins ?? INSTALLED_PLUGINS),
    worker,
    admin,
    logger: connectorLogger,
  });
  const rest = createRestServer({
    herder,
    metrics,
    loggers: logging,
    auth: config.restAuth,
    bodyLimitBytes: config.restBodyLimitBytes,
    logger: logging.pino("sluice.rest"),
    serverInfo: { kafkaClusterId: () => admin.clusterId().catch(() => null) },
  });
  const listener = config.listeners[0];
  if (!listener) throw new ConfigError([{ field: "listeners", message: "needs at least one listener" }]);
  const address = await rest.listen({ host: listener.host, port: listener.port });
  log.info(`REST API listening on ${address}`);
  // GET /health answers 503 until the stored connectors and the files given are started.
  try {
    await herder.start(new URL(address).host);
    for (const { name, config: connectorConfig } of connectorFiles) {
      await herder.putConnectorConfig(name, connectorConfig, { allowReplace: true });
    }
  } catch (error) {
    // A refused connector file ends the start-up: release what was started, then report it.
    await rest.close();
    await herder.stop();
    await admin.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    herder,
    url: address,
    stop: () => {
      stopping ??= (async () => {
        log.info("stopping: draining tasks and committing offsets");
        await rest.close();
        await herder.stop();
        await admin.close();
        log.info("stopped");
      })();
      return stopping;
    },
  };
}

/**
 * The standalone stores: configs and statuses in files; source offsets in the offset file, or, with
 * exactly.once.source.support=enabled, in offset.storage.topic, where transactions can write them.
 * A connector whose offsets are in the file but not yet in the topic has them carried over, so that
 * enabling exactly-once does not make a source start over.
 */
async function openStores(config: WorkerConfig, admin: KafkaAdmin, logger: Logger): Promise<Stores> {
  const files = await openFileStores({ dataDir: config.dataDir, offsetFile: config.offsetStorageFile });
  const topic = config.exactlyOnceSource;
  if (topic === null) return files;
  const offsets = await KafkaOffsetStore.open({
    bootstrapServers: config.bootstrapServers,
    admin,
    topic: topic.topic,
    partitions: topic.partitions,
    replicationFactor: topic.replicationFactor,
    logger,
  });
  for (const connector of await files.config.list()) {
    if ((await offsets.getAll(connector)).length > 0) continue;
    const fromFile = await files.offsets.getAll(connector);
    if (fromFile.length === 0) continue;
    await offsets.set(connector, fromFile);
    logger.info(`carried the offsets of ${connector} over from the offset file to ${topic.topic}`);
  }
  let closing: Promise<void> | null = null;
  return {
    config: files.config,
    offsets,
    status: files.status,
    close: () => {
      closing ??= Promise.all([files.close(), offsets.close()]).then(() => undefined);
      return closing;
    },
  };
}

/**
 * `sluice standalone <worker.json> [connector.json …]`: runs until SIGTERM or SIGINT, then drains
 * (stop polling, flush, commit offsets) and resolves 0, so a rolling restart loses nothing.
 */
export async function runStandalone(workerPath: string, connectorPaths: string[]): Promise<number> {
  let worker: RunningWorker;
  try {
    worker = await startStandalone(workerPath, connectorPaths);
  } catch (error) {
    if (error instanceof SluiceError) {
      console.error(`sluice: ${error.message}`);
      return 1;
    }
    throw error;
  }
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await worker.stop();
  return 0;
}
