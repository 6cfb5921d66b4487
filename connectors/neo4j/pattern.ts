import { ErrorCode, SluiceError } from "../../runtime/api/index.ts";

/**
 * The pattern language of `neo4j.pattern.topic.<topic>`, as the Neo4j connector for Kafka defines it:
 *
 *   (:Person{!id, name, -secret})                          a node keyed on `id`
 *   (:User{!userId})-[:BOUGHT{price}]->(:Product{!productId})   a relationship and its two nodes
 *   User{!userId} BOUGHT{price} Product{!productId}         the same, in the simple form
 *
 * Inside braces: `!key` a key property (MERGE on it), `name` an included property, `-name` an
 * excluded one, `*` every value field; `to: from` renames (`!id: userId`, `city: address.city`), and a
 * `from` may name `__key.x`, `__value.x`, `__header.x` or `__timestamp` explicitly. A node or relationship
 * that lists no included property takes every value field (an implicit `*`).
 */

/** One property: `to` is its name in the graph, `from` where it is read from the message. */
export interface PropertyMapping {
  readonly to: string;
  readonly from: string;
}

/** What one node or relationship takes from a message. */
export interface PropertySelection {
  readonly keys: readonly PropertyMapping[];
  readonly includes: readonly PropertyMapping[];
  readonly excludes: readonly string[];
  /** `*`, written or implied: every value field not used elsewhere. */
  readonly includeAll: boolean;
}

export interface NodePattern extends PropertySelection {
  readonly kind: "node";
  readonly labels: readonly string[];
}

export interface RelationshipPattern extends PropertySelection {
  readonly kind: "relationship";
  readonly type: string;
  readonly start: NodePattern;
  readonly end: NodePattern;
}

export type Pattern = NodePattern | RelationshipPattern;

/** A pattern that does not parse; the message names the column and what was expected there. */
export function patternError(message: string): SluiceError {
  return new SluiceError(ErrorCode.CONFIG_INVALID, message);
}

const IDENTIFIER_START = /[\p{L}_]/u;
/** Dots belong to names, so that `address.city` names a nested field. */
const IDENTIFIER_PART = /[\p{L}\p{N}_.$]/u;
const ARROW_LINES = new Set(["-", "\u00ad", "‐", "‑", "‒", "–", "—", "―", "﹘", "﹣", "－"]);

interface RawSelection {
  keys: PropertyMapping[];
  includes: PropertyMapping[];
  excludes: string[];
  wildcard: boolean;
}

/** A recursive-descent parser over the pattern text; `#at` is the index of the next character. */
class PatternParser {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): Pattern {
    this.#skipSpace();
    if (this.#peek() === undefined) throw patternError("the pattern is empty");
    const pattern = this.#peek() === "(" ? this.#cypherPattern() : this.#simplePattern();
    this.#skipSpace();
    if (this.#peek() !== undefined) this.#fail("the end of the pattern");
    return pattern;
  }

  #cypherPattern(): Pattern {
    const first = this.#cypherNode();
    this.#skipSpace();
    if (this.#peek() === undefined) return topLevelNode(first);
    const leftArrow = this.#accept("<");
    if (!this.#acceptArrowLine())
      this.#fail(leftArrow ? '"-" after "<"' : "a relationship such as -[:TYPE]->");
    this.#skipSpace();
    this.#expect("[", "to open the relationship, as in -[:TYPE]->");
    this.#skipSpace();
    this.#expect(":", "before the relationship type, as in [:TYPE]");
    const type = this.#name("a relationship type");
    this.#skipSpace();
    const selection = this.#peek() === "{" ? this.#selection() : emptySelection();
    this.#skipSpace();
    this.#expect("]", "to close the relationship");
    this.#skipSpace();
    if (!this.#acceptArrowLine()) this.#fail('"-" after "]"');
    const rightArrow = this.#accept(">");
    if (leftArrow === rightArrow) {
      throw patternError(
        `the relationship needs exactly one direction: write (a)-[:${type}]->(b) or (a)<-[:${type}]-(b)`,
      );
    }
    this.#skipSpace();
    const second = this.#cypherNode();
    return leftArrow
      ? relationship(type, selection, second, first)
      : relationship(type, selection, first, second);
  }

  #simplePattern(): Pattern {
    const first = this.#simpleNode();
    this.#skipSpace();
    if (this.#peek() === undefined) return topLevelNode(first);
    const type = this.#name("a relationship type");
    this.#skipSpace();
    const selection = this.#peek() === "{" ? this.#selection() : emptySelection();
    this.#skipSpace();
    const second = this.#simpleNode();
    return relationship(type, selection, first, second);
  }

  #cypherNode(): { labels: string[]; selection: RawSelection } {
    this.#expect("(", "to open a node, as in (:Label{!key})");
    this.#skipSpace();
    const labels: string[] = [];
    while (this.#accept(":")) {
      labels.push(this.#name("a label"));
      this.#skipSpace();
    }
    if (labels.length === 0) this.#fail('a label such as ":Person"');
    if (this.#peek() !== "{") this.#fail('a label or "{"');
    const selection = this.#selection();
    this.#skipSpace();
    this.#expect(")", "to close the node");
    return { labels, selection };
  }

  #simpleNode(): { labels: string[]; selection: RawSelection } {
    const labels = [this.#name("a label")];
    this.#skipSpace();
    while (this.#accept(":")) {
      labels.push(this.#name("a label"));
      this.#skipSpace();
    }
    if (this.#peek() !== "{") this.#fail('a label or "{"');
    return { labels, selection: this.#selection() };
  }

  /** `{ selector, … }`; the caller has seen the `{`. */
  #selection(): RawSelection {
    this.#expect("{", "");
    const selection = emptySelection();
    this.#skipSpace();
    if (this.#accept("}")) return selection;
    for (;;) {
      this.#skipSpace();
      if (this.#accept("*")) selection.wildcard = true;
      else if (this.#accept("-")) selection.excludes.push(this.#name("a property name to exclude"));
      else if (this.#accept("!")) selection.keys.push(this.#mapping("a key property name"));
      else {
        this.#accept("+");
        selection.includes.push(this.#mapping("a property name"));
      }
      this.#skipSpace();
      if (this.#accept("}")) break;
      if (!this.#accept(",")) this.#fail('"," or "}"');
    }
    if (selection.includes.length > 0 && selection.excludes.length > 0 && !selection.wildcard) {
      throw patternError(
        `inclusions (${selection.includes.map((m) => m.to).join(", ")}) and exclusions (${selection.excludes.join(", ")}) cannot be mixed; to exclude, list only exclusions (or add "*")`,
      );
    }
    return selection;
  }

  /** `name` or `to: from`. */
  #mapping(what: string): PropertyMapping {
    const name = this.#name(what);
    this.#skipSpace();
    if (!this.#accept(":")) return { to: name, from: name };
    this.#skipSpace();
    return { to: name, from: this.#name("the field to read after ':'") };
  }

  /** An identifier, or a backtick-quoted name in which ``` `` ``` stands for a backtick. */
  #name(what: string): string {
    this.#skipSpace();
    const first = this.#peek();
    if (first === "`") {
      const start = this.#at;
      let name = "";
      this.#at += 1;
      for (;;) {
        const c = this.#peek();
        if (c === undefined)
          throw patternError(`at column ${start + 1}: the backtick that opens ${what} is never closed`);
        this.#at += 1;
        if (c !== "`") name += c;
        else if (this.#peek() === "`") {
          name += "`";
          this.#at += 1;
        } else break;
      }
      if (name === "") this.#failAt(start, `${what}, not an empty name`);
      return name;
    }
    if (first === undefined || !IDENTIFIER_START.test(first)) this.#fail(what);
    const start = this.#at;
    this.#at += 1;
    while (this.#peek() !== undefined && IDENTIFIER_PART.test(this.#peek() as string)) this.#at += 1;
    return this.#text.slice(start, this.#at);
  }

  #acceptArrowLine(): boolean {
    const c = this.#peek();
    if (c === undefined || !ARROW_LINES.has(c)) return false;
    this.#at += 1;
    return true;
  }

  #peek(): string | undefined {
    return this.#text[this.#at];
  }

  #accept(c: string): boolean {
    if (this.#peek() !== c) return false;
    this.#at += 1;
    return true;
  }

  #expect(c: string, why: string): void {
    if (!this.#accept(c)) this.#fail(why === "" ? `"${c}"` : `"${c}" ${why}`);
  }

  #skipSpace(): void {
    while (this.#peek() !== undefined && /\s/u.test(this.#peek() as string)) this.#at += 1;
  }

  #fail(expected: string): never {
    this.#failAt(this.#at, expected);
  }

  #failAt(at: number, expected: string): never {
    const found = this.#text[at];
    const foundText = found === undefined ? "the end of the pattern" : `"${found}"`;
    throw patternError(`at column ${at + 1}: expected ${expected}, found ${foundText}`);
  }
}

function emptySelection(): RawSelection {
  return { keys: [], includes: [], excludes: [], wildcard: false };
}

function node(labels: string[], raw: RawSelection, impliedWildcard: boolean): NodePattern {
  if (raw.keys.length === 0) {
    throw patternError(
      `the node (${labels.map((l) => `:${l}`).join("")}) needs at least one key property, marked with "!", as in {!id}`,
    );
  }
  return {
    kind: "node",
    labels,
    keys: raw.keys,
    includes: raw.includes,
    excludes: raw.excludes,
    includeAll: raw.wildcard || (impliedWildcard && raw.includes.length === 0),
  };
}

function topLevelNode(parsed: { labels: string[]; selection: RawSelection }): NodePattern {
  return node(parsed.labels, parsed.selection, true);
}

/** A start or end node: its keys plus only the properties it lists. */
function endpoint(parsed: { labels: string[]; selection: RawSelection }): NodePattern {
  const display = parsed.labels.map((l) => `:${l}`).join("");
  if (parsed.selection.excludes.length > 0) {
    throw patternError(
      `the node (${display}) of a relationship cannot exclude properties; list those to include`,
    );
  }
  if (parsed.selection.wildcard) {
    throw patternError(
      `the node (${display}) of a relationship cannot take "*"; list the properties to include`,
    );
  }
  return node(parsed.labels, parsed.selection, false);
}

function relationship(
  type: string,
  raw: RawSelection,
  start: { labels: string[]; selection: RawSelection },
  end: { labels: string[]; selection: RawSelection },
): RelationshipPattern {
  return {
    kind: "relationship",
    type,
    start: endpoint(start),
    end: endpoint(end),
    keys: raw.keys,
    includes: raw.includes,
    excludes: raw.excludes,
    includeAll: raw.wildcard || raw.includes.length === 0,
  };
}

/** Parses a pattern; throws a CONFIG_INVALID SluiceError whose message says where and what to fix. */
export function parsePattern(text: string): Pattern {
  return new PatternParser(text).parse();
}
