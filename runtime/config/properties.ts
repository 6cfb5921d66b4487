/**
 * Reads Java `.properties` text as `java.util.Properties.load` does: `#` and `!` comments, `=`, `:` or
 * whitespace between key and value, a trailing backslash continues the line, and `\t \n \r \f \uXXXX`
 * escapes. A later key replaces an earlier one.
 */
export function parseProperties(text: string): Record<string, string> {
  const entries = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = trimLeadingSpace(lines[i] ?? "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      i += 1;
      line = line.slice(0, -1) + trimLeadingSpace(lines[i] ?? "");
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    const { key, value } = splitKeyValue(line);
    entries.set(unescapeProperty(key), unescapeProperty(value));
  }
  return Object.fromEntries(entries);
}

const SPACE = /[ \t\f]/;

function trimLeadingSpace(line: string): string {
  return line.replace(/^[ \t\f]+/, "");
}

/** True when the line ends in an odd number of backslashes. */
function endsWithContinuation(line: string): boolean {
  const backslashes = /\\*$/.exec(line)?.[0].length ?? 0;
  return backslashes % 2 === 1;
}

function splitKeyValue(line: string): { key: string; value: string } {
  let end = 0;
  while (end < line.length) {
    const char = line[end] as string;
    if (char === "\\") {
      end += 2;
      continue;
    }
    if (char === "=" || char === ":" || SPACE.test(char)) break;
    end += 1;
  }
  const key = line.slice(0, end);
  let rest = line.slice(end);
  rest = trimLeadingSpace(rest);
  if (rest.startsWith("=") || rest.startsWith(":")) rest = trimLeadingSpace(rest.slice(1));
  return { key, value: rest };
}

const ESCAPES: Readonly<Record<string, string>> = { t: "\t", n: "\n", r: "\r", f: "\f" };

function unescapeProperty(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    return ESCAPES[escaped] ?? escaped;
  });
}
