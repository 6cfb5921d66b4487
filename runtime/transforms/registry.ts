import { castPlugins } from "./cast.ts";
import { dropHeadersPlugin } from "./drop-headers.ts";
import { extractFieldPlugins } from "./extract-field.ts";
import { extractNewRecordStatePlugin } from "./extract-new-record-state.ts";
import { filterPlugin } from "./filter.ts";
import { flattenPlugins } from "./flatten.ts";
import { hoistFieldPlugins } from "./hoist-field.ts";
import { insertFieldPlugins } from "./insert-field.ts";
import { insertHeaderPlugin } from "./insert-header.ts";
import { maskFieldPlugins } from "./mask-field.ts";
import { hasHeaderKeyPlugin, recordIsTombstonePlugin, topicNameMatchesPlugin } from "./predicates.ts";
import { regexRouterPlugin } from "./regex-router.ts";
import { replaceFieldPlugins } from "./replace-field.ts";
import { timestampConverterPlugins } from "./timestamp-converter.ts";
import { timestampRouterPlugin } from "./timestamp-router.ts";
import type { TransformPlugin } from "./transformation.ts";
import { valueToKeyPlugin } from "./value-to-key.ts";

const plugins: readonly TransformPlugin[] = [
  ...castPlugins,
  dropHeadersPlugin,
  ...extractFieldPlugins,
  filterPlugin,
  ...flattenPlugins,
  ...hoistFieldPlugins,
  ...insertFieldPlugins,
  insertHeaderPlugin,
  ...maskFieldPlugins,
  regexRouterPlugin,
  ...replaceFieldPlugins,
  ...timestampConverterPlugins,
  timestampRouterPlugin,
  valueToKeyPlugin,
  extractNewRecordStatePlugin,
  hasHeaderKeyPlugin,
  recordIsTombstonePlugin,
  topicNameMatchesPlugin,
];

/** Every transformation and predicate Sluice offers, by class name, as GET /connector-plugins lists them. */
export const transformPlugins: Readonly<Record<string, TransformPlugin>> = Object.fromEntries(
  plugins.map((plugin) => [plugin.className, plugin]),
);

const byName = new Map<string, TransformPlugin>(
  plugins.flatMap((plugin) => [plugin.className, ...plugin.aliases].map((name) => [name, plugin] as const)),
);

/** The plugin whose class name or alias is `name` (exact spelling), or undefined. */
export function findTransformPlugin(name: string): TransformPlugin | undefined {
  return byName.get(name.trim());
}
