/**
 * Index names from a template such as `${topic}` or `cdc-${topic}-v2`: `${topic}` stands for the record's
 * topic, lowercased (index names are lowercase). The rules are those Elasticsearch and OpenSearch apply
 * to a new index's name.
 */
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const FORBIDDEN_CHARACTERS = /[\\/*?"<>| ,#:]/;
const MAX_NAME_BYTES = 255;

/** What is wrong with `template`'s placeholders, or undefined when it has only `${topic}`. */
export function templateProblem(template: string): string | undefined {
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match[1] !== "topic") return `has the unknown placeholder "${match[0]}"; the only one is \${topic}`;
  }
  const unclosed = template.replace(PLACEHOLDER, "").includes("${");
  return unclosed ? 'has an unclosed "${"' : undefined;
}

/** The index of a record of `topic`. */
export function renderIndexName(template: string, topic: string): string {
  return template.replace(PLACEHOLDER, () => topic.toLowerCase());
}

/** Why `name` cannot name an index, or undefined when it can. */
export function indexNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name !== name.toLowerCase()) return "must be lowercase";
  const forbidden = FORBIDDEN_CHARACTERS.exec(name);
  if (forbidden) return `must not contain "${forbidden[0]}"`;
  if (/^[-_+]/.test(name)) return 'must not start with "-", "_" or "+"';
  if (name === "." || name === "..") return 'must not be "." or ".."';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `must be at most ${MAX_NAME_BYTES} bytes long`;
  return undefined;
}

/** Why the template yields a bad index name for `topic`, or undefined when it yields a good one. */
export function indexProblemForTopic(template: string, topic: string): string | undefined {
  const name = renderIndexName(template, topic);
  const problem = indexNameProblem(name);
  return problem === undefined
    ? undefined
    : `yields the index name "${name}" for topic "${topic}", which ${problem}`;
}
