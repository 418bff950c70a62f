import { readFileSync } from "node:fs";
import {
  type AdminApi,
  type LiveSources,
  type NodeMonitor,
  type PhoneService,
  startAdminApi,
} from "@centrex/admin";
import { loadLedgerKey, parseTariffBook } from "@centrex/billing";
import type { NumberingPlan } from "@centrex/dialplan";
import type { SourceGuard } from "@centrex/guard";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";
import { ledgerKeyMaterial } from "./call-records.js";

/** Starts the operator's HTTP API when the config gives it tokens; undefined otherwise. */
export async function startAdmin(
  config: CentrexConfig,
  store: Store,
  logger: Logger,
  numberingPlan: NumberingPlan,
  guard?: SourceGuard,
  phones?: PhoneService,
  monitor?: NodeMonitor,
  live?: LiveSources,
): Promise<AdminApi | undefined> {
  const a = config.admin;
  if (a.tokens.length === 0) return undefined;
  const tariffs =
    config.billing.tariffs === undefined
      ? undefined
      : parseTariffBook(JSON.parse(readFileSync(config.billing.tariffs, "utf8")) as unknown);
  const api = await startAdminApi({
    store,
    address: a.address,
    port: a.port,
    tokens: a.tokens,
    ledgerKey: loadLedgerKey(ledgerKeyMaterial(config)),
    ...(tariffs !== undefined && { tariffs }),
    numberingPlan,
    ...(phones !== undefined && { phones }),
    logger: logger.child({ component: "admin" }),
    tokenMaxFailures: config.security.adminMaxFailures,
    ...(guard !== undefined && { bans: guard }),
    ...(monitor !== undefined && { monitor }),
    ...(live !== undefined && { live }),
    version: packageVersion(),
  });
  logger.info({ event: "admin-started", url: api.url }, "admin API listening");
  return api;
}

/** This package's version (from src/ through tsx, or from compiled dist/src/). */
function packageVersion(): string {
  const up = import.meta.url.includes("/dist/src/") ? "../../../" : "../../";
  try {
    return (
      JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), "utf8")) as { version: string }
    ).version;
  } catch {
    return "unknown";
  }
}
