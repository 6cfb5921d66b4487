import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Tests share one stack; files run one at a time so that 2 cores are not oversubscribed.
    fileParallelism: false,
    // Workers started by tests log only errors; tests assert on behaviour, not on log lines.
    env: { SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? "ERROR" },
  },
});
