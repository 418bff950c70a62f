/**
 * @centrex/server — the composition root: configuration, start-up and
 * shutdown of a node, and the `centrex` command (bin/centrex.mjs).
 */
export { ConfigError, loadConfigFile, validateConfig } from "./config/load.js";
export { applyOverrides, type StartOverrides } from "./config/overrides.js";
export { type CentrexConfig, configSchema, type ListenConfig } from "./config/schema.js";
export { Switch } from "./switch/switch.js";
