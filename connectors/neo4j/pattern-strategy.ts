import { DataError, isTombstone, type SinkRecord } from "../../runtime/api/index.ts";
import type {
  NodePattern,
  Pattern,
  PropertyMapping,
  PropertySelection,
  RelationshipPattern,
} from "./pattern.ts";
import { type Bindings, type MergedNode, quote, type TopicStrategy, type Write } from "./strategy.ts";
import { checkPropertyValue, flattenInto, headersOf, isMap, timestampOf, toNeo4j } from "./values.ts";

export interface PatternOptions {
  readonly bindings: Bindings;
  /** neo4j.pattern.merge-node-properties: add to a node's properties instead of replacing them. */
  readonly mergeNodeProperties: boolean;
  /** neo4j.pattern.merge-relationship-properties: the same for the relationship. */
  readonly mergeRelationshipProperties: boolean;
}

/**
 * Where a pattern's names point among a message's dotted names, worked out once per name (every message
 * of a topic asks the same questions).
 */
class FieldNames {
  readonly bindings: Bindings;
  readonly valuePrefix: string;
  readonly #explicitPrefixes: readonly string[];
  readonly #explicit = new Map<string, boolean>();
  readonly #keyCandidates = new Map<
    PropertyMapping,
    { readonly row: string[]; readonly tombstone: string[] }
  >();
  readonly #includeSources = new Map<string, string>();

  constructor(bindings: Bindings) {
    this.bindings = bindings;
    this.valuePrefix = `${bindings.value}.`;
    this.#explicitPrefixes = [bindings.value, bindings.key, bindings.header].map((part) => `${part}.`);
  }

  /** True when `from` names its part of the message itself, e.g. `__key.id` or `__timestamp`. */
  isExplicit(from: string): boolean {
    let explicit = this.#explicit.get(from);
    if (explicit === undefined) {
      const b = this.bindings;
      explicit =
        from === b.timestamp ||
        from === b.key ||
        this.#explicitPrefixes.some((prefix) => from.startsWith(prefix));
      this.#explicit.set(from, explicit);
    }
    return explicit;
  }

  /**
   * The names a key property may be read from, in order: the value or else the key (a tombstone has only
   * its key, so `__value.x` is read as `__key.x` there).
   */
  keyCandidates(mapping: PropertyMapping, tombstone: boolean): readonly string[] {
    let candidates = this.#keyCandidates.get(mapping);
    if (candidates === undefined) {
      const b = this.bindings;
      const { from } = mapping;
      candidates = this.isExplicit(from)
        ? {
            row: [from],
            tombstone: [from.startsWith(this.valuePrefix) ? `${b.key}${from.slice(b.value.length)}` : from],
          }
        : {
            row: [`${b.value}.${from}`, `${b.key}.${from}`],
            tombstone: [`${b.value}.${from}`, `${b.key}.${from}`],
          };
      this.#keyCandidates.set(mapping, candidates);
    }
    return tombstone ? candidates.tombstone : candidates.row;
  }

  /** The name a listed property is read from: `from` itself when explicit, else the value's field. */
  includeSource(from: string): string {
    let source = this.#includeSources.get(from);
    if (source === undefined) {
      source = this.isExplicit(from) ? from : `${this.valuePrefix}${from}`;
      this.#includeSources.set(from, source);
    }
    return source;
  }
}

/**
 * One message flattened into dotted names (`__value.address.city`, `__key.id`, `__header.trace`,
 * `__timestamp`), from which a pattern reads its keys and properties. Names read as keys or listed
 * properties are marked used, so that a later `*` does not take them again.
 */
class MessageFields {
  readonly tombstone: boolean;
  readonly #fields = new Map<string, unknown>();
  readonly #used = new Set<string>();
  readonly #names: FieldNames;
  readonly #scalarKey: boolean;

  /** `readsTimestamp`: whether the pattern reads the timestamp, which is then made a DATETIME. */
  constructor(record: SinkRecord, names: FieldNames, readsTimestamp: boolean) {
    const bindings = names.bindings;
    this.#names = names;
    this.tombstone = isTombstone(record);
    if (readsTimestamp) this.#fields.set(bindings.timestamp, timestampOf(record));
    flattenInto(this.#fields, bindings.header, headersOf(record.headers));
    const key = toNeo4j(record.key, record.keySchema);
    flattenInto(this.#fields, bindings.key, key);
    this.#scalarKey = key !== null && !isMap(key);
    if (!this.tombstone) {
      const value = toNeo4j(record.value, record.valueSchema);
      if (!isMap(value)) {
        throw new DataError(
          "the value is not a map (a JSON object or a struct), so a pattern cannot read fields from it",
        );
      }
      flattenInto(this.#fields, bindings.value, value);
    }
  }

  /**
   * The key properties, each read from the value or else the key (a tombstone has only its key, so
   * `__value.x` is read as `__key.x` there). With `scalarKeyStandsIn`, a key that is not a map stands
   * for the one key property the message lacks.
   */
  keys(mappings: readonly PropertyMapping[], scalarKeyStandsIn: boolean): Record<string, unknown> {
    const keys: Record<string, unknown> = {};
    for (const mapping of mappings) {
      const { to, from } = mapping;
      let name = this.#names
        .keyCandidates(mapping, this.tombstone)
        .find((candidate) => this.#fields.has(candidate));
      const scalarKey = this.#names.bindings.key;
      if (name === undefined && scalarKeyStandsIn && this.#scalarKey && this.#fields.has(scalarKey))
        name = scalarKey;
      if (name === undefined) {
        const where = this.tombstone ? "the key of this tombstone" : "the message's value or key";
        throw new DataError(`key property "${to}" (read from "${from}") is not in ${where}`);
      }
      const value = this.#fields.get(name);
      if (value === null || value === undefined) {
        throw new DataError(`key property "${to}" (read from "${name}") is null`);
      }
      checkPropertyValue(to, value);
      this.#used.add(name);
      keys[to] = value;
    }
    return keys;
  }

  /** The non-key properties a selection takes: `*` first, then the listed ones, less the excluded. */
  properties(selection: PropertySelection): Record<string, unknown> {
    const { valuePrefix } = this.#names;
    const { excludes } = selection;
    const properties: Record<string, unknown> = {};
    const take = (name: string, value: unknown) => {
      if (excludes.length > 0 && excludes.some((ex) => name === ex || name.startsWith(`${ex}.`))) return;
      checkPropertyValue(name, value);
      properties[name] = value;
    };
    if (selection.includeAll) {
      for (const [name, value] of this.#fields) {
        if (name.startsWith(valuePrefix) && !this.#used.has(name))
          take(name.slice(valuePrefix.length), value);
      }
    }
    for (const { to, from } of selection.includes) {
      const source = this.#names.includeSource(from);
      if (this.#fields.has(source)) {
        this.#used.add(source);
        take(to, this.#fields.get(source));
        continue;
      }
      const nested = `${source}.`;
      for (const [name, value] of this.#fields) {
        if (!name.startsWith(nested)) continue;
        this.#used.add(name);
        take(`${to}${name.slice(source.length)}`, value);
      }
    }
    return properties;
  }
}

/** True when any mapping of the selections reads `timestamp`. */
function readsTimestamp(timestamp: string, ...selections: PropertySelection[]): boolean {
  return selections.some((s) => [...s.keys, ...s.includes].some(({ from }) => from === timestamp));
}

function mergedNode(node: NodePattern): MergedNode {
  return { labels: node.labels, keys: node.keys.map(({ to }) => to) };
}

function labels(node: NodePattern): string {
  return node.labels.map((label) => `:${quote(label)}`).join("");
}

/** `{id: event.keys.id, …}`, or nothing when there are no keys. */
function keyMap(keys: readonly PropertyMapping[], path: string): string {
  if (keys.length === 0) return "";
  return ` {${keys.map(({ to }) => `${quote(to)}: ${path}.keys.${quote(to)}`).join(", ")}}`;
}

/** Replaces the properties with `path.properties` plus the keys, or adds to them when merging. */
function setProperties(variable: string, path: string, merge: boolean): string {
  return merge
    ? `SET ${variable} += ${path}.properties`
    : `SET ${variable} = ${path}.properties SET ${variable} += ${path}.keys`;
}

/**
 * `neo4j.pattern.topic.<topic>` with a node pattern: a message MERGEs the node on its key properties
 * and sets its properties; a tombstone DETACH DELETEs the node with the keys read from its key.
 */
class NodePatternStrategy implements TopicStrategy {
  readonly configKey: string;
  readonly mergedNodes: readonly MergedNode[];
  readonly #pattern: NodePattern;
  readonly #names: FieldNames;
  readonly #readsTimestamp: boolean;
  readonly #merge: string;
  readonly #delete: string;

  constructor(configKey: string, pattern: NodePattern, options: PatternOptions) {
    this.configKey = configKey;
    this.#pattern = pattern;
    this.#names = new FieldNames(options.bindings);
    this.mergedNodes = [mergedNode(pattern)];
    this.#readsTimestamp = readsTimestamp(options.bindings.timestamp, pattern);
    const node = `(n${labels(pattern)}${keyMap(pattern.keys, "event")})`;
    this.#merge = `UNWIND $events AS event\nMERGE ${node}\n${setProperties("n", "event", options.mergeNodeProperties)}`;
    this.#delete = `UNWIND $events AS event\nMATCH ${node}\nDETACH DELETE n`;
  }

  toWrite(record: SinkRecord): Write {
    const fields = new MessageFields(record, this.#names, this.#readsTimestamp);
    const keys = fields.keys(this.#pattern.keys, this.#pattern.keys.length === 1);
    if (fields.tombstone) return { kind: "delete", row: { keys } };
    return { kind: "merge", row: { keys, properties: fields.properties(this.#pattern) } };
  }

  statement(kind: string): string {
    return kind === "delete" ? this.#delete : this.#merge;
  }

  statements(): readonly string[] {
    return [this.#merge, this.#delete];
  }
}

/**
 * `neo4j.pattern.topic.<topic>` with a relationship pattern: a message MERGEs both nodes on their keys,
 * then the relationship between them (on its own keys, if it has any); a tombstone deletes the
 * relationship, leaving the nodes.
 */
class RelationshipPatternStrategy implements TopicStrategy {
  readonly configKey: string;
  readonly mergedNodes: readonly MergedNode[];
  readonly #pattern: RelationshipPattern;
  readonly #names: FieldNames;
  readonly #readsTimestamp: boolean;
  readonly #merge: string;
  readonly #delete: string;

  constructor(configKey: string, pattern: RelationshipPattern, options: PatternOptions) {
    this.configKey = configKey;
    this.#pattern = pattern;
    this.#names = new FieldNames(options.bindings);
    this.mergedNodes = [mergedNode(pattern.start), mergedNode(pattern.end)];
    this.#readsTimestamp = readsTimestamp(options.bindings.timestamp, pattern, pattern.start, pattern.end);
    const start = `(s${labels(pattern.start)}${keyMap(pattern.start.keys, "event.start")})`;
    const end = `(e${labels(pattern.end)}${keyMap(pattern.end.keys, "event.end")})`;
    const type = `:${quote(pattern.type)}${keyMap(pattern.keys, "event")}`;
    this.#merge = [
      "UNWIND $events AS event",
      `MERGE ${start}`,
      setProperties("s", "event.start", options.mergeNodeProperties),
      `MERGE ${end}`,
      setProperties("e", "event.end", options.mergeNodeProperties),
      `MERGE (s)-[r${type}]->(e)`,
      setProperties("r", "event", options.mergeRelationshipProperties),
    ].join("\n");
    this.#delete = `UNWIND $events AS event\nMATCH ${start}-[r${type}]->${end}\nDELETE r`;
  }

  toWrite(record: SinkRecord): Write {
    const fields = new MessageFields(record, this.#names, this.#readsTimestamp);
    const { start, end } = this.#pattern;
    const startKeys = fields.keys(start.keys, false);
    const endKeys = fields.keys(end.keys, false);
    const keys = fields.keys(this.#pattern.keys, false);
    if (fields.tombstone)
      return { kind: "delete", row: { start: { keys: startKeys }, end: { keys: endKeys }, keys } };
    return {
      kind: "merge",
      row: {
        start: { keys: startKeys, properties: fields.properties(start) },
        end: { keys: endKeys, properties: fields.properties(end) },
        keys,
        properties: fields.properties(this.#pattern),
      },
    };
  }

  statement(kind: string): string {
    return kind === "delete" ? this.#delete : this.#merge;
  }

  statements(): readonly string[] {
    return [this.#merge, this.#delete];
  }
}

/** The strategy of a parsed pattern. */
export function patternStrategy(configKey: string, pattern: Pattern, options: PatternOptions): TopicStrategy {
  return pattern.kind === "node"
    ? new NodePatternStrategy(configKey, pattern, options)
    : new RelationshipPatternStrategy(configKey, pattern, options);
}
