/**
 * Java SimpleDateFormat patterns (as TimestampConverter's `format` and TimestampRouter's
 * `timestamp.format` take them), always in UTC as Kafka Connect uses them. Supported letters:
 * y M L d D E u a H k K h m s S z Z X, quoted literals ('T', '' for a quote). Parsing is strict where
 * Java is lenient: the whole text must match and out-of-range fields (month 13, Feb 30) are refused.
 */

type Token = { kind: "literal"; text: string } | { kind: "field"; letter: string; count: number };

const SUPPORTED_LETTERS = new Set("yMLdDEuaHkKhmsSzZX");
const NUMERIC_LETTERS = new Set("yMLdDuHkKhmsS");
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i] as string;
    if (char === "'") {
      if (pattern[i + 1] === "'") {
        tokens.push({ kind: "literal", text: "'" });
        i += 2;
        continue;
      }
      let text = "";
      i++;
      for (;;) {
        if (i >= pattern.length) throw new Error(`unterminated quote in date pattern "${pattern}"`);
        if (pattern[i] === "'" && pattern[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (pattern[i] === "'") {
          i++;
          break;
        } else {
          text += pattern[i];
          i++;
        }
      }
      tokens.push({ kind: "literal", text });
    } else if (/[A-Za-z]/.test(char)) {
      if (!SUPPORTED_LETTERS.has(char))
        throw new Error(`unsupported letter "${char}" in date pattern "${pattern}"`);
      let count = 1;
      while (pattern[i + count] === char) count++;
      tokens.push({ kind: "field", letter: char, count });
      i += count;
    } else {
      tokens.push({ kind: "literal", text: char });
      i++;
    }
  }
  return tokens;
}

const pad = (value: number, width: number): string => String(value).padStart(width, "0");

function formatField(letter: string, count: number, date: Date): string {
  const hour = date.getUTCHours();
  switch (letter) {
    case "y": {
      const year = date.getUTCFullYear();
      return count === 2 ? pad(year % 100, 2) : pad(year, count);
    }
    case "M":
    case "L": {
      const month = date.getUTCMonth();
      if (count >= 4) return MONTHS[month] as string;
      if (count === 3) return (MONTHS[month] as string).slice(0, 3);
      return pad(month + 1, count);
    }
    case "d":
      return pad(date.getUTCDate(), count);
    case "D":
      return pad(dayOfYear(date), count);
    case "E": {
      const day = DAYS[date.getUTCDay()] as string;
      return count >= 4 ? day : day.slice(0, 3);
    }
    case "u":
      return pad(date.getUTCDay() === 0 ? 7 : date.getUTCDay(), count);
    case "a":
      return hour < 12 ? "AM" : "PM";
    case "H":
      return pad(hour, count);
    case "k":
      return pad(hour === 0 ? 24 : hour, count);
    case "K":
      return pad(hour % 12, count);
    case "h":
      return pad(hour % 12 === 0 ? 12 : hour % 12, count);
    case "m":
      return pad(date.getUTCMinutes(), count);
    case "s":
      return pad(date.getUTCSeconds(), count);
    case "S":
      return pad(date.getUTCMilliseconds(), count);
    case "z":
      return count >= 4 ? "Coordinated Universal Time" : "UTC";
    case "Z":
      return "+0000";
    default:
      return "Z";
  }
}

function dayOfYear(date: Date): number {
  return Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function fieldRegex(token: { letter: string; count: number }, abutsNumber: boolean): string {
  const { letter, count } = token;
  if ((letter === "M" || letter === "L") && count >= 3) {
    return `(${[...MONTHS, ...MONTHS.map((m) => m.slice(0, 3))].join("|")})`;
  }
  if (letter === "E") return `(${[...DAYS, ...DAYS.map((d) => d.slice(0, 3))].join("|")})`;
  if (letter === "a") return "(AM|PM)";
  if (letter === "z") return "(UTC|GMT|Coordinated Universal Time)";
  if (letter === "Z") return "([+-]\\d{4})";
  if (letter === "X") return "(Z|[+-]\\d{2}(?::?\\d{2})?)";
  if (letter === "y" && count === 2) return "(\\d{2})";
  return abutsNumber ? `(\\d{${count}})` : "(\\d+)";
}

/** A compiled SimpleDateFormat pattern that formats and parses instants in UTC. */
export class JavaDateFormat {
  readonly pattern: string;
  readonly #tokens: Token[];
  readonly #parser: RegExp;
  readonly #fields: Array<{ letter: string; count: number }>;

  /** Throws Error saying what is wrong when `pattern` is not a supported SimpleDateFormat pattern. */
  constructor(pattern: string) {
    this.pattern = pattern;
    this.#tokens = tokenize(pattern);
    this.#fields = [];
    let source = "";
    this.#tokens.forEach((token, index) => {
      if (token.kind === "literal") {
        source += escapeRegex(token.text);
        return;
      }
      const next = this.#tokens[index + 1];
      const abutsNumber =
        next?.kind === "field" && NUMERIC_LETTERS.has(next.letter) && NUMERIC_LETTERS.has(token.letter);
      source += fieldRegex(token, abutsNumber);
      this.#fields.push(token);
    });
    this.#parser = new RegExp(`^${source}$`, "i");
  }

  /** The text of the instant `epochMillis` in UTC. */
  format(epochMillis: number): string {
    const date = new Date(epochMillis);
    return this.#tokens
      .map((token) => (token.kind === "literal" ? token.text : formatField(token.letter, token.count, date)))
      .join("");
  }

  /** Milliseconds since the epoch of `text`, or undefined when it does not match the pattern exactly. */
  parse(text: string): number | undefined {
    const match = this.#parser.exec(text.trim());
    if (!match) return undefined;
    let year = 1970;
    let month = 1;
    let day = 1;
    let yearDay: number | undefined;
    let hour = 0;
    let pm: boolean | undefined;
    let twelveHour = false;
    let minute = 0;
    let second = 0;
    let millis = 0;
    let offsetMinutes = 0;
    for (const [index, field] of this.#fields.entries()) {
      const value = match[index + 1] as string;
      const number = Number(value);
      switch (field.letter) {
        case "y":
          year = field.count === 2 ? twoDigitYear(number) : number;
          break;
        case "M":
        case "L":
          month = field.count >= 3 ? monthNumber(value) : number;
          break;
        case "d":
          day = number;
          break;
        case "D":
          yearDay = number;
          break;
        case "a":
          pm = value.toUpperCase() === "PM";
          break;
        case "H":
          hour = number;
          break;
        case "k":
          hour = number === 24 ? 0 : number;
          break;
        case "K":
        case "h":
          hour = number % 12;
          twelveHour = true;
          break;
        case "m":
          minute = number;
          break;
        case "s":
          second = number;
          break;
        case "S":
          millis = number;
          break;
        case "Z":
        case "X":
          offsetMinutes = parseOffset(value);
          break;
      }
    }
    if (pm && (twelveHour || hour < 12)) hour += 12;
    if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || millis > 999) return undefined;
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    if (yearDay !== undefined) date.setUTCFullYear(year, 0, yearDay);
    else if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
    date.setUTCHours(hour, minute, second, millis);
    return date.getTime() - offsetMinutes * 60_000;
  }
}

function monthNumber(name: string): number {
  const lower = name.toLowerCase();
  return (
    MONTHS.findIndex((month) => month.toLowerCase() === lower || month.slice(0, 3).toLowerCase() === lower) +
    1
  );
}

/** Java's rule for `yy`: the year within 80 years before and 20 years after now. */
function twoDigitYear(twoDigits: number): number {
  const thisYear = new Date().getUTCFullYear();
  const candidate = thisYear - (thisYear % 100) + twoDigits;
  if (candidate > thisYear + 20) return candidate - 100;
  if (candidate <= thisYear - 80) return candidate + 100;
  return candidate;
}

function parseOffset(text: string): number {
  if (text.toUpperCase() === "Z") return 0;
  const digits = text.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
  return text.startsWith("-") ? -minutes : minutes;
}
