import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { keyAndValuePlugins, partTransformation, type Side } from "./record-part.ts";
import { asField, perSchema, requireFields, structFields, structWithFields } from "./struct.ts";
import type { Transformation } from "./transformation.ts";

function renamesProblem(renames: string[]): string | undefined {
  const bad = renames.find((rename) => !/^[^:]+:[^:]+$/.test(rename));
  return bad === undefined ? undefined : `must be a list of old:new pairs; "${bad}" is not one`;
}

const config = new ConfigDef()
  .define({
    name: "exclude",
    type: "list",
    default: [],
    description: "Fields to drop; they win over include.",
  })
  .define({
    name: "include",
    type: "list",
    default: [],
    description: "Fields to keep; empty keeps every field.",
  })
  .define({
    name: "renames",
    type: "list",
    default: [],
    example: "old_name:new_name,id:key",
    description: "Field renames as old:new pairs.",
    validate: renamesProblem,
  })
  .define({ name: "blacklist", type: "list", default: [], description: "Deprecated spelling of exclude." })
  .define({ name: "whitelist", type: "list", default: [], description: "Deprecated spelling of include." });

/** Kafka Connect's ReplaceField: keeps, drops and renames top-level fields, in their original order. */
function replaceField(parsed: ParsedConfig, side: Side): Transformation {
  const excluded = new Set([...parsed.list("exclude"), ...parsed.list("blacklist")]);
  const included = new Set([...parsed.list("include"), ...parsed.list("whitelist")]);
  const renames = new Map(parsed.list("renames").map((pair) => pair.split(":") as [string, string]));
  const kept = (name: string) => !excluded.has(name) && (included.size === 0 || included.has(name));
  const renamed = (name: string) => renames.get(name) ?? name;
  const replacedSchema = perSchema((schema) =>
    structWithFields(
      schema,
      structFields(schema, "ReplaceField")
        .filter((field) => kept(field.field))
        .map((field) => asField(field, renamed(field.field))),
    ),
  );
  return partTransformation(side, (part) => {
    const entries = Object.entries(requireFields(part, "ReplaceField"));
    return {
      value: Object.fromEntries(
        entries.filter(([name]) => kept(name)).map(([name, item]) => [renamed(name), item]),
      ),
      schema: part.schema && replacedSchema(part.schema),
    };
  });
}

export const replaceFieldPlugins = keyAndValuePlugins({
  name: "ReplaceField",
  description: "Keeps (include), drops (exclude) and renames (renames) fields.",
  config,
  create: replaceField,
});
