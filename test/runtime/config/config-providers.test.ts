// Invariant: placeholders resolve only in the copy a connector runs with; the config given stays as it
// was, stored task configs get their placeholders back, and a placeholder that cannot be resolved fails
// with its key and placeholder named and no secret in the message.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config provider placeholders, not templates
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ConfigError } from "../../../runtime/api/index.ts";
import {
  ConfigProviders,
  configProviderSpecs,
  restorePlaceholders,
} from "../../../runtime/config/config-providers.ts";

let dir: string;
const env = { DB_PASSWORD: "s3cret-env", SLUICE_TOKEN: "tok" };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-providers-"));
  await writeFile(join(dir, "db.properties"), "user=app\npassword=s3cret-file\n");
  await writeFile(join(dir, "db.json"), JSON.stringify({ password: "s3cret-json", port: 3306 }));
  await writeFile(join(dir, "token"), "s3cret-whole\n");
  await writeFile(join(dir, "broken.json"), '{"password": "s3cret-broken",');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const both = () =>
  new ConfigProviders(
    [
      { alias: "env", kind: "env", params: {} },
      { alias: "file", kind: "file", params: {} },
    ],
    { env },
  );

/** The ConfigError `promise` rejects with. */
async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

test("env, file keys, JSON keys and whole files resolve into a copy; the config given keeps its placeholders", async () => {
  const config = {
    "connector.class": "mysql-cdc",
    "database.password": "${env:DB_PASSWORD}",
    "database.user": `\${file:${dir}/db.properties:user}`,
    "database.url": `jdbc:mysql://db:\${file:${dir}/db.json:port}/x?password=\${file:${dir}/db.json:password}`,
    token: `\${file:${dir}/token}`,
  };
  const given = { ...config };
  expect(await both().resolveConfig(config)).toEqual({
    "connector.class": "mysql-cdc",
    "database.password": "s3cret-env",
    "database.user": "app",
    "database.url": "jdbc:mysql://db:3306/x?password=s3cret-json",
    token: "s3cret-whole",
  });
  expect(config).toEqual(given);
});

test("a resolved value is not resolved again", async () => {
  const providers = new ConfigProviders([{ alias: "env", kind: "env", params: {} }], {
    env: { NESTED: "${env:DB_PASSWORD}" },
  });
  expect(await providers.resolveConfig({ a: "${env:NESTED}" })).toEqual({ a: "${env:DB_PASSWORD}" });
});

test("every unresolvable placeholder is named with its key, and no secret reaches the message", async () => {
  const error = await configError(
    both().resolveConfig({
      ok: "${env:DB_PASSWORD}",
      "missing.env": "${env:NOPE}",
      "missing.key": `\${file:${dir}/db.properties:nope}`,
      "missing.file": `\${file:${dir}/absent.properties:password}`,
      "broken.json": `\${file:${dir}/broken.json:password}`,
      "unknown.alias": "${vault:secret/db:password}",
    }),
  );
  expect(error.fieldErrors).toEqual([
    { field: "missing.env", message: "cannot resolve ${env:NOPE}: environment variable NOPE is not set" },
    {
      field: "missing.key",
      message: `cannot resolve \${file:${dir}/db.properties:nope}: key "nope" is not in file ${dir}/db.properties`,
    },
    {
      field: "missing.file",
      message: `cannot resolve \${file:${dir}/absent.properties:password}: file ${dir}/absent.properties does not exist`,
    },
    {
      field: "broken.json",
      message: `cannot resolve \${file:${dir}/broken.json:password}: file ${dir}/broken.json is not valid JSON`,
    },
    {
      field: "unknown.alias",
      message:
        'cannot resolve ${vault:secret/db:password}: the worker enables no config provider "vault" (config.providers is "env,file")',
    },
  ]);
  expect(error.message).not.toMatch(/s3cret/);
});

test("a file provider with allowed.paths refuses files outside them, through .. and symlinks too", async () => {
  const outside = await mkdtemp(join(tmpdir(), "sluice-outside-"));
  try {
    await writeFile(join(outside, "secret"), "nope");
    await symlink(join(outside, "secret"), join(dir, "link"));
    const providers = new ConfigProviders([
      { alias: "file", kind: "file", params: { "allowed.paths": dir } },
    ]);
    expect(await providers.resolveConfig({ a: `\${file:${dir}/db.properties:user}` })).toEqual({ a: "app" });
    for (const path of [
      join(outside, "secret"),
      `${dir}/../${outside.split("/").at(-1)}/secret`,
      join(dir, "link"),
    ]) {
      const error = await configError(providers.resolveConfig({ a: `\${file:${path}}` }));
      expect(error.fieldErrors[0]?.message).toMatch(
        /is outside config\.providers\.file\.param\.allowed\.paths$/,
      );
    }
  } finally {
    await rm(outside, { recursive: true, force: true });
    await rm(join(dir, "link"), { force: true });
  }
});

test("an env provider with allowlist.pattern refuses other variables", async () => {
  const providers = new ConfigProviders(
    [{ alias: "env", kind: "env", params: { "allowlist.pattern": "SLUICE_.*" } }],
    {
      env,
    },
  );
  expect(await providers.resolveConfig({ a: "${env:SLUICE_TOKEN}" })).toEqual({ a: "tok" });
  const error = await configError(providers.resolveConfig({ a: "${env:DB_PASSWORD}" }));
  expect(error.fieldErrors).toEqual([
    {
      field: "a",
      message:
        "cannot resolve ${env:DB_PASSWORD}: environment variable DB_PASSWORD does not match config.providers.env.param.allowlist.pattern",
    },
  ]);
});

test("task configs that carry a resolved secret get the placeholder back; other values stay", () => {
  const raw = { password: "${env:DB_PASSWORD}", user: "app", url: "x-${env:HOST}" };
  const resolved = { password: "s3cret-env", user: "app", url: "x-db1" };
  const tasks = [
    { password: "s3cret-env", user: "app", url: "x-db1", "task.id": "0" },
    { password: "changed-by-connector", user: "app", url: "x-db1", "task.id": "1" },
  ];
  expect(restorePlaceholders(raw, resolved, tasks)).toEqual([
    { password: "${env:DB_PASSWORD}", user: "app", url: "x-${env:HOST}", "task.id": "0" },
    { password: "changed-by-connector", user: "app", url: "x-${env:HOST}", "task.id": "1" },
  ]);
});

test("worker provider settings accept Kafka's class names and name each bad key", () => {
  expect(
    configProviderSpecs({
      "config.providers": "file,secrets,env",
      "config.providers.secrets.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
      "config.providers.secrets.param.allowed.paths": "/etc/sluice",
      "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
    }),
  ).toEqual({
    specs: [
      { alias: "file", kind: "file", params: {} },
      { alias: "secrets", kind: "file", params: { "allowed.paths": "/etc/sluice" } },
      { alias: "env", kind: "env", params: {} },
    ],
    errors: [],
  });
  const { specs, errors } = configProviderSpecs({
    "config.providers": "vault,file,env,dir",
    "config.providers.vault.class": "com.example.VaultConfigProvider",
    "config.providers.file.param.allowed.paths": "relative/dir",
    "config.providers.env.param.allowlist.pattern": "(",
    "config.providers.env.param.ttl": "5",
  });
  expect(specs).toEqual([]);
  expect(errors.map((e) => e.field)).toEqual([
    "config.providers.vault.class",
    "config.providers.file.param.allowed.paths",
    "config.providers.env.param.ttl",
    "config.providers.env.param.allowlist.pattern",
    "config.providers",
  ]);
});
