import { expect, test } from "vitest";
import { INSTALLED_PLUGINS } from "../../../connectors/index.ts";
import type { ConnectorPlugin, InstalledPlugin } from "../../../runtime/api/index.ts";
import { PluginRegistry } from "../../../runtime/worker/plugins.ts";
import { captureSinkPlugin } from "../../support/capture-sink.ts";

/** `loaded` listed as itself unless `identity` says otherwise, counting its imports; the first `failures` fail. */
function listed(
  loaded: ConnectorPlugin,
  identity: Partial<InstalledPlugin> = {},
  failures = 0,
): InstalledPlugin & { loads: number } {
  const { name, aliases, type, version } = loaded;
  let failed = 0;
  const plugin = {
    name,
    aliases,
    type,
    version,
    ...identity,
    loads: 0,
    async load(): Promise<ConnectorPlugin> {
      plugin.loads++;
      if (failed++ < failures) throw new Error("import failed");
      return loaded;
    },
  };
  return plugin;
}

test("listing imports nothing; the first resolve imports the plugin, once", async () => {
  const aliased = { ...captureSinkPlugin, aliases: ["com.example.CaptureSink"] };
  const plugin = listed(aliased);
  const registry = new PluginRegistry([plugin]);
  expect(registry.list().map((p) => [p.name, p.type, p.version])).toEqual([
    [captureSinkPlugin.name, captureSinkPlugin.type, captureSinkPlugin.version],
  ]);
  expect(plugin.loads).toBe(0);
  expect(await registry.resolve(" com.example.CaptureSink ")).toBe(aliased);
  expect(await registry.resolve(captureSinkPlugin.name)).toBe(aliased);
  expect(plugin.loads).toBe(1);
});

test("a failed import is tried again by the next resolve", async () => {
  const plugin = listed(captureSinkPlugin, {}, 1);
  const registry = new PluginRegistry([plugin]);
  await expect(registry.resolve(captureSinkPlugin.name)).rejects.toThrow("import failed");
  expect(await registry.resolve(captureSinkPlugin.name)).toBe(captureSinkPlugin);
  expect(plugin.loads).toBe(2);
});

test("a plugin that loads as another than listed is refused", async () => {
  const registry = new PluginRegistry([listed(captureSinkPlugin, { version: "9.9.9" })]);
  await expect(registry.resolve(captureSinkPlugin.name)).rejects.toMatchObject({ code: "INTERNAL" });
});

test("an unknown class is PLUGIN_NOT_FOUND, naming what exists", async () => {
  const registry = new PluginRegistry([captureSinkPlugin]);
  await expect(registry.resolve("nope")).rejects.toMatchObject({
    code: "PLUGIN_NOT_FOUND",
    message: expect.stringContaining(captureSinkPlugin.name),
  });
});

test("two plugins answering to one name are refused", () => {
  expect(() => new PluginRegistry([captureSinkPlugin, listed(captureSinkPlugin)])).toThrow(/two plugins/);
});

test("every installed plugin imports as it is listed", async () => {
  const registry = new PluginRegistry(INSTALLED_PLUGINS);
  for (const plugin of INSTALLED_PLUGINS) {
    const loaded = await registry.resolve(plugin.name);
    expect([loaded.name, loaded.aliases, loaded.type, loaded.version]).toEqual([
      plugin.name,
      plugin.aliases,
      plugin.type,
      plugin.version,
    ]);
  }
});
