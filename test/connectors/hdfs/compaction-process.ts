// One compaction run in its own process, for tests that kill it with SIGKILL:
//   node test/connectors/hdfs/compaction-process.ts '<sink config as JSON>' [<step>#<n>]
// prints "start" before the run, "<step> <target>" after each step of each merge, and "done" at the end.
// With <step>#<n>, the process blocks for 10 s after the nth such step, so that a test's SIGKILL lands
// exactly there; otherwise it runs at full speed.
import { compact } from "../../../connectors/hdfs/compaction.ts";
import { hdfsSettings } from "../../../connectors/hdfs/config.ts";
import { hdfsPlugin } from "../../../connectors/hdfs/plugin.ts";

const raw = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
const [pauseStep, pauseNth] = (process.argv[3] ?? "").split("#");
const settings = hdfsSettings(hdfsPlugin.config.parse(raw));
let seen = 0;
process.stdout.write("start\n");
await compact(settings, {
  onStep: (step, _directory, target) => {
    process.stdout.write(`${step} ${target}\n`);
    if (step === pauseStep && ++seen === Number(pauseNth)) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    }
  },
});
process.stdout.write("done\n");
