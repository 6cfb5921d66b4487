import { ConfigError, type FieldError } from "../api/errors.ts";
import type { Logger } from "../api/logger.ts";

/**
 * Kafka client settings as Kafka Connect spells them (`linger.ms`, `max.poll.records`, …), parsed into
 * typed values once, at the boundary. Each client kind declares the keys it understands:
 *  - a *mapped* key is parsed and validated; a bad value is a ConfigError naming the key as the user
 *    wrote it (e.g. `producer.override.linger.ms`);
 *  - a *known* Java-client key that has no equivalent here (`buffer.memory`, `key.serializer`, …) is
 *    ignored with one warning, so that configs copied from Kafka Connect keep working;
 *  - any other key is refused with a ConfigError: a typo must not silently fall back to a default.
 */

export type ClientKind = "producer" | "consumer" | "admin";

/** One client setting: its key without prefix, its raw value, and the key as the user wrote it. */
export interface ClientSetting {
  readonly key: string;
  readonly value: string;
  readonly origin: string;
}

/** The settings of one client, the later source of a key winning (worker first, then connector). */
export class ClientSettings {
  readonly #settings: ReadonlyMap<string, ClientSetting>;

  constructor(settings: Iterable<ClientSetting> = []) {
    const byKey = new Map<string, ClientSetting>();
    for (const setting of settings) byKey.set(setting.key, setting);
    this.#settings = byKey;
  }

  /**
   * The settings of a `kind` client as Kafka Connect builds them: the worker's `<kind>.*` keys, then
   * the connector's `<kind>.override.*` keys on top.
   */
  static fromConfigs(
    kind: ClientKind,
    worker: Readonly<Record<string, string>>,
    connector: Readonly<Record<string, string>> = {},
  ): ClientSettings {
    return new ClientSettings([
      ...withPrefix(worker, `${kind}.`),
      ...withPrefix(connector, `${kind}.override.`),
    ]);
  }

  /** Settings given directly by client key, e.g. in tests: `{"linger.ms": "5"}`. */
  static of(values: Readonly<Record<string, string | number | boolean>>): ClientSettings {
    return new ClientSettings(
      Object.entries(values).map(([key, value]) => ({ key, value: String(value), origin: key })),
    );
  }

  get(key: string): ClientSetting | undefined {
    return this.#settings.get(key);
  }

  [Symbol.iterator](): IterableIterator<ClientSetting> {
    return this.#settings.values();
  }
}

function withPrefix(config: Readonly<Record<string, string>>, prefix: string): ClientSetting[] {
  const out: ClientSetting[] = [];
  for (const [origin, value] of Object.entries(config)) {
    if (!origin.startsWith(prefix)) continue;
    const key = origin.slice(prefix.length);
    // `producer.override.x` also starts with `producer.`; it is the connector's key, not the worker's.
    if (prefix.endsWith(".") && !prefix.endsWith(".override.") && key.startsWith("override.")) continue;
    out.push({ key, value, origin });
  }
  return out;
}

/** Keys of the Java clients that Sluice accepts and ignores, per kind; each ignored key is logged once. */
const IGNORED_KEYS: Readonly<Record<ClientKind, readonly string[]>> = {
  producer: [
    "buffer.memory",
    "max.block.ms",
    "key.serializer",
    "value.serializer",
    "partitioner.class",
    "partitioner.ignore.keys",
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "connections.max.idle.ms",
    "retry.backoff.max.ms",
    "interceptor.classes",
    "metric.reporters",
    "client.dns.lookup",
  ],
  consumer: [
    "key.deserializer",
    "value.deserializer",
    "partition.assignment.strategy",
    "check.crcs",
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "connections.max.idle.ms",
    "retry.backoff.max.ms",
    "default.api.timeout.ms",
    "exclude.internal.topics",
    "interceptor.classes",
    "metric.reporters",
    "client.dns.lookup",
  ],
  admin: [
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "connections.max.idle.ms",
    "retry.backoff.max.ms",
    "default.api.timeout.ms",
    "metric.reporters",
    "client.dns.lookup",
  ],
};

/** How one mapped key is parsed. */
type KeyParser<T> = (text: string) => { value: T } | { error: string };

/** Reads the mapped keys of one client kind; collects every problem and throws them together. */
export class SettingsReader {
  readonly #kind: ClientKind;
  readonly #settings: ClientSettings;
  readonly #read = new Set<string>();
  readonly #errors: FieldError[] = [];

  constructor(kind: ClientKind, settings: ClientSettings) {
    this.#kind = kind;
    this.#settings = settings;
  }

  /** The parsed value of `key`, or `fallback` when it is not set (or malformed: then it is reported). */
  read<T>(key: string, parse: KeyParser<T>, fallback: T): T {
    this.#read.add(key);
    const setting = this.#settings.get(key);
    if (setting === undefined) return fallback;
    const parsed = parse(setting.value.trim());
    if ("error" in parsed) {
      this.#errors.push({ field: setting.origin, message: parsed.error });
      return fallback;
    }
    return parsed.value;
  }

  /** Reports a problem with a key that was read, e.g. a combination the runtime refuses. */
  refuse(key: string, message: string): void {
    this.#errors.push({ field: this.#settings.get(key)?.origin ?? key, message });
  }

  /**
   * Ends reading: warns once per ignored Java-client key, and throws a ConfigError naming every
   * malformed value and every unknown key.
   */
  finish(logger: Logger | undefined): void {
    const ignored: string[] = [];
    for (const setting of this.#settings) {
      if (this.#read.has(setting.key)) continue;
      if (IGNORED_KEYS[this.#kind].includes(setting.key)) ignored.push(setting.origin);
      else {
        this.#errors.push({
          field: setting.origin,
          message: `is not a ${this.#kind} setting Sluice supports; remove it or check its spelling`,
        });
      }
    }
    if (ignored.length > 0) {
      logger?.warn(`ignoring ${this.#kind} settings that have no effect in Sluice`, { keys: ignored });
    }
    if (this.#errors.length > 0) throw new ConfigError(this.#errors);
  }
}

/** A whole number within [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): KeyParser<number> {
  return (text) => {
    const n = Number(text);
    if (text === "" || !Number.isSafeInteger(n)) return { error: `must be a whole number; got "${text}"` };
    if (n < min) return { error: `must be at least ${min}; got ${n}` };
    if (n > max) return { error: `must be at most ${max}; got ${n}` };
    return { value: n };
  };
}

/** One of `allowed` (case-insensitive); the value is the declared spelling. */
export function oneOf<T extends string>(allowed: readonly T[]): KeyParser<T> {
  return (text) => {
    const match = allowed.find((candidate) => candidate.toLowerCase() === text.toLowerCase());
    return match === undefined
      ? { error: `must be one of ${allowed.join(", ")}; got "${text}"` }
      : { value: match };
  };
}

/** Any non-blank string. */
export const nonBlank: KeyParser<string> = (text) =>
  text === "" ? { error: "must not be blank" } : { value: text };

/** `true` or `false`. */
export const bool: KeyParser<boolean> = (text) => {
  const lower = text.toLowerCase();
  if (lower === "true") return { value: true };
  if (lower === "false") return { value: false };
  return { error: `must be true or false; got "${text}"` };
};

/** The connection options every client shares, in the library's terms. */
export interface CommonClientOptions {
  clientId: string;
  bootstrapBrokers: string[];
  requestTimeout: number;
  connectTimeout: number;
  retryDelay: number;
  metadataMaxAge: number;
}

/**
 * Reads the keys every client kind shares: client.id, request.timeout.ms, retry.backoff.ms,
 * metadata.max.age.ms, socket.connection.setup.timeout.ms and security.protocol (PLAINTEXT only for now).
 */
export function readCommonOptions(
  reader: SettingsReader,
  bootstrapServers: readonly string[],
  defaultClientId: string,
): CommonClientOptions {
  if (bootstrapServers.length === 0) {
    throw new ConfigError([
      { field: "bootstrap.servers", message: "must name at least one broker (host:port)" },
    ]);
  }
  reader.read(
    "security.protocol",
    (text) =>
      text.toUpperCase() === "PLAINTEXT"
        ? { value: text }
        : { error: `Sluice connects to Kafka with PLAINTEXT only for now; got "${text}"` },
    "PLAINTEXT",
  );
  return {
    clientId: reader.read("client.id", nonBlank, defaultClientId),
    bootstrapBrokers: [...bootstrapServers],
    requestTimeout: reader.read("request.timeout.ms", integer(1), 30_000),
    connectTimeout: reader.read("socket.connection.setup.timeout.ms", integer(1), 10_000),
    retryDelay: reader.read("retry.backoff.ms", integer(0), 100),
    metadataMaxAge: reader.read("metadata.max.age.ms", integer(0), 300_000),
  };
}
