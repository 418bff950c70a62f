import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type EmergencyTable, parseEmergencyTable } from "./emergency-table.js";
import { DialplanDataError } from "./errors.js";
import { type NumberingPlan, parseNumberingPlan } from "./numbering-plan.js";

// The only I/O in the package: reading data files at start-up or on a live reload.

/** A data file of this package, from src/ (run through tsx) or from compiled dist/src/. */
function packageData(name: string): string {
  const up = import.meta.url.includes("/dist/src/") ? "../../" : "../";
  return fileURLToPath(new URL(`${up}data/${name}`, import.meta.url));
}

/** The numbering plan shipped with this package. */
export const DEFAULT_NUMBERING_PLAN_PATH = packageData("fr-numbering.v1.json");
/** The SAMPLE emergency table shipped with this package (fictional centre numbers). */
export const SAMPLE_EMERGENCY_TABLE_PATH = packageData("emergency-sample.json");

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new DialplanDataError(
      path,
      "",
      `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DialplanDataError(path, "", `not valid JSON (${(err as Error).message})`);
  }
}

/** Load a numbering plan from a file path, or validate an already parsed object. */
export function loadNumberingPlan(
  pathOrObject: string | object = DEFAULT_NUMBERING_PLAN_PATH,
): NumberingPlan {
  return typeof pathOrObject === "string"
    ? parseNumberingPlan(readJson(pathOrObject), pathOrObject)
    : parseNumberingPlan(pathOrObject);
}

/** Load an emergency routing table from a file path, or validate an already parsed object. */
export function loadEmergencyTable(pathOrObject: string | object): EmergencyTable {
  return typeof pathOrObject === "string"
    ? parseEmergencyTable(readJson(pathOrObject), pathOrObject)
    : parseEmergencyTable(pathOrObject);
}
