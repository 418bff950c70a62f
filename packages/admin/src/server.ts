import type { LedgerKey, TariffBook } from "@centrex/billing";
import { loadNumberingPlan, type NumberingPlan } from "@centrex/dialplan";
import { type BanControl, type CallControl, Operations } from "@centrex/operations";
import type { Store } from "@centrex/store";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { type Logger, pino } from "pino";
import { type ApiToken, TokenCheck } from "./auth.js";
import { LiveFeed } from "./console/live-feed.js";
import { type LiveSources, LiveState } from "./console/live-state.js";
import { CONSOLE_PUBLIC_ROUTES, consoleRoutes } from "./console/routes.js";
import type { RouteContext } from "./context.js";
import { sendError, toErrorReply } from "./errors.js";
import { collectOpenApi } from "./openapi.js";
import type { PhoneService } from "./phone-service.js";
import { auditRoutes } from "./routes/audit.js";
import { billingRoutes } from "./routes/billing.js";
import { callRoutes } from "./routes/calls.js";
import { carrierRoutes } from "./routes/carriers.js";
import { cdrSearchRoutes } from "./routes/cdr-search.js";
import { customerRoutes } from "./routes/customers.js";
import { extensionRoutes } from "./routes/extensions.js";
import { MONITORING_ROUTES, monitoringRoutes, type NodeMonitor } from "./routes/monitoring.js";
import { phoneRoutes } from "./routes/phones.js";
import { policyRoutes } from "./routes/policy.js";
import { ringGroupRoutes } from "./routes/ring-groups.js";
import { securityRoutes } from "./routes/security.js";
import { checkCustomerScope } from "./scope.js";
import { TokenAttempts } from "./token-attempts.js";

export interface AdminApiOptions {
  readonly store: Store;
  /** Listen address, e.g. "127.0.0.1" or "::1". */
  readonly address: string;
  /** 0 picks a free port (see the returned `url`). */
  readonly port: number;
  /** Bearer tokens; each change made with one is audited as "api:<name>". At least one. */
  readonly tokens: readonly ApiToken[];
  /** Enables GET /cdrs/verify (a public key is enough). */
  readonly ledgerKey?: LedgerKey;
  /** Enables POST /invoices/run. */
  readonly tariffs?: TariffBook;
  /** The numbering plan the switch runs (class defaults for rule 19); default: the shipped French plan. */
  readonly numberingPlan?: NumberingPlan;
  /** Enables the phone inventory and resync routes (injected by the switch). */
  readonly phones?: PhoneService;
  readonly logger?: Logger;
  /** Largest request body accepted, bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Wrong tokens from one address within 10 minutes before it gets 429 (default 5). */
  readonly tokenMaxFailures?: number;
  /** The running node: /health reports its checks, /metrics its Prometheus text. */
  readonly monitor?: NodeMonitor;
  /** The version named in /openapi.json. */
  readonly version?: string;
  /** The SIP side's ban list: enables /security/bans. */
  readonly bans?: BanControl;
  /** Calls, carriers and the failover role for the console's live view (given by the switch). */
  readonly live?: LiveSources;
  /** How often the console's live state is read and pushed when it changed, ms (default 1000). */
  readonly liveIntervalMs?: number;
}

export interface AdminApi {
  /** Base URL, e.g. "http://127.0.0.1:8080". */
  readonly url: string;
  close(): Promise<void>;
}

/** Routes that answer without a token: the health check and the console's files (the page asks for one). */
const PUBLIC = new Set([...MONITORING_ROUTES, ...CONSOLE_PUBLIC_ROUTES]);

/** Builds the fastify app without listening (tests may `inject`). */
export function buildAdminApp(opts: Omit<AdminApiOptions, "address" | "port">): FastifyInstance {
  if (opts.tokens.length === 0) throw new TypeError("admin API: at least one token is required");
  const tokens = new TokenCheck(opts.tokens);
  const attempts = new TokenAttempts(opts.tokenMaxFailures ?? 5);
  const logger: FastifyBaseLogger = opts.logger ?? pino({ level: "silent" });
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    // Wrong types are errors, not silently converted; unknown properties are refused, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
  });
  // JSON only: a text/plain body is a 415, not a string handed to a schema.
  app.removeContentTypeParser("text/plain");
  // Before any route: the OpenAPI document is collected as routes are added.
  const openapi = collectOpenApi(app, { version: opts.version ?? "0.0.0", publicRoutes: PUBLIC });

  app.decorateRequest("actor", "");
  app.decorateRequest("customerScope", null);
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?", 1)[0];
    if (PUBLIC.has(`${req.method} ${path}`)) return;
    const source = req.ip;
    const blocked = attempts.blocked(source);
    if (blocked !== undefined) {
      reply.header("retry-after", String(Math.ceil((blocked.until - Date.now()) / 1000)));
      return sendError(reply, 429, {
        error: { code: "too_many_attempts", message: "too many wrong tokens from this address; retry later" },
      });
    }
    const holder = tokens.holder(req.headers.authorization);
    if (holder === undefined) {
      const ban = attempts.failed(source);
      req.log.warn(
        { event: "admin-token-refused", source, method: req.method, url: req.url },
        "admin API: missing or wrong token",
      );
      if (ban !== undefined) {
        req.log.warn(
          {
            event: "admin-source-banned",
            source,
            until: new Date(ban.until).toISOString(),
            detail: ban.detail,
          },
          `admin API: ${source} refused (429) until ${new Date(ban.until).toISOString()}`,
        );
      }
      reply.header("www-authenticate", 'Bearer realm="centrex"');
      return sendError(reply, 401, {
        error: { code: "unauthorized", message: "a valid bearer token is required" },
      });
    }
    req.actor = `api:${holder.name}`;
    if (holder.customer !== undefined) {
      req.customerScope = holder.customer;
      checkCustomerScope(req, holder.customer);
    }
  });

  // A request without a body is validated as `{}`: a missing field is then named like any other.
  app.addHook("preValidation", async (req) => {
    if (req.body === undefined && req.routeOptions.schema?.body !== undefined) req.body = {};
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorReply(err, req);
    return sendError(reply, status, body);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, { error: { code: "not_found", message: `no route ${req.method} ${req.url}` } }),
  );

  monitoringRoutes(app, opts.monitor, openapi);

  const ops = new Operations(opts.store, {
    plan: opts.numberingPlan ?? loadNumberingPlan(),
    ...(opts.phones !== undefined && { phones: opts.phones.inventory }),
    ...(opts.bans !== undefined && { bans: opts.bans }),
    ...(opts.live?.hangUp !== undefined && { calls: callControl(opts.live) }),
  });
  const ctx: RouteContext = { store: opts.store, ops, ledgerKey: opts.ledgerKey, tariffs: opts.tariffs };
  const state = new LiveState(opts.store, opts.live, opts.bans);
  const feed = new LiveFeed(state, {
    ...(opts.liveIntervalMs !== undefined && { intervalMs: opts.liveIntervalMs }),
  });
  // Open event streams would hold the server's close forever.
  app.addHook("preClose", async () => feed.close());
  consoleRoutes(app, ctx, state, feed);
  customerRoutes(app, ctx);
  extensionRoutes(app, ctx);
  ringGroupRoutes(app, ctx);
  policyRoutes(app, ctx);
  carrierRoutes(app, ctx);
  auditRoutes(app, ctx);
  billingRoutes(app, ctx);
  callRoutes(app, ctx);
  cdrSearchRoutes(app, ctx);
  if (opts.bans !== undefined) securityRoutes(app, ctx);
  if (opts.phones !== undefined) phoneRoutes(app, ctx, opts.phones);
  return app;
}

/** The switch's calls in progress as the operations layer ends them. */
function callControl(live: LiveSources): CallControl {
  return {
    customerOf: (callId) => live.calls().find((c) => c.callId === callId)?.customerId,
    hangUp: (callId) => live.hangUp?.(callId) ?? Promise.resolve("not-found"),
  };
}

/** Starts the operator's HTTP API on `address:port`. */
export async function startAdminApi(opts: AdminApiOptions): Promise<AdminApi> {
  const app = buildAdminApp(opts);
  await app.listen({ host: opts.address, port: opts.port });
  const addr = app.server.address();
  if (addr === null || typeof addr === "string") throw new Error("admin API: no TCP address");
  const host = addr.family === "IPv6" || addr.address.includes(":") ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: async () => {
      await app.close();
    },
  };
}
