import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A static file of the console, served as is. */
export interface ConsoleAsset {
  readonly type: string;
  readonly body: string;
}

/** packages/admin/console/, from src/console/ (tsx) or from compiled dist/src/console/. */
function consoleFile(name: string): string {
  const up = import.meta.url.includes("/dist/src/") ? "../../../" : "../../";
  return fileURLToPath(new URL(`${up}console/${name}`, import.meta.url));
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** The console's files, read once when the API is built (a missing file stops start-up). */
export function loadConsoleAssets(): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  for (const name of ["index.html", "console.js", "console.css"]) {
    const ext = name.slice(name.lastIndexOf(".") + 1);
    assets.set(name, { type: TYPES[ext]!, body: readFileSync(consoleFile(name), "utf8") });
  }
  return assets;
}
