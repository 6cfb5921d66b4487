import type { ConfigDef, ParsedConfig } from "../api/config.ts";
import { ConfigError } from "../api/errors.ts";
import { ByteArrayConverter, byteArrayConverterConfig } from "./byte-array-converter.ts";
import type { Converter } from "./converter.ts";
import { JsonConverter, jsonConverterConfig } from "./json-converter.ts";
import { keysUnder, withKeyPrefix } from "./prefixed-config.ts";
import { StringConverter, stringConverterConfig } from "./string-converter.ts";

/** How Sluice finds, documents and creates one converter class. */
export interface ConverterPlugin {
  /** Kafka Connect's class name, which existing configs use. */
  readonly className: string;
  /** Other accepted names, e.g. `json`. */
  readonly aliases: readonly string[];
  readonly description: string;
  readonly config: ConfigDef;
  create(config: ParsedConfig): Converter;
}

const plugins: readonly ConverterPlugin[] = [
  {
    className: "org.apache.kafka.connect.json.JsonConverter",
    aliases: ["json"],
    description: "JSON, with a schema envelope when schemas.enable is true (the default).",
    config: jsonConverterConfig,
    create: (config) => new JsonConverter(config),
  },
  {
    className: "org.apache.kafka.connect.storage.StringConverter",
    aliases: ["string"],
    description: "Text in the configured encoding; reads every value as an optional string.",
    config: stringConverterConfig,
    create: (config) => new StringConverter(config),
  },
  {
    className: "org.apache.kafka.connect.converters.ByteArrayConverter",
    aliases: ["bytes"],
    description: "Raw bytes, passed through unchanged.",
    config: byteArrayConverterConfig,
    create: () => new ByteArrayConverter(),
  },
];

/** Every converter Sluice offers, by class name, as GET /connector-plugins lists them. */
export const converterPlugins: Readonly<Record<string, ConverterPlugin>> = Object.fromEntries(
  plugins.map((plugin) => [plugin.className, plugin]),
);

const DEFAULT_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";

/** The plugin named by its class name or an alias, or undefined. */
export function findConverterPlugin(name: string): ConverterPlugin | undefined {
  const wanted = name.trim();
  return plugins.find((plugin) => plugin.className === wanted || plugin.aliases.includes(wanted));
}

/**
 * Creates the key (`isKey`) or value converter named `className` with its own keys in `config`
 * (`schemas.enable`, not `value.converter.schemas.enable`). Throws ConfigError naming
 * `key.converter`/`value.converter` for an unknown name, or the full key of a bad setting.
 */
export function createConverter(
  className: string,
  config: Record<string, string>,
  isKey: boolean,
): Converter {
  const classKey = isKey ? "key.converter" : "value.converter";
  const plugin = findConverterPlugin(className);
  if (plugin === undefined) {
    const known = plugins.flatMap((p) => [p.className, ...p.aliases]).join(", ");
    throw new ConfigError([
      { field: classKey, message: `unknown converter "${className}"; use one of ${known}` },
    ]);
  }
  return withKeyPrefix(`${classKey}.`, () => plugin.create(plugin.config.parse(config)));
}

/**
 * The key and value converters of a connector, chosen as Kafka Connect chooses them: a connector that
 * sets `key.converter` (or `value.converter`) gets that class configured by its own
 * `key.converter.*` keys; otherwise the worker's class and the worker's `key.converter.*` keys apply.
 * As in Kafka Connect, a connector's `value.converter.schemas.enable` without `value.converter` is
 * ignored. Without either, JsonConverter with schemas.enable=true.
 */
export function convertersFor(
  worker: Readonly<Record<string, string>>,
  connector: Readonly<Record<string, string>>,
): { key: Converter; value: Converter } {
  const converterOf = (classKey: "key.converter" | "value.converter"): Converter => {
    const source = connector[classKey] !== undefined ? connector : worker;
    const className = source[classKey] ?? DEFAULT_CONVERTER;
    return createConverter(className, keysUnder(source, `${classKey}.`), classKey === "key.converter");
  };
  return { key: converterOf("key.converter"), value: converterOf("value.converter") };
}
