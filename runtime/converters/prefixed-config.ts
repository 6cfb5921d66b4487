import { ConfigError } from "../api/errors.ts";

/**
 * Plugins nested in a connector config (converters, transforms, predicates) see their own keys without
 * the prefix, but a user reads and fixes them with it: errors must name `transforms.mask.fields`, not
 * `fields`.
 */

/** Every key of `config` that starts with `prefix`, with the prefix removed. */
export function keysUnder(config: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  }
  return out;
}

/** Runs `build`; a ConfigError it throws is rethrown with every field named as `<prefix><field>`. */
export function withKeyPrefix<T>(prefix: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.fieldErrors.map((fieldError) => ({
        field: `${prefix}${fieldError.field}`,
        message: fieldError.message,
      })),
      { cause: error },
    );
  }
}
