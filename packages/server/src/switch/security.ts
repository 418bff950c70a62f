import { type Ban, type ExtensionAlert, SourceGuard } from "@centrex/guard";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";
import type { KernelBans } from "./kernel-bans.js";

/**
 * The node's defences (packages/guard) built from `security.*`, with their events made real:
 * one warn line per ban (source, reason — never one per dropped packet); an extension under
 * attack is logged, written to its customer's audit trail (what the owner sees) and posted to
 * the operator's alert webhook (`billing.fraudWebhook`, the same one fraud alerts use).
 */
export function createSourceGuard(config: CentrexConfig, store: Store, logger: Logger): SourceGuard {
  const s = config.security;
  const dur = (base: number, max: number) => ({ baseMs: base * 1000, maxMs: Math.max(base, max) * 1000 });
  return new SourceGuard(
    {
      allow: s.allow,
      rate: { windowMs: s.flood.windowMs, maxPerWindow: s.flood.maxMessages },
      auth: {
        maxFailures: s.authFailures.maxFailures,
        windowMs: s.authFailures.windowSeconds * 1000,
        extensionAlertFailures: s.authFailures.extensionAlert,
      },
      scannerUserAgents: s.scanners.userAgents,
      bans: {
        flood: dur(s.flood.banSeconds, s.flood.maxBanSeconds),
        "auth-failures": dur(s.authFailures.banSeconds, s.authFailures.maxBanSeconds),
        scanner: dur(s.scanners.banSeconds, s.scanners.maxBanSeconds),
      },
      capacity: s.maxTrackedSources,
    },
    {
      onBan: (ban) => logBan(logger, ban),
      onExtensionAlert: (alert) => {
        void extensionAlert(config, store, logger, alert);
      },
    },
  );
}

/** Mirrors every ban and every lifted ban into the kernel's drop sets. */
export function enforceInKernel(guard: SourceGuard, kernel: KernelBans): void {
  const base = guard.events;
  guard.events = {
    ...base,
    onBan: (ban) => {
      base.onBan?.(ban);
      kernel.add(ban.address, (ban.until - Date.now()) / 1000);
    },
    onClear: (address) => {
      base.onClear?.(address);
      kernel.remove(address);
    },
  };
}

function logBan(logger: Logger, ban: Ban): void {
  logger.warn(
    {
      event: "source-banned",
      source: ban.address,
      reason: ban.reason,
      detail: ban.detail,
      seconds: Math.round((ban.until - ban.since) / 1000),
      until: new Date(ban.until).toISOString(),
      offences: ban.offences,
    },
    `source ${ban.address} banned (${ban.reason}): no answers until ${new Date(ban.until).toISOString()}`,
  );
}

async function extensionAlert(
  config: CentrexConfig,
  store: Store,
  logger: Logger,
  alert: ExtensionAlert,
): Promise<void> {
  const at = alert.extension.lastIndexOf("@");
  const number = at < 0 ? alert.extension : alert.extension.slice(0, at);
  const domain = at < 0 ? "" : alert.extension.slice(at + 1);
  const detail = {
    extension: number,
    domain,
    failures: alert.failures,
    windowSeconds: Math.round(alert.windowMs / 1000),
    sources: alert.sources,
  };
  logger.warn(
    { event: "extension-auth-alert", ...detail },
    `extension ${alert.extension}: ${alert.failures} failed logins — someone is guessing its password (the extension stays usable; the sources get banned)`,
  );
  try {
    const customer = domain === "" ? undefined : await store.customers.findByDomain(domain);
    if (customer !== undefined) {
      await store.audit.append({
        actor: "system:guard",
        action: "extension.auth-alert",
        customerId: customer.id,
        detail,
      });
    }
  } catch (err) {
    logger.warn({ err, event: "extension-auth-alert" }, "audit entry for the alert not written");
  }
  const url = config.billing.fraudWebhook;
  if (url === undefined) return;
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "auth-alert", ...detail }),
    signal: AbortSignal.timeout(5000),
  }).catch((err: unknown) => logger.warn({ err, url }, "alert webhook failed"));
}
