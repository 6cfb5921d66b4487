import { readFile, realpath } from "node:fs/promises";
import { isAbsolute, resolve, sep } from "node:path";
import { ConfigError, type FieldError } from "../api/index.ts";
import type { ConnectorConfig } from "../herder.ts";
import { parseProperties } from "./properties.ts";

/**
 * Config providers, as Kafka Connect's (KIP-297): a config value may hold `${alias:reference}`
 * placeholders that are resolved only when a connector or task is about to run. Stored and returned
 * configs keep the placeholder, so a secret never reaches the config store, the REST API or a log.
 *
 *  - `${env:VAR}`: the environment variable VAR of the worker process.
 *  - `${file:/path:key}`: the value of `key` in a `.properties` file, or in a JSON object when the
 *    path ends in `.json`.
 *  - `${file:/path}`: the whole file, minus one trailing line break (secrets are often saved with one).
 *
 * Providers are enabled per worker, as in Kafka Connect: `config.providers=file,env`, and for another
 * alias `config.providers.<alias>.class` names the kind (`file`, `env`, or Kafka's class names).
 * `config.providers.<alias>.param.allowed.paths` (file) and `….param.allowlist.pattern` (env) limit
 * what a connector config may read, as KIP-993 and KIP-887 do. A value after `alias:` runs up to the
 * next `}`; for `file` the path runs up to the next `:`. Resolved text is not resolved again.
 */
export type ConfigProviderKind = "file" | "env";

/** One provider the worker enables. */
export interface ConfigProviderSpec {
  readonly alias: string;
  readonly kind: ConfigProviderKind;
  /** `config.providers.<alias>.param.*`, with the prefix removed. */
  readonly params: Readonly<Record<string, string>>;
}

const KIND_BY_CLASS: Readonly<Record<string, ConfigProviderKind>> = {
  file: "file",
  env: "env",
  "org.apache.kafka.common.config.provider.FileConfigProvider": "file",
  "org.apache.kafka.common.config.provider.EnvVarConfigProvider": "env",
};

const PARAMS_BY_KIND: Readonly<Record<ConfigProviderKind, readonly string[]>> = {
  file: ["allowed.paths"],
  env: ["allowlist.pattern"],
};

const PLACEHOLDER = /\$\{([^}:]+):([^}]*)\}/g;

/**
 * Reads `config.providers` and its `config.providers.<alias>.*` keys from a worker config. Every
 * problem names its key.
 */
export function configProviderSpecs(raw: Readonly<Record<string, string>>): {
  specs: ConfigProviderSpec[];
  errors: FieldError[];
} {
  const aliases = (raw["config.providers"] ?? "")
    .split(",")
    .map((alias) => alias.trim())
    .filter((alias) => alias !== "");
  const specs: ConfigProviderSpec[] = [];
  const errors: FieldError[] = [];
  for (const alias of aliases) {
    const classKey = `config.providers.${alias}.class`;
    const className = raw[classKey] ?? alias;
    const kind = KIND_BY_CLASS[className];
    if (kind === undefined) {
      errors.push({
        field: raw[classKey] === undefined ? "config.providers" : classKey,
        message: `provider "${alias}" has no kind Sluice supports ("${className}"); set ${classKey} to file or env (or Kafka's FileConfigProvider or EnvVarConfigProvider class name)`,
      });
      continue;
    }
    const paramPrefix = `config.providers.${alias}.param.`;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!key.startsWith(paramPrefix)) continue;
      const param = key.slice(paramPrefix.length);
      if (PARAMS_BY_KIND[kind].includes(param)) params[param] = value;
      else
        errors.push({
          field: key,
          message: `is not a parameter of the ${kind} provider (${PARAMS_BY_KIND[kind].join(", ")})`,
        });
    }
    const paramErrors = checkParams(kind, params).map((e) => ({
      field: `${paramPrefix}${e.field}`,
      message: e.message,
    }));
    errors.push(...paramErrors);
    if (paramErrors.length === 0) specs.push({ alias, kind, params });
  }
  return { specs, errors };
}

function checkParams(kind: ConfigProviderKind, params: Record<string, string>): FieldError[] {
  if (kind === "file" && params["allowed.paths"] !== undefined) {
    const relative = splitList(params["allowed.paths"]).filter((path) => !isAbsolute(path));
    if (relative.length > 0)
      return [{ field: "allowed.paths", message: `must list absolute paths; got ${relative.join(", ")}` }];
  }
  if (kind === "env" && params["allowlist.pattern"] !== undefined) {
    try {
      new RegExp(params["allowlist.pattern"]);
    } catch (error) {
      return [
        {
          field: "allowlist.pattern",
          message: `is not a valid regular expression: ${(error as Error).message}`,
        },
      ];
    }
  }
  return [];
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Resolves the text after `alias:`. Throws an Error whose message says why not and never holds a secret. */
type ReferenceResolver = (reference: string, files: Map<string, Promise<string>>) => Promise<string>;

/** The providers a worker enables, ready to resolve placeholders. */
export class ConfigProviders {
  readonly #resolvers: ReadonlyMap<string, ReferenceResolver>;

  /** `env` is the environment `${env:…}` reads; the process's by default. */
  constructor(
    specs: readonly ConfigProviderSpec[],
    options: { env?: Readonly<Record<string, string | undefined>> } = {},
  ) {
    const env = options.env ?? process.env;
    this.#resolvers = new Map(
      specs.map((spec) => [spec.alias, spec.kind === "env" ? envResolver(spec, env) : fileResolver(spec)]),
    );
  }

  /**
   * The config with every placeholder replaced by what its provider returns: the copy a connector or
   * task runs with, never stored. Throws one ConfigError that names each key whose placeholder cannot
   * be resolved, with the placeholder and why (an alias the worker does not enable, a missing
   * variable, file or key). Files are read afresh on each call, so a rotated secret is picked up on
   * the next (re)start.
   */
  async resolveConfig(config: ConnectorConfig): Promise<ConnectorConfig> {
    const files = new Map<string, Promise<string>>();
    const errors: FieldError[] = [];
    const resolved = new Map<string, string>();
    for (const [key, value] of Object.entries(config)) {
      let text = "";
      let last = 0;
      for (const match of value.matchAll(PLACEHOLDER)) {
        const [placeholder, alias = "", reference = ""] = match;
        text += value.slice(last, match.index);
        last = match.index + placeholder.length;
        const resolver = this.#resolvers.get(alias);
        if (resolver === undefined) {
          const enabled = [...this.#resolvers.keys()].join(",");
          errors.push({
            field: key,
            message: `cannot resolve ${placeholder}: the worker enables no config provider "${alias}" (config.providers is "${enabled}")`,
          });
          continue;
        }
        try {
          text += await resolver(reference, files);
        } catch (error) {
          errors.push({ field: key, message: `cannot resolve ${placeholder}: ${(error as Error).message}` });
        }
      }
      resolved.set(key, text + value.slice(last));
    }
    if (errors.length > 0) throw new ConfigError(errors);
    return Object.fromEntries(resolved);
  }
}

function envResolver(
  spec: ConfigProviderSpec,
  env: Readonly<Record<string, string | undefined>>,
): ReferenceResolver {
  const pattern = spec.params["allowlist.pattern"];
  const allowed = pattern === undefined ? null : new RegExp(`^(?:${pattern})$`);
  return async (name) => {
    if (allowed !== null && !allowed.test(name)) {
      throw new Error(
        `environment variable ${name} does not match config.providers.${spec.alias}.param.allowlist.pattern`,
      );
    }
    const value = env[name];
    if (value === undefined) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
}

function fileResolver(spec: ConfigProviderSpec): ReferenceResolver {
  const allowedPaths = spec.params["allowed.paths"];
  const allowed = allowedPaths === undefined ? null : splitList(allowedPaths);
  return async (reference, files) => {
    const colon = reference.indexOf(":");
    const path = resolve(colon < 0 ? reference : reference.slice(0, colon));
    const key = colon < 0 ? null : reference.slice(colon + 1);
    if (allowed !== null) await checkAllowed(path, allowed, spec.alias);
    let text = files.get(path);
    if (text === undefined) {
      text = readSecretFile(path);
      files.set(path, text);
    }
    const content = await text;
    if (key === null) return content.replace(/\r?\n$/, "");
    return lookUpKey(path, content, key);
  };
}

async function checkAllowed(path: string, allowed: readonly string[], alias: string): Promise<void> {
  const real = await realpathOrSelf(path);
  for (const dir of allowed) {
    const realDir = await realpathOrSelf(dir);
    if (real === realDir || real.startsWith(realDir.endsWith(sep) ? realDir : realDir + sep)) return;
  }
  throw new Error(`${path} is outside config.providers.${alias}.param.allowed.paths`);
}

async function realpathOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

async function readSecretFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`file ${path} does not exist`);
    if (code === "EACCES") throw new Error(`file ${path} is not readable by the worker`);
    throw new Error(`cannot read file ${path} (${code ?? "unknown error"})`);
  }
}

function lookUpKey(path: string, content: string, key: string): string {
  let entries: Record<string, unknown>;
  if (path.endsWith(".json")) {
    let document: unknown;
    try {
      document = JSON.parse(content);
    } catch {
      // The parser's message quotes the file, which may hold secrets: say only what is wrong.
      throw new Error(`file ${path} is not valid JSON`);
    }
    if (typeof document !== "object" || document === null || Array.isArray(document)) {
      throw new Error(`file ${path} does not hold a JSON object`);
    }
    entries = document as Record<string, unknown>;
  } else {
    entries = parseProperties(content);
  }
  if (!Object.hasOwn(entries, key)) throw new Error(`key "${key}" is not in file ${path}`);
  const value = entries[key];
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** True when the value holds at least one `${alias:…}` placeholder. */
export function hasPlaceholder(value: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(value);
}

/**
 * Task configs fit to store: wherever a task config carries, under a key whose raw value holds a
 * placeholder, exactly the resolved value, the placeholder is put back (as Kafka Connect's
 * `reverseTransform`), so that a connector that copies its config into its tasks' configs does not
 * write secrets into the config store.
 */
export function restorePlaceholders(
  raw: ConnectorConfig,
  resolved: ConnectorConfig,
  taskConfigs: readonly ConnectorConfig[],
): ConnectorConfig[] {
  return taskConfigs.map((task) =>
    Object.fromEntries(
      Object.entries(task).map(([key, value]) => {
        const original = Object.hasOwn(raw, key) ? raw[key] : undefined;
        const restore =
          original !== undefined &&
          hasPlaceholder(original) &&
          Object.hasOwn(resolved, key) &&
          resolved[key] === value;
        return [key, restore ? original : value];
      }),
    ),
  );
}
