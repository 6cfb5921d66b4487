import { type ServiceReport, stackDown, stackStatus, stackUp } from "./stack.ts";

function line(report: ServiceReport): string {
  const seconds = (report.ms / 1000).toFixed(1).padStart(6);
  return `${report.name.padEnd(11)} ${report.state.padEnd(8)} ${seconds}s  ${report.address}`;
}

const command = process.argv[2];
switch (command) {
  case "up": {
    const reports = await stackUp(undefined, (report) => console.log(line(report)));
    const failed = reports.filter((r) => r.state === "failed");
    for (const report of failed) console.error(`\n${report.name} failed to start: ${report.error}`);
    process.exit(failed.length === 0 ? 0 : 1);
    break;
  }
  case "status": {
    const reports = await stackStatus();
    for (const report of reports) console.log(line(report) + (report.error ? `  (${report.error})` : ""));
    process.exit(reports.every((r) => r.state === "up") ? 0 : 1);
    break;
  }
  case "down": {
    for (const { name, stopped } of await stackDown())
      console.log(`${name.padEnd(11)} ${stopped ? "stopped" : "was not running"}`);
    break;
  }
  default:
    console.error("usage: node stack/cli.ts up|status|down");
    process.exit(2);
}
