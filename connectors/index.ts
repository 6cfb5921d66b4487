import type { ConnectorPlugin } from "../runtime/api/index.ts";
import { datagenPlugin } from "./datagen/plugin.ts";

/** Every connector plugin shipped with Sluice; the standalone worker installs all of them. */
export const INSTALLED_PLUGINS: readonly ConnectorPlugin[] = [datagenPlugin];
