/**
 * Integers beyond 2^53 in schemaless JSON. JSON.parse rounds them; Kafka Connect keeps them exact. A
 * sink reading change events meets one in nearly every record (`ts_ns`), so instead of parsing such
 * text again exactly, the value JSON.parse made is kept and only those integers are replaced, by
 * bigints read from their text.
 */

/** False when the value JSON.parse made holds an integer beyond 2^53, which it may have rounded. */
export function onlySafeIntegers(value: unknown): boolean {
  if (typeof value === "number") return !Number.isInteger(value) || Number.isSafeInteger(value);
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) return value.every(onlySafeIntegers);
  for (const key in value) if (!onlySafeIntegers((value as Record<string, unknown>)[key])) return false;
  return true;
}

/**
 * `parsed` (what JSON.parse made of `text`) with every integer beyond 2^53 replaced by the exact bigint
 * its text says; an integer written with a fraction or an exponent stays a number. May change `parsed`
 * in place. Undefined when an object of the text repeats a key: JSON.parse kept only the last, and
 * which of the integers survived cannot be told by position; the caller must parse exactly instead.
 */
export function withBigIntegers(parsed: unknown, text: string): unknown {
  const { integers, members } = scan(text);
  if (members !== memberCount(parsed)) return undefined;
  let root = parsed;
  for (const { path, source } of integers) {
    const exact = BigInt(source);
    if (path.length === 0) {
      root = exact;
      continue;
    }
    let container = root as Record<string | number, unknown>;
    for (let depth = 0; depth < path.length - 1; depth++)
      container = container[path[depth] as string | number] as Record<string | number, unknown>;
    container[path[path.length - 1] as string | number] = exact;
  }
  return root;
}

/** How many members the objects of a parsed value hold, all together. */
function memberCount(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += memberCount(item);
    return count;
  }
  for (const key in value) count += 1 + memberCount((value as Record<string, unknown>)[key]);
  return count;
}

/** An array or object the scan is inside: the index of its current element, or its current key's text. */
interface Frame {
  readonly object: boolean;
  index: number;
  /** The current key, quotes included: text.slice(keyStart, keyEnd). */
  keyStart: number;
  keyEnd: number;
}

interface ScannedInteger {
  readonly path: ReadonlyArray<string | number>;
  readonly source: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
/** 2^53 has 16 digits: a shorter integer is exact as a number. */
const SAFE_DIGITS = 15;

/**
 * Walks valid JSON text (JSON.parse accepted it): the integers beyond 2^53 with where they are, and the
 * number of object members written.
 */
function scan(text: string): { integers: ScannedInteger[]; members: number } {
  const integers: ScannedInteger[] = [];
  const stack: Frame[] = [];
  let members = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (expectKey) {
        const frame = stack[stack.length - 1] as Frame;
        frame.keyStart = i;
        frame.keyEnd = end + 1;
        members++;
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_BRACE) {
      stack.push({ object: true, index: 0, keyStart: 0, keyEnd: 0 });
      expectKey = true;
    } else if (c === OPEN_BRACKET) {
      stack.push({ object: false, index: 0, keyStart: 0, keyEnd: 0 });
      expectKey = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const frame = stack[stack.length - 1] as Frame;
      if (frame.object) expectKey = true;
      else frame.index++;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      let end = i + 1;
      while (end < text.length && isNumberPart(text.charCodeAt(end))) end++;
      if (end - i > SAFE_DIGITS) {
        const source = text.slice(i, end);
        if (!/[.eE]/.test(source) && !Number.isSafeInteger(Number(source)))
          integers.push({ path: pathOf(stack, text), source });
      }
      i = end - 1;
    }
  }
  return { integers, members };
}

/** The index of the quote that closes the string opening at `open`. */
function closingQuote(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  while (escaped(text, close)) close = text.indexOf('"', close + 1);
  return close;
}

/** True when an odd number of backslashes precede `at`. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

function isNumberPart(c: number): boolean {
  return (c >= ZERO && c <= NINE) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65;
}

function pathOf(stack: readonly Frame[], text: string): Array<string | number> {
  return stack.map((frame) => {
    if (!frame.object) return frame.index;
    const quoted = text.slice(frame.keyStart, frame.keyEnd);
    return quoted.includes("\\") ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
  });
}
