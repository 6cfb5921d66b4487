import { stackUp } from "../stack/stack.ts";

/** Brings the real stack up before any test runs (reusing services that already answer). */
export default async function setup(): Promise<void> {
  const reports = await stackUp();
  const failed = reports.filter((r) => r.state === "failed");
  if (failed.length > 0) {
    throw new Error(`the stack did not come up:\n${failed.map((r) => `${r.name}: ${r.error}`).join("\n\n")}`);
  }
}
