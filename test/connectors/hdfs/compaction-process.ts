// One compaction run in its own process, for tests that kill it with SIGKILL:
//   node test/connectors/hdfs/compaction-process.ts '<sink config as JSON>' [<pause ms after each step>]
// prints "start" before the run, "<step> <target>" after each step of each merge, and "done" at the end.
// The optional pause after each step (the process blocks) lets a test's SIGKILL land exactly between two
// steps of a merge; without it, the process runs at full speed.
import { compact } from "../../../connectors/hdfs/compaction.ts";
import { hdfsSettings } from "../../../connectors/hdfs/config.ts";
import { hdfsPlugin } from "../../../connectors/hdfs/plugin.ts";

const raw = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
const pauseMs = Number(process.argv[3] ?? 0);
const settings = hdfsSettings(hdfsPlugin.config.parse(raw));
const blocker = new Int32Array(new SharedArrayBuffer(4));
process.stdout.write("start\n");
await compact(settings, {
  onStep: (step, _directory, target) => {
    process.stdout.write(`${step} ${target}\n`);
    if (pauseMs > 0) Atomics.wait(blocker, 0, 0, pauseMs);
  },
});
process.stdout.write("done\n");
