import type { ConfigDef, ParsedConfig } from "../api/config.ts";
import type { ConnectRecord } from "../api/records.ts";

/**
 * A single message transform (Kafka Connect's Transformation). `apply` returns the transformed record as
 * a new object, never mutating its input (fields it does not touch, such as a source record's offset,
 * are carried over), or null to drop the record. It throws DataError when the record cannot be
 * transformed; the chain names the failing transform.
 */
export interface Transformation {
  apply<R extends ConnectRecord>(record: R): R | null;
}

/** Decides whether a transform applies to a record (Kafka Connect's Predicate); a throw fails the record. */
export interface Predicate {
  test(record: ConnectRecord): boolean;
}

interface PluginBasics {
  /** Kafka Connect's (or Debezium's) class name, which existing configs use. */
  readonly className: string;
  /** Other accepted names for `type`, e.g. `InsertField$Value`. */
  readonly aliases: readonly string[];
  readonly description: string;
  /** The plugin's own keys, without the `transforms.<alias>.` prefix. */
  readonly config: ConfigDef;
}

/** How Sluice finds, documents and creates one transformation class. */
export interface TransformationPlugin extends PluginBasics {
  readonly type: "transformation";
  /** Throws ConfigError naming unprefixed keys when the config is inconsistent. */
  create(config: ParsedConfig): Transformation;
}

/** How Sluice finds, documents and creates one predicate class. */
export interface PredicatePlugin extends PluginBasics {
  readonly type: "predicate";
  /** Throws ConfigError naming unprefixed keys when the config is inconsistent. */
  create(config: ParsedConfig): Predicate;
}

export type TransformPlugin = TransformationPlugin | PredicatePlugin;
