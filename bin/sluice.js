#!/usr/bin/env node
// The `sluice` command: Node (>= 22.18 or 23.6) runs the TypeScript entry by stripping its types.
import "../runtime/cli/main.ts";
