import type { SinkRecord } from "../../runtime/api/index.ts";

/** Names under which a message's parts are bound; an empty name leaves that part unbound. */
export interface Bindings {
  readonly timestamp: string;
  readonly header: string;
  readonly key: string;
  readonly value: string;
}

/** A name as a Cypher identifier in backticks. */
export function quote(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/** One record turned into a parameter row of its topic's statement of `kind` (e.g. merge or delete). */
export interface Write {
  readonly kind: string;
  readonly row: Readonly<Record<string, unknown>>;
}

/** How the records of one topic are written: the Neo4j connector's Cypher or pattern strategy. */
export interface TopicStrategy {
  /** The config key that set this strategy up, e.g. `neo4j.pattern.topic.users`. */
  readonly configKey: string;
  /** The write of one record; throws DataError when this record cannot be written. */
  toWrite(record: SinkRecord): Write;
  /** The Cypher that writes a run of rows of `kind`, all at once, from the `$events` parameter. */
  statement(kind: string): string;
  /** Every statement this strategy may run, to compile at validate time. */
  statements(): readonly string[];
  /** The nodes its statements MERGE on key properties, whose lookups want an index. */
  readonly mergedNodes: readonly MergedNode[];
}

/** Nodes MERGEd on `keys` with these labels. */
export interface MergedNode {
  readonly labels: readonly string[];
  readonly keys: readonly string[];
}

/** A record with its write, as the task buffers it. */
export interface PendingWrite extends Write {
  readonly record: SinkRecord;
  readonly strategy: TopicStrategy;
}

/** One statement of a batch with its rows. */
export interface PlannedStatement {
  readonly text: string;
  readonly params: { events: Array<Write["row"]> };
}

/**
 * The statements that write `writes` in one transaction: per topic (in order of first appearance),
 * each run of consecutive writes of one kind becomes one UNWIND statement. Writes are never reordered
 * within a topic, so a key's update, delete and update in one batch apply in that order.
 */
export function planStatements(writes: readonly PendingWrite[]): PlannedStatement[] {
  const byTopic = new Map<TopicStrategy, PendingWrite[]>();
  for (const write of writes) {
    const group = byTopic.get(write.strategy);
    if (group === undefined) byTopic.set(write.strategy, [write]);
    else group.push(write);
  }
  const planned: PlannedStatement[] = [];
  for (const [strategy, group] of byTopic) {
    let kind: string | undefined;
    let events: Array<Write["row"]> = [];
    for (const write of group) {
      if (write.kind !== kind) {
        kind = write.kind;
        events = [];
        planned.push({ text: strategy.statement(kind), params: { events } });
      }
      events.push(write.row);
    }
  }
  return planned;
}
