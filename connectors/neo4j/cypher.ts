import type { SinkRecord } from "../../runtime/api/index.ts";
import { type Bindings, quote, type TopicStrategy, type Write } from "./strategy.ts";
import { messageOf } from "./values.ts";

/** How many lines of the statement precede the template's, to map a server's error position back. */
export const TEMPLATE_LINE_OFFSET = 2;

/**
 * The Cypher strategy, `neo4j.cypher.topic.<topic>`: the user's template runs once per message with
 * the message bound as `__timestamp` (a UTC DATETIME), `__header` (a map), `__key` and `__value` (null
 * for a tombstone), and also `event` (the value) unless neo4j.cypher.bind-value-as-event is false. A
 * batch runs as one statement, `UNWIND $events AS message CALL (message) { … } FINISH`: the subquery
 * applies the template to each message in order, whatever the template reads or returns.
 */
export class CypherStrategy implements TopicStrategy {
  readonly configKey: string;
  /** Unknown: a template's MERGEs are its own. */
  readonly mergedNodes = [];
  readonly #statement: string;

  constructor(configKey: string, template: string, bindings: Bindings, bindValueAsEvent: boolean) {
    this.configKey = configKey;
    const projections = [
      ...(bindValueAsEvent ? ["message.value AS event"] : []),
      ...(["timestamp", "header", "key", "value"] as const)
        .filter((part) => bindings[part] !== "")
        .map((part) =>
          part === "timestamp"
            ? `datetime({epochMillis: message.timestamp}) AS ${quote(bindings.timestamp)}`
            : `message.${part} AS ${quote(bindings[part])}`,
        ),
    ];
    const body = template.trim().replace(/[;\s]+$/u, "");
    this.#statement = `UNWIND $events AS message CALL (message) {\nWITH ${projections.join(", ")}\n${body}\n} FINISH`;
  }

  toWrite(record: SinkRecord): Write {
    return { kind: "cypher", row: messageOf(record) };
  }

  statement(): string {
    return this.#statement;
  }

  statements(): readonly string[] {
    return [this.#statement];
  }
}
