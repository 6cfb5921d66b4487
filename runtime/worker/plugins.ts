import { type ConnectorPlugin, ErrorCode, type InstalledPlugin, SluiceError } from "../api/index.ts";

/**
 * The connector plugins a worker knows, found by short name or by any alias (Java class names). A plugin
 * given as an InstalledPlugin is imported on its first `resolve`, once; one given as a ConnectorPlugin
 * is already loaded.
 */
export class PluginRegistry {
  readonly #byName = new Map<string, InstalledPlugin>();
  readonly #plugins: InstalledPlugin[] = [];
  readonly #loaded = new Map<InstalledPlugin, Promise<ConnectorPlugin>>();

  constructor(plugins: ReadonlyArray<InstalledPlugin | ConnectorPlugin>) {
    for (const given of plugins) {
      const plugin = "load" in given ? given : loaded(given);
      for (const name of [plugin.name, ...plugin.aliases]) {
        if (this.#byName.has(name)) throw new Error(`two plugins answer to ${name}`);
        this.#byName.set(name, plugin);
      }
      this.#plugins.push(plugin);
    }
  }

  /**
   * The plugin for a `connector.class` value, imported if it was not yet. Rejects with PLUGIN_NOT_FOUND
   * listing what exists, or INTERNAL when the imported plugin is not the one listed (a failed import is
   * tried again by the next call).
   */
  resolve(connectorClass: string): Promise<ConnectorPlugin> {
    const listed = this.#byName.get(connectorClass.trim());
    if (!listed) {
      return Promise.reject(
        new SluiceError(
          ErrorCode.PLUGIN_NOT_FOUND,
          `Failed to find any class that implements Connector and which name matches ${connectorClass}; available connectors are: ${[...this.#byName.keys()].join(", ")}`,
        ),
      );
    }
    let loading = this.#loaded.get(listed);
    if (loading === undefined) {
      loading = listed.load().then((plugin) => checkedAgainst(listed, plugin));
      loading.catch(() => this.#loaded.delete(listed));
      this.#loaded.set(listed, loading);
    }
    return loading;
  }

  /** Every plugin as listed, none imported for it. */
  list(): readonly InstalledPlugin[] {
    return this.#plugins;
  }
}

function loaded(plugin: ConnectorPlugin): InstalledPlugin {
  const { name, aliases, type, version } = plugin;
  return { name, aliases, type, version, load: async () => plugin };
}

function checkedAgainst(listed: InstalledPlugin, plugin: ConnectorPlugin): ConnectorPlugin {
  const identity = (p: InstalledPlugin | ConnectorPlugin) =>
    JSON.stringify([p.name, p.aliases, p.type, p.version]);
  if (identity(plugin) !== identity(listed)) {
    throw new SluiceError(
      ErrorCode.INTERNAL,
      `plugin ${listed.name} loaded as ${identity(plugin)}, not as listed: ${identity(listed)}`,
    );
  }
  return plugin;
}
