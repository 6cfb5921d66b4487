import { ConfigDef } from "../api/config.ts";
import { ConfigError, DataError, type FieldError } from "../api/errors.ts";
import type { ConnectRecord } from "../api/records.ts";
import { keysUnder, withKeyPrefix } from "../converters/prefixed-config.ts";
import { findTransformPlugin } from "./registry.ts";
import type { Predicate, PredicatePlugin, Transformation, TransformationPlugin } from "./transformation.ts";

/** One configured transform: applied when it has no predicate, or when the predicate's test differs from `negate`. */
interface Stage {
  alias: string;
  transformation: Transformation;
  predicate?: { alias: string; predicate: Predicate; negate: boolean };
}

/** A connector's transforms in order, as configured under `transforms`. */
export interface TransformChain {
  /** The aliases of the transforms, in the order they apply. */
  readonly aliases: readonly string[];
  /**
   * The record after every transform, or null when one dropped it. A transform or predicate that throws
   * is reported as a DataError naming its alias, with the original error as `cause`.
   */
  apply<R extends ConnectRecord>(record: R): R | null;
}

/** The connector-level keys that configure the chain. */
export const transformChainConfig = new ConfigDef()
  .define({
    name: "transforms",
    type: "list",
    default: [],
    example: "unwrap,route",
    description: "Aliases of the transforms to apply, in order; each is configured under transforms.<alias>.",
  })
  .define({
    name: "predicates",
    type: "list",
    default: [],
    example: "isTombstone",
    description: "Aliases of predicates that transforms can name in transforms.<alias>.predicate.",
  });

const STAGE_KEYS = new Set(["type", "predicate", "negate"]);

function withoutKeys(config: Record<string, string>, keys: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => !keys.has(key)));
}

function duplicates(aliases: string[]): string[] {
  return aliases.filter((alias, index) => aliases.indexOf(alias) !== index);
}

/** The plugin named by `<prefix>type`, checked to be of the wanted kind; throws ConfigError naming that key. */
function pluginAt<T extends "transformation" | "predicate">(
  config: Record<string, string>,
  prefix: string,
  kind: T,
): Extract<TransformationPlugin | PredicatePlugin, { type: T }> {
  const name = config[`${prefix}type`];
  if (name === undefined || name.trim() === "") {
    throw new ConfigError([{ field: `${prefix}type`, message: `is required: the class of this ${kind}` }]);
  }
  const plugin = findTransformPlugin(name);
  if (plugin?.type !== kind) {
    const what = plugin === undefined ? `unknown ${kind}` : `a ${plugin.type}, not a ${kind}`;
    throw new ConfigError([{ field: `${prefix}type`, message: `"${name}" is ${what}` }]);
  }
  return plugin as Extract<TransformationPlugin | PredicatePlugin, { type: T }>;
}

/**
 * Builds the transform chain of a connector config, as Kafka Connect reads it: `transforms` lists
 * aliases; `transforms.<alias>.type` names each class and its other `transforms.<alias>.*` keys configure
 * it; `transforms.<alias>.predicate` names an alias from `predicates` (configured under
 * `predicates.<alias>.*`) and `transforms.<alias>.negate` inverts it. Throws one ConfigError naming every
 * bad key, with its full name (`transforms.mask.fields`).
 */
export function buildTransformChain(connectorConfig: Record<string, string>): TransformChain {
  const errors: FieldError[] = [];
  const collect = <T>(build: () => T): T | undefined => {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(...error.fieldErrors);
      return undefined;
    }
  };
  const parsed = collect(() => transformChainConfig.parse(connectorConfig));
  if (parsed === undefined) throw new ConfigError(errors);
  const aliases = parsed.list("transforms");
  const predicateAliases = parsed.list("predicates");
  for (const [key, list] of [
    ["transforms", aliases],
    ["predicates", predicateAliases],
  ] as const) {
    if (duplicates(list).length > 0)
      errors.push({ field: key, message: `lists ${duplicates(list).join(", ")} twice` });
  }

  const predicates = new Map<string, Predicate>();
  for (const alias of predicateAliases) {
    const prefix = `predicates.${alias}.`;
    const predicate = collect(() => {
      const plugin = pluginAt(connectorConfig, prefix, "predicate");
      const ownKeys = withoutKeys(keysUnder(connectorConfig, prefix), STAGE_KEYS);
      return withKeyPrefix(prefix, () => plugin.create(plugin.config.parse(ownKeys)));
    });
    if (predicate) predicates.set(alias, predicate);
  }

  const stages: Stage[] = [];
  for (const alias of aliases) {
    const prefix = `transforms.${alias}.`;
    const stage = collect((): Stage => {
      const plugin = pluginAt(connectorConfig, prefix, "transformation");
      const ownKeys = withoutKeys(keysUnder(connectorConfig, prefix), STAGE_KEYS);
      const transformation = withKeyPrefix(prefix, () => plugin.create(plugin.config.parse(ownKeys)));
      const predicateAlias = connectorConfig[`${prefix}predicate`]?.trim();
      if (predicateAlias === undefined || predicateAlias === "") return { alias, transformation };
      const negateText = connectorConfig[`${prefix}negate`] ?? "false";
      const negate = negateText.trim().toLowerCase();
      if (negate !== "true" && negate !== "false") {
        throw new ConfigError([
          { field: `${prefix}negate`, message: `must be true or false; got "${negateText}"` },
        ]);
      }
      const predicate = predicates.get(predicateAlias);
      if (predicate === undefined) {
        const known = predicateAliases.length > 0 ? predicateAliases.join(", ") : "none";
        throw new ConfigError([
          {
            field: `${prefix}predicate`,
            message: `"${predicateAlias}" is not a predicate listed in predicates (${known})`,
          },
        ]);
      }
      return {
        alias,
        transformation,
        predicate: { alias: predicateAlias, predicate, negate: negate === "true" },
      };
    });
    if (stage) stages.push(stage);
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return new ConfiguredChain(stages);
}

class ConfiguredChain implements TransformChain {
  readonly #stages: readonly Stage[];
  readonly aliases: readonly string[];

  constructor(stages: readonly Stage[]) {
    this.#stages = stages;
    this.aliases = stages.map((stage) => stage.alias);
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    let current = record;
    for (const { alias, transformation, predicate } of this.#stages) {
      if (predicate && !this.#applies(alias, predicate, current)) continue;
      let next: R | null;
      try {
        next = transformation.apply(current);
      } catch (error) {
        throw failure(`transform "${alias}"`, current, error);
      }
      if (next === null) return null;
      current = next;
    }
    return current;
  }

  #applies(
    alias: string,
    { alias: predicateAlias, predicate, negate }: NonNullable<Stage["predicate"]>,
    record: ConnectRecord,
  ): boolean {
    try {
      return predicate.test(record) !== negate;
    } catch (error) {
      throw failure(`predicate "${predicateAlias}" of transform "${alias}"`, record, error);
    }
  }
}

function failure(what: string, record: ConnectRecord, error: unknown): DataError {
  const reason = error instanceof Error ? error.message : String(error);
  return new DataError(`${what} failed on a record of topic "${record.topic}": ${reason}`, { cause: error });
}
