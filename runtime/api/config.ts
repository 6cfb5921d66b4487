import { ConfigError, type FieldError } from "./errors.ts";

/**
 * Declarative config specs. Each plugin (connector, transform, converter) declares its keys here —
 * type, default, description, example, validation — and the same spec parses raw configs, answers
 * `PUT /connector-plugins/{plugin}/config/validate`, documents the keys and yields JSON Schema.
 * Keys are dotted, as Kafka Connect and Debezium spell them. Raw values may be strings (as in Kafka
 * Connect's JSON) or already-typed JSON values.
 */
export type ConfigType = "string" | "password" | "int" | "long" | "double" | "boolean" | "list";

export type ConfigImportance = "high" | "medium" | "low";

/** The typed value of each config type. */
export interface ConfigValueOf {
  string: string;
  password: string;
  int: number;
  long: bigint;
  double: number;
  boolean: boolean;
  list: string[];
}

export interface ConfigKey<T extends ConfigType = ConfigType> {
  name: string;
  type: T;
  /** Shown in docs and by GET /connector-plugins/{plugin}/config. */
  description: string;
  /** Absent: the key is required. `null`: optional with no value. */
  default?: ConfigValueOf[T] | null;
  /** An example value shown in docs and JSON Schema. */
  example?: string;
  importance?: ConfigImportance;
  group?: string;
  /** Allowed values (case-insensitive for strings); the parsed value is the declared spelling. */
  oneOf?: readonly string[];
  /** Inclusive bounds for numbers. */
  min?: number;
  max?: number;
  /** Extra check on the parsed value; returns what to fix, or undefined when the value is good. */
  validate?: (value: ConfigValueOf[T], config: ParsedConfig) => string | undefined;
}

export type RawConfig = Readonly<Record<string, unknown>>;

/** Thrown when a key is read that is not declared, or that failed to parse. */
class UnparsedKeyError extends Error {
  constructor(name: string) {
    super(`config key "${name}" is not declared in the spec, or its value did not parse`);
    this.name = "UnparsedKeyError";
  }
}

/** A parsed config: typed values of declared keys, plus the raw strings of every key given. */
export class ParsedConfig {
  readonly #values: ReadonlyMap<string, unknown>;
  /** Every key the user gave, declared or not, as strings (prefix keys such as `transforms.*`). */
  readonly originals: Readonly<Record<string, string>>;

  constructor(values: ReadonlyMap<string, unknown>, originals: Record<string, string>) {
    this.#values = values;
    this.originals = originals;
  }

  #get(name: string): unknown {
    if (!this.#values.has(name)) throw new UnparsedKeyError(name);
    return this.#values.get(name);
  }

  string(name: string): string {
    return this.#get(name) as string;
  }
  optionalString(name: string): string | null {
    return (this.#get(name) as string | null) ?? null;
  }
  int(name: string): number {
    return this.#get(name) as number;
  }
  /** An int key whose default is null. */
  optionalInt(name: string): number | null {
    return (this.#get(name) as number | null) ?? null;
  }
  long(name: string): bigint {
    return this.#get(name) as bigint;
  }
  double(name: string): number {
    return this.#get(name) as number;
  }
  boolean(name: string): boolean {
    return this.#get(name) as boolean;
  }
  list(name: string): string[] {
    return (this.#get(name) as string[] | null) ?? [];
  }

  /** Every original key that starts with `prefix`, with the prefix removed. */
  withPrefix(prefix: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.originals)) {
      if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
    }
    return out;
  }
}

/** The result of validating one key, in Kafka Connect's validate-response terms. */
export interface ConfigValueReport {
  name: string;
  value: string | null;
  recommended_values: string[];
  errors: string[];
  visible: boolean;
}

function toRawString(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(String).join(",");
  return String(value);
}

function parseValue(key: ConfigKey, raw: string): { value?: unknown; error?: string } {
  const text = raw.trim();
  switch (key.type) {
    case "string":
    case "password": {
      if (key.oneOf) {
        const match = key.oneOf.find((v) => v.toLowerCase() === text.toLowerCase());
        if (match === undefined) return { error: `must be one of ${key.oneOf.join(", ")}; got "${raw}"` };
        return { value: match };
      }
      return { value: raw };
    }
    case "int":
    case "double": {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n)) return { error: `must be a number; got "${raw}"` };
      if (key.type === "int" && !Number.isSafeInteger(n))
        return { error: `must be a whole number; got "${raw}"` };
      if (key.min !== undefined && n < key.min) return { error: `must be at least ${key.min}; got ${n}` };
      if (key.max !== undefined && n > key.max) return { error: `must be at most ${key.max}; got ${n}` };
      return { value: n };
    }
    case "long": {
      if (!/^-?\d+$/.test(text)) return { error: `must be a whole number; got "${raw}"` };
      const n = BigInt(text);
      if (key.min !== undefined && n < BigInt(key.min))
        return { error: `must be at least ${key.min}; got ${n}` };
      if (key.max !== undefined && n > BigInt(key.max))
        return { error: `must be at most ${key.max}; got ${n}` };
      return { value: n };
    }
    case "boolean": {
      const lower = text.toLowerCase();
      if (lower === "true") return { value: true };
      if (lower === "false") return { value: false };
      return { error: `must be true or false; got "${raw}"` };
    }
    case "list":
      return {
        value:
          text === ""
            ? []
            : text
                .split(",")
                .map((item) => item.trim())
                .filter((item) => item !== ""),
      };
  }
}

/** A plugin's config spec: an ordered set of keys. */
export class ConfigDef {
  readonly #keys = new Map<string, ConfigKey>();

  /** Declares a key; returns this for chaining. Declaring a name twice is a bug and throws. */
  define<T extends ConfigType>(key: ConfigKey<T>): this {
    if (this.#keys.has(key.name)) throw new Error(`config key "${key.name}" is declared twice`);
    this.#keys.set(key.name, key as unknown as ConfigKey);
    return this;
  }

  /** A new spec with the keys of this one and then of `other`. */
  merge(other: ConfigDef): ConfigDef {
    const merged = new ConfigDef();
    for (const key of [...this.keys(), ...other.keys()]) merged.define(key);
    return merged;
  }

  keys(): ConfigKey[] {
    return [...this.#keys.values()];
  }

  /** Validates every key and reports each one, as PUT .../config/validate answers. Never throws. */
  validate(raw: RawConfig): { config: ParsedConfig; reports: ConfigValueReport[]; errors: FieldError[] } {
    const originals: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (value !== undefined && value !== null) originals[name] = toRawString(value);
    }
    const values = new Map<string, unknown>();
    const reports = new Map<string, ConfigValueReport>();
    const errors: FieldError[] = [];
    const fail = (name: string, message: string) => {
      errors.push({ field: name, message });
      reports.get(name)?.errors.push(message);
    };
    for (const key of this.#keys.values()) {
      const given = originals[key.name];
      reports.set(key.name, {
        name: key.name,
        value: key.type === "password" && given !== undefined ? "[hidden]" : (given ?? null),
        recommended_values: [...(key.oneOf ?? [])],
        errors: [],
        visible: true,
      });
      if (given === undefined) {
        if (key.default === undefined) fail(key.name, `is required: ${key.description}`);
        else values.set(key.name, key.default);
        continue;
      }
      const parsed = parseValue(key, given);
      if (parsed.error !== undefined) fail(key.name, parsed.error);
      else values.set(key.name, parsed.value);
    }
    const config = new ParsedConfig(values, originals);
    for (const key of this.#keys.values()) {
      if (!key.validate || !values.has(key.name)) continue;
      const value = values.get(key.name);
      if (value === null) continue;
      let problem: string | undefined;
      try {
        problem = key.validate(value as never, config);
      } catch (error) {
        // The validator read another key that failed to parse; that key's error is reported already.
        if (error instanceof UnparsedKeyError) continue;
        throw error;
      }
      if (problem !== undefined) fail(key.name, problem);
    }
    return { config, reports: [...reports.values()], errors };
  }

  /** Parses a raw config; throws ConfigError naming every bad field. */
  parse(raw: RawConfig): ParsedConfig {
    const { config, errors } = this.validate(raw);
    if (errors.length > 0) throw new ConfigError(errors);
    return config;
  }

  /** JSON Schema (draft 2020-12) of this spec; values may be strings, as Kafka Connect accepts them. */
  toJsonSchema(title?: string): Record<string, unknown> {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const key of this.#keys.values()) {
      const typed: Record<string, unknown> =
        key.type === "boolean"
          ? { type: "boolean" }
          : key.type === "int" || key.type === "long" || key.type === "double"
            ? { type: key.type === "double" ? "number" : "integer" }
            : key.type === "list"
              ? { type: "array", items: { type: "string" } }
              : { type: "string" };
      if (key.oneOf) typed.enum = [...key.oneOf];
      if (key.min !== undefined) typed.minimum = key.min;
      if (key.max !== undefined) typed.maximum = key.max;
      properties[key.name] = {
        description: key.description,
        anyOf: key.type === "string" || key.type === "password" ? [typed] : [typed, { type: "string" }],
        ...(key.default !== undefined && key.default !== null ? { default: jsonDefault(key.default) } : {}),
        ...(key.example !== undefined ? { examples: [key.example] } : {}),
        ...(key.type === "password" ? { writeOnly: true } : {}),
      };
      if (key.default === undefined) required.push(key.name);
    }
    return {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      ...(title ? { title } : {}),
      type: "object",
      properties,
      required,
      additionalProperties: true,
    };
  }
}

function jsonDefault(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value;
  return value;
}
