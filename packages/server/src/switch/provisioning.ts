import { randomBytes } from "node:crypto";
import type { SourceGuard } from "@centrex/guard";
import {
  defaultSealKeyPath,
  loadSealKey,
  PhoneCatalog,
  PhoneInventory,
  PhoneResync,
  type PhoneSettings,
  ProvisioningServer,
} from "@centrex/provisioning";
import type { SipStack } from "@centrex/sip";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";
import type { ProvisioningConfig } from "./provisioning-config.js";

export {
  type ProvisioningConfig,
  provisioningConfigSchema,
  requireProvisioningServer,
} from "./provisioning-config.js";

/** Where the provisioning key is: the config's, else beside the database. */
export function sealKeyPath(config: CentrexConfig): string {
  return config.provisioning?.sealKey ?? defaultSealKeyPath(config.store.path);
}

export function loadCatalog(config: CentrexConfig): PhoneCatalog {
  return config.provisioning?.templates === undefined
    ? PhoneCatalog.load()
    : PhoneCatalog.load(config.provisioning.templates);
}

/** The phones' settings; throws naming the key when the server name has no value. */
export function phoneSettings(config: CentrexConfig, p: ProvisioningConfig): PhoneSettings {
  const server = p.phones.server ?? config.failover?.dns?.serviceName;
  if (server === undefined)
    throw new Error('config: key "provisioning.phones.server": required (the DNS name phones register to)');
  return {
    server,
    secondServer: p.phones.secondServer,
    transport: p.phones.transport,
    dnsMode: p.phones.dnsMode,
    expires: p.phones.expires ?? config.failover?.registrationExpiry ?? 300,
    failback: p.phones.failback,
    failbackSeconds: p.phones.failbackSeconds,
    keepaliveSeconds: p.phones.keepaliveSeconds,
    language: p.phones.language,
    timezone: p.phones.timezone,
    codecs: p.phones.codecs,
  };
}

export interface ProvisioningParts {
  readonly inventory: PhoneInventory;
  readonly resync: PhoneResync;
  /** The HTTPS service, when the config has a `provisioning:` section. */
  readonly server: ProvisioningServer | undefined;
}

export async function startProvisioning(
  config: CentrexConfig,
  store: Store,
  stack: SipStack,
  advertised: string | undefined,
  logger: Logger,
  guard?: SourceGuard,
): Promise<ProvisioningParts> {
  const catalog = loadCatalog(config);
  const sealKey =
    config.store.path === ":memory:" ? randomBytes(32) : loadSealKey(sealKeyPath(config), { create: true });
  const log = logger.child({ component: "provisioning" });
  const inventory = new PhoneInventory(store, catalog, sealKey);
  const resync = new PhoneResync({
    stack,
    store,
    catalog,
    ...(advertised !== undefined && { advertisedAddress: advertised }),
    logger: log,
  });
  const p = config.provisioning;
  if (p === undefined) return { inventory, resync, server: undefined };
  const server = new ProvisioningServer({
    store,
    catalog,
    settings: phoneSettings(config, p),
    sealKey,
    address: p.address,
    port: p.port,
    tls: p.tls,
    maxFailures: p.maxFailures,
    // One ban list for SIP and provisioning: a source guessing passwords on either is shut out of both.
    ...(guard !== undefined && { bans: guard.bans }),
    logger: log,
  });
  const bound = await server.start();
  log.info(
    { event: "provisioning-started", address: bound.address, port: bound.port },
    "provisioning HTTPS listening",
  );
  return { inventory, resync, server };
}
