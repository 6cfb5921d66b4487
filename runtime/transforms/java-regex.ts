/**
 * Java regular expressions and replacement strings, as RegexRouter and TopicNameMatches take them.
 * Java and JavaScript agree on the common syntax (classes, groups, quantifiers, lookaround, named
 * groups); leading inline flags `(?i)`, `(?s)`, `(?m)` become JavaScript flags. Java-only constructs
 * (possessive quantifiers, `\A`, `\Z`) are refused as invalid.
 */

/** A RegExp that matches only the whole input, as Java's Matcher.matches(). Throws Error when invalid. */
export function wholeMatchRegex(pattern: string): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(pattern);
  const flags = inline ? [...new Set(inline[1])].join("") : "";
  const source = inline ? pattern.slice(inline[0].length) : pattern;
  return new RegExp(`^(?:${source})$`, flags);
}

/** Validates a regex config value; returns what to fix, or undefined when it compiles. */
export function regexProblem(pattern: string): string | undefined {
  try {
    wholeMatchRegex(pattern);
    return undefined;
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
}

type ReplacementPart = string | number | { name: string };

/**
 * Compiles a Java replacement string for `regex`: `$n` and `${name}` insert groups, `\x` inserts `x`.
 * As in Java, `$12` means group 12 only when the regex has that many groups, else group 1 then "2".
 * Throws Error for a dangling `\\`, a lone `$`, or a group the regex does not have.
 */
export function javaReplacement(replacement: string, regex: RegExp): (match: RegExpExecArray) => string {
  const probe = new RegExp(`${regex.source}|`).exec("") as RegExpExecArray;
  const groupCount = probe.length - 1;
  const groupNames = new Set(Object.keys(probe.groups ?? {}));
  const parts: ReplacementPart[] = [];
  let literal = "";
  let i = 0;
  while (i < replacement.length) {
    const char = replacement[i] as string;
    if (char === "\\") {
      if (i + 1 >= replacement.length) throw new Error("replacement ends with a lone \\");
      literal += replacement[i + 1];
      i += 2;
      continue;
    }
    if (char !== "$") {
      literal += char;
      i++;
      continue;
    }
    if (literal !== "") parts.push(literal);
    literal = "";
    if (replacement[i + 1] === "{") {
      const end = replacement.indexOf("}", i + 2);
      if (end < 0) throw new Error("replacement has a group name in braces without the closing brace");
      const name = replacement.slice(i + 2, end);
      if (!groupNames.has(name))
        throw new Error(`replacement refers to group "${name}", which the regex lacks`);
      parts.push({ name });
      i = end + 1;
      continue;
    }
    let digits = /^\d/.test(replacement[i + 1] ?? "") ? (replacement[i + 1] as string) : "";
    if (digits === "")
      throw new Error(`replacement has a "$" that is not followed by a group number or a {name}`);
    let end = i + 2;
    while (/^\d/.test(replacement[end] ?? "") && Number(digits + replacement[end]) <= groupCount) {
      digits += replacement[end];
      end++;
    }
    if (Number(digits) > groupCount)
      throw new Error(`replacement refers to group ${digits}, which the regex lacks`);
    parts.push(Number(digits));
    i = end;
  }
  if (literal !== "") parts.push(literal);
  return (match) =>
    parts
      .map((part) =>
        typeof part === "string"
          ? part
          : typeof part === "number"
            ? (match[part] ?? "")
            : (match.groups?.[part.name] ?? ""),
      )
      .join("");
}
