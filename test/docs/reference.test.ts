// Invariant: docs/reference/ is exactly what `npm run docs:reference` renders from the config specs, so the
// reference never drifts from the keys the code accepts; and it names every key of every plugin.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { loadInstalledPlugins } from "../../connectors/index.ts";
import { workerConfigDef } from "../../runtime/config/worker-config.ts";
import { converterPlugins } from "../../runtime/converters/registry.ts";
import { transformPlugins } from "../../runtime/transforms/registry.ts";
import { commonConnectorConfig } from "../../runtime/worker/connector-config.ts";
import { REFERENCE_DIR, renderReference } from "../../stack/docs-reference.ts";

const pages = await renderReference();
const installedPlugins = await loadInstalledPlugins();

test.each([...pages.keys()])(
  "docs/reference/%s is up to date (regenerate with npm run docs:reference)",
  (name) => {
    const committed = readFileSync(join(REFERENCE_DIR, name), "utf8");
    expect(committed).toBe(pages.get(name));
  },
);

test("every key of every connector, the engine, the worker, transforms and converters is in the reference", () => {
  const text = (name: string) => pages.get(name) ?? "";
  const expectKeys = (page: string, names: Iterable<string>) => {
    for (const name of names) expect(text(page), `${page} lacks ${name}`).toContain(`| \`${name}\` |`);
  };
  for (const plugin of installedPlugins) {
    expect(text("connectors.md")).toContain(`## ${plugin.name}\n`);
    expectKeys(
      "connectors.md",
      plugin.config.keys().map((key) => key.name),
    );
  }
  for (const type of ["source", "sink"] as const) {
    expectKeys(
      "connectors.md",
      commonConnectorConfig(type)
        .keys()
        .map((key) => key.name),
    );
  }
  expectKeys(
    "worker.md",
    workerConfigDef.keys().map((key) => key.name),
  );
  for (const plugin of Object.values(transformPlugins)) {
    expect(text("transforms.md")).toContain(`\`${plugin.className}\``);
    expectKeys(
      "transforms.md",
      plugin.config.keys().map((key) => key.name),
    );
  }
  for (const plugin of Object.values(converterPlugins)) {
    expect(text("converters.md")).toContain(`\`${plugin.className}\``);
    expectKeys(
      "converters.md",
      plugin.config.keys().map((key) => key.name),
    );
  }
});
