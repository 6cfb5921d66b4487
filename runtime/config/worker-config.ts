import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { ConfigDef, ConfigError, type FieldError, type ParsedConfig, type RawConfig } from "../api/index.ts";
import { ConfigProviders, configProviderSpecs } from "./config-providers.ts";
import { parseProperties } from "./properties.ts";

/**
 * The worker config (`worker.json`, or Kafka Connect's `connect-standalone.properties`): Kafka
 * Connect's key names where Kafka Connect has the setting, `sluice.`-prefixed keys for Sluice's own.
 * Relative paths resolve against the worker's current directory, as Kafka Connect's do.
 */

const JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";

/** Prefixes whose keys pass through to a client or plugin: `producer.acks`, `key.converter.schemas.enable`, … */
const PASSTHROUGH_PREFIXES = [
  "producer.",
  "consumer.",
  "key.converter.",
  "value.converter.",
  "config.providers.",
];

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;
const LISTENER = /^([a-zA-Z]+):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]*):(\d{1,5})\/?$/;

function checkEach(
  items: readonly string[],
  check: (item: string) => string | undefined,
): string | undefined {
  for (const item of items) {
    const problem = check(item);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Port 0 asks the OS for a free port (tests and side-by-side workers). */
function checkPort(text: string): string | undefined {
  const port = Number(text);
  return Number.isInteger(port) && port >= 0 && port <= 65535
    ? undefined
    : `port ${text} is not between 0 and 65535`;
}

export const workerConfigDef = new ConfigDef()
  .define({
    name: "bootstrap.servers",
    type: "list",
    default: ["localhost:9092"],
    example: "127.0.0.1:9092",
    importance: "high",
    description: "Kafka brokers to bootstrap from, as host:port pairs.",
    validate: (servers) =>
      servers.length === 0
        ? "must name at least one broker"
        : checkEach(servers, (server) => {
            const match = HOST_PORT.exec(server);
            return match ? checkPort(match[2] as string) : `"${server}" is not host:port`;
          }),
  })
  .define({
    name: "listeners",
    type: "list",
    default: ["http://127.0.0.1:8083"],
    example: "http://127.0.0.1:8083",
    importance: "high",
    description:
      "Where the REST API listens, as protocol://host:port. Loopback by default; an empty host (http://:8083) binds every interface.",
    validate: (listeners) =>
      listeners.length === 0
        ? "must name at least one listener"
        : checkEach(listeners, (listener) => {
            const match = LISTENER.exec(listener);
            if (!match) return `"${listener}" is not protocol://host:port`;
            if ((match[1] as string).toLowerCase() !== "http") {
              return `"${listener}": only http listeners are supported; terminate TLS in a proxy in front`;
            }
            return checkPort(match[3] as string);
          }),
  })
  .define({
    name: "rest.advertised.host.name",
    type: "string",
    default: null,
    description:
      "The host name other workers and clients reach this worker at; default: the first listener's host.",
  })
  .define({
    name: "rest.advertised.port",
    type: "int",
    default: null,
    min: 1,
    max: 65535,
    description:
      "The port other workers and clients reach this worker at; default: the first listener's port.",
  })
  .define({
    name: "offset.storage.file.filename",
    type: "string",
    default: null,
    example: "/var/lib/sluice/offsets.json",
    importance: "high",
    description: "The file that keeps source offsets; default: offsets.json in sluice.data.dir.",
  })
  .define({
    name: "exactly.once.source.support",
    type: "string",
    default: "disabled",
    oneOf: ["disabled", "enabled"],
    importance: "high",
    description:
      "enabled: source tasks write records and their offsets in one Kafka transaction, so a crash neither loses nor repeats records for consumers that read with isolation.level=read_committed (Kafka Connect's KIP-618). Source offsets then live in offset.storage.topic instead of the offset file; offsets already in the file are carried over on the first start. disabled: at-least-once, offsets in the file.",
  })
  .define({
    name: "offset.storage.topic",
    type: "string",
    default: "sluice-offsets",
    importance: "high",
    description:
      "The compacted topic that keeps source offsets when exactly.once.source.support=enabled, in Kafka Connect's record format. Created on first start when missing.",
  })
  .define({
    name: "offset.storage.partitions",
    type: "int",
    default: 25,
    min: 1,
    description: "Partitions of offset.storage.topic when Sluice creates it.",
  })
  .define({
    name: "offset.storage.replication.factor",
    type: "int",
    default: -1,
    min: -1,
    description:
      "Replication factor of offset.storage.topic when Sluice creates it; -1: the broker's default.replication.factor.",
  })
  .define({
    name: "offset.flush.interval.ms",
    type: "int",
    default: 10_000,
    min: 1,
    importance: "medium",
    description:
      "How often source offsets are committed. 10000, as Kafka's connect-standalone.properties ships (Kafka Connect's built-in default is 60000): a restart then repeats at most ~10 s of records, and a flush costs one small file write.",
  })
  .define({
    name: "offset.flush.timeout.ms",
    type: "int",
    default: 5_000,
    min: 1,
    description:
      "How long an offset commit waits for outstanding records to be acknowledged before it gives up until the next one.",
  })
  .define({
    name: "key.converter",
    type: "string",
    default: JSON_CONVERTER,
    importance: "high",
    description: "The converter of record keys; key.converter.* keys configure it.",
  })
  .define({
    name: "value.converter",
    type: "string",
    default: JSON_CONVERTER,
    importance: "high",
    description: "The converter of record values; value.converter.* keys configure it.",
  })
  .define({
    name: "task.shutdown.graceful.timeout.ms",
    type: "int",
    default: 5_000,
    min: 0,
    description: "How long a stopping task may take to finish before it is cancelled.",
  })
  .define({
    name: "plugin.path",
    type: "list",
    default: [],
    importance: "low",
    description:
      "Accepted so that Kafka Connect worker configs load, and ignored: Sluice's connectors are built in.",
  })
  .define({
    name: "config.providers",
    type: "list",
    default: [],
    example: "file,env",
    description:
      "Config providers whose ${alias:…} placeholders connector and worker configs may use: file, env, or an alias whose config.providers.<alias>.class names one. None by default, as in Kafka Connect.",
  })
  .define({
    name: "sluice.data.dir",
    type: "string",
    default: ".data",
    example: "/var/lib/sluice",
    importance: "high",
    description: "Where the standalone worker keeps connector configs, statuses and (by default) offsets.",
  })
  .define({
    name: "sluice.rest.auth.type",
    type: "string",
    default: "none",
    oneOf: ["none", "bearer", "basic"],
    description:
      "How REST clients authenticate: none, bearer (sluice.rest.auth.token) or basic (username and password).",
  })
  .define({
    name: "sluice.rest.auth.token",
    type: "password",
    default: null,
    example: "${env:SLUICE_REST_TOKEN}",
    description: "The bearer token REST clients must send when sluice.rest.auth.type is bearer.",
  })
  .define({
    name: "sluice.rest.auth.username",
    type: "string",
    default: null,
    description: "The user name REST clients must send when sluice.rest.auth.type is basic.",
  })
  .define({
    name: "sluice.rest.auth.password",
    type: "password",
    default: null,
    example: "${file:/etc/sluice/secrets.properties:rest.password}",
    description: "The password REST clients must send when sluice.rest.auth.type is basic.",
  })
  .define({
    name: "sluice.rest.body.limit.bytes",
    type: "int",
    default: 1_048_576,
    min: 1_024,
    description: "The largest REST request body accepted.",
  })
  .define({
    name: "sluice.task.restart.backoff.initial.ms",
    type: "int",
    default: 1_000,
    min: 0,
    description:
      "The wait before the first automatic restart of a failed task; it doubles with each restart.",
  })
  .define({
    name: "sluice.task.restart.backoff.max.ms",
    type: "int",
    default: 60_000,
    min: 0,
    description: "The longest wait between automatic restarts of a failed task.",
  })
  .define({
    name: "sluice.task.restart.budget",
    type: "int",
    default: 10,
    min: 0,
    description:
      "How many automatic restarts a task gets within sluice.task.restart.window.ms before it stays FAILED; 0 turns automatic restarts off, as in Kafka Connect.",
  })
  .define({
    name: "sluice.task.restart.window.ms",
    type: "int",
    default: 600_000,
    min: 1,
    description: "The sliding window the restart budget counts in.",
  });

export interface Listener {
  readonly protocol: "http";
  /** The address to bind; `0.0.0.0` for an empty host. IPv6 addresses come without brackets. */
  readonly host: string;
  readonly port: number;
}

export type RestAuth =
  | { readonly type: "none" }
  | { readonly type: "bearer"; readonly token: string }
  | { readonly type: "basic"; readonly username: string; readonly password: string };

export interface ConverterSetting {
  readonly className: string;
  /** The converter's own keys (`key.converter.schemas.enable` → `schemas.enable`). */
  readonly config: Readonly<Record<string, string>>;
}

export interface TaskRestartPolicy {
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Restarts allowed within `windowMs`; 0: never restart automatically. */
  readonly budget: number;
  readonly windowMs: number;
}

/** A validated worker config, with placeholders resolved and paths made absolute. */
export interface WorkerConfig {
  readonly bootstrapServers: readonly string[];
  readonly listeners: readonly Listener[];
  /** `host:port` as other workers and clients reach this one (rest.advertised.*, else the first listener). */
  readonly workerId: string;
  readonly dataDir: string;
  readonly offsetStorageFile: string;
  /** Set when exactly.once.source.support=enabled: source offsets live in this topic. */
  readonly exactlyOnceSource: {
    readonly topic: string;
    readonly partitions: number;
    readonly replicationFactor: number;
  } | null;
  readonly offsetFlushIntervalMs: number;
  readonly offsetFlushTimeoutMs: number;
  readonly keyConverter: ConverterSetting;
  readonly valueConverter: ConverterSetting;
  readonly taskShutdownGracefulTimeoutMs: number;
  /** `producer.*` and `consumer.*` keys, prefix removed, for the Kafka clients. */
  readonly producer: Readonly<Record<string, string>>;
  readonly consumer: Readonly<Record<string, string>>;
  /** Resolves `${alias:…}` placeholders of connector configs. */
  readonly configProviders: ConfigProviders;
  readonly restAuth: RestAuth;
  readonly restBodyLimitBytes: number;
  readonly taskRestart: TaskRestartPolicy;
  /** What the operator should know: keys that were given but are ignored. */
  readonly warnings: readonly string[];
}

/**
 * Reads a worker config file: JSON (an object of dotted keys), or Java properties when the name ends
 * in `.properties`. Throws ConfigError naming every bad key.
 */
export async function loadWorkerConfig(
  path: string,
  options: { env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<WorkerConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError([
      { field: path, message: `cannot read the worker config: ${(error as Error).message}` },
    ]);
  }
  if (path.endsWith(".properties")) return parseWorkerConfig(parseProperties(text), options);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // Only the position: the parser's message may quote the file, and worker configs hold secrets.
    const position = /at position \d+( \(line \d+ column \d+\))?/.exec((error as Error).message)?.[0];
    throw new ConfigError([{ field: path, message: `is not valid JSON${position ? ` (${position})` : ""}` }]);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new ConfigError([{ field: path, message: "must hold a JSON object of dotted keys" }]);
  }
  return parseWorkerConfig(document as RawConfig, options);
}

/**
 * Validates a worker config given as dotted keys (values as strings or JSON scalars or lists), after
 * resolving its `${alias:…}` placeholders with the providers it enables itself. Throws ConfigError
 * naming every bad key.
 */
export async function parseWorkerConfig(
  raw: RawConfig,
  options: { env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<WorkerConfig> {
  const { strings, errors } = toStrings(raw);
  const providerSpecs = configProviderSpecs(strings);
  errors.push(...providerSpecs.errors);
  const configProviders = new ConfigProviders(providerSpecs.specs, options);
  let resolved = strings;
  if (providerSpecs.errors.length === 0) {
    const ownKeys = Object.fromEntries(
      Object.entries(strings).filter(([key]) => !key.startsWith("config.providers")),
    );
    try {
      resolved = { ...strings, ...(await configProviders.resolveConfig(ownKeys)) };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(...error.fieldErrors);
    }
  }
  const validated = workerConfigDef.validate(resolved);
  const reported = new Set(errors.map((e) => e.field));
  errors.push(...validated.errors.filter((e) => !reported.has(e.field)));
  const config = validated.config;
  if (errors.length === 0) errors.push(...crossFieldErrors(config));
  if (errors.length > 0) throw new ConfigError(errors);

  const listeners = config.list("listeners").map(toListener);
  const first = listeners[0] as Listener;
  const dataDir = resolve(config.string("sluice.data.dir"));
  return {
    bootstrapServers: config.list("bootstrap.servers"),
    listeners,
    workerId: workerId(config, first),
    dataDir,
    offsetStorageFile: resolve(
      config.optionalString("offset.storage.file.filename") ?? join(dataDir, "offsets.json"),
    ),
    exactlyOnceSource:
      config.string("exactly.once.source.support") === "enabled"
        ? {
            topic: config.string("offset.storage.topic"),
            partitions: config.int("offset.storage.partitions"),
            replicationFactor: config.int("offset.storage.replication.factor"),
          }
        : null,
    offsetFlushIntervalMs: config.int("offset.flush.interval.ms"),
    offsetFlushTimeoutMs: config.int("offset.flush.timeout.ms"),
    keyConverter: { className: config.string("key.converter"), config: config.withPrefix("key.converter.") },
    valueConverter: {
      className: config.string("value.converter"),
      config: config.withPrefix("value.converter."),
    },
    taskShutdownGracefulTimeoutMs: config.int("task.shutdown.graceful.timeout.ms"),
    producer: config.withPrefix("producer."),
    consumer: config.withPrefix("consumer."),
    configProviders,
    restAuth: restAuth(config),
    restBodyLimitBytes: config.int("sluice.rest.body.limit.bytes"),
    taskRestart: {
      backoffInitialMs: config.int("sluice.task.restart.backoff.initial.ms"),
      backoffMaxMs: config.int("sluice.task.restart.backoff.max.ms"),
      budget: config.int("sluice.task.restart.budget"),
      windowMs: config.int("sluice.task.restart.window.ms"),
    },
    warnings: warnings(config),
  };
}

/** JSON values as the strings Kafka Connect's configs carry; nested objects are refused by key. */
function toStrings(raw: RawConfig): { strings: Record<string, string>; errors: FieldError[] } {
  const strings = new Map<string, string>();
  const errors: FieldError[] = [];
  const scalar = (value: unknown) => ["string", "number", "boolean"].includes(typeof value);
  for (const [key, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    if (scalar(value)) strings.set(key, String(value));
    else if (Array.isArray(value) && value.every(scalar)) strings.set(key, value.join(","));
    else errors.push({ field: key, message: "must be a string, number, boolean or a list of them" });
  }
  return { strings: Object.fromEntries(strings), errors };
}

function crossFieldErrors(config: ParsedConfig): FieldError[] {
  const errors: FieldError[] = [];
  const type = config.string("sluice.rest.auth.type");
  const requireFor = (authType: string, key: string) => {
    if (type === authType && !config.optionalString(key)) {
      errors.push({ field: key, message: `is required when sluice.rest.auth.type is ${authType}` });
    }
  };
  requireFor("bearer", "sluice.rest.auth.token");
  requireFor("basic", "sluice.rest.auth.username");
  requireFor("basic", "sluice.rest.auth.password");
  const initial = config.int("sluice.task.restart.backoff.initial.ms");
  if (config.int("sluice.task.restart.backoff.max.ms") < initial) {
    errors.push({
      field: "sluice.task.restart.backoff.max.ms",
      message: `must be at least sluice.task.restart.backoff.initial.ms (${initial})`,
    });
  }
  return errors;
}

function toListener(text: string): Listener {
  const [, , host = "", port = ""] = LISTENER.exec(text) ?? [];
  return {
    protocol: "http",
    host: host === "" ? "0.0.0.0" : host.replace(/^\[|\]$/g, ""),
    port: Number(port),
  };
}

function workerId(config: ParsedConfig, listener: Listener): string {
  const wildcard = listener.host === "0.0.0.0" || listener.host === "::";
  const host = config.optionalString("rest.advertised.host.name") ?? (wildcard ? hostname() : listener.host);
  const port =
    config.originals["rest.advertised.port"] === undefined
      ? listener.port
      : config.int("rest.advertised.port");
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function restAuth(config: ParsedConfig): RestAuth {
  switch (config.string("sluice.rest.auth.type")) {
    case "bearer":
      return { type: "bearer", token: config.optionalString("sluice.rest.auth.token") as string };
    case "basic":
      return {
        type: "basic",
        username: config.optionalString("sluice.rest.auth.username") as string,
        password: config.optionalString("sluice.rest.auth.password") as string,
      };
    default:
      return { type: "none" };
  }
}

function warnings(config: ParsedConfig): string[] {
  const declared = new Set(workerConfigDef.keys().map((key) => key.name));
  const notes: string[] = [];
  if (config.list("plugin.path").length > 0)
    notes.push("plugin.path is ignored: Sluice's connectors are built in");
  for (const key of Object.keys(config.originals)) {
    if (declared.has(key) || PASSTHROUGH_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    notes.push(`${key} is not a Sluice worker setting and is ignored`);
  }
  return notes;
}
