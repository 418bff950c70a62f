#!/usr/bin/env node
// The `centrex` command. The source is TypeScript, run through tsx's loader so
// the repository needs no build step before use.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
