import { type ConnectorPlugin, ErrorCode, SluiceError } from "../api/index.ts";

/** The connector plugins a worker knows, found by short name or by any alias (Java class names). */
export class PluginRegistry {
  readonly #byName = new Map<string, ConnectorPlugin>();
  readonly #plugins: ConnectorPlugin[] = [];

  constructor(plugins: readonly ConnectorPlugin[]) {
    for (const plugin of plugins) {
      for (const name of [plugin.name, ...plugin.aliases]) {
        if (this.#byName.has(name)) throw new Error(`two plugins answer to ${name}`);
        this.#byName.set(name, plugin);
      }
      this.#plugins.push(plugin);
    }
  }

  /** The plugin for a `connector.class` value; throws PLUGIN_NOT_FOUND listing what exists. */
  resolve(connectorClass: string): ConnectorPlugin {
    const plugin = this.#byName.get(connectorClass.trim());
    if (!plugin) {
      throw new SluiceError(
        ErrorCode.PLUGIN_NOT_FOUND,
        `Failed to find any class that implements Connector and which name matches ${connectorClass}; available connectors are: ${[...this.#byName.keys()].join(", ")}`,
      );
    }
    return plugin;
  }

  list(): readonly ConnectorPlugin[] {
    return this.#plugins;
  }
}
