import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { AuthFailureTracker, BanList, DEFAULT_BANS } from "@centrex/guard";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import { checkProvisioningPassword, parseBasicAuth } from "./credential.js";
import { TemplateError } from "./errors.js";
import type { PhoneCatalog } from "./families.js";
import { type PhoneSettings, phoneFiles, renderPhoneFile } from "./phone-config.js";
import { loadPhoneData, SecretUnavailableError } from "./phone-data.js";
import type { SealKey } from "./seal.js";

export interface ProvisioningServerOptions {
  readonly store: Store;
  readonly catalog: PhoneCatalog;
  readonly settings: PhoneSettings;
  readonly sealKey: SealKey;
  readonly address: string;
  /** 0 picks a free port (see `port` once started). */
  readonly port: number;
  /** PEM files of the server certificate (chain) and its key. */
  readonly tls: { readonly cert: string; readonly key: string };
  /** Failed credentials from one source within the window that get it banned. Default 10. */
  readonly maxFailures?: number;
  /** Shared with the SIP side when the switch has one; else this service's own. */
  readonly bans?: BanList;
  readonly failures?: AuthFailureTracker;
  readonly logger?: Logger;
}

/** What a fetch came to, as logged (one line per request). */
export type FetchResult =
  | "served"
  | "no-credentials"
  | "bad-credentials"
  | "unknown-mac"
  | "banned"
  | "not-found"
  | "method-not-allowed"
  | "secret-unavailable"
  | "template-error"
  | "error";

const REALM = 'Basic realm="centrex provisioning", charset="UTF-8"';

/**
 * The phones' configuration files over HTTPS. A phone authenticates with HTTP Basic (user
 * name: its MAC, password: its provisioning credential) over TLS; without valid credentials
 * nothing is served, not even a common file, and only the files of that phone's family and
 * MAC are. Every request is logged with the MAC, the source and the result, never a secret.
 * A source that keeps sending wrong credentials is banned like on the SIP side.
 */
export class ProvisioningServer {
  readonly #o: ProvisioningServerOptions;
  readonly #server: Server;
  readonly #bans: BanList;
  readonly #failures: AuthFailureTracker;
  readonly counters: Record<FetchResult, number> = {
    served: 0,
    "no-credentials": 0,
    "bad-credentials": 0,
    "unknown-mac": 0,
    banned: 0,
    "not-found": 0,
    "method-not-allowed": 0,
    "secret-unavailable": 0,
    "template-error": 0,
    error: 0,
  };

  constructor(opts: ProvisioningServerOptions) {
    this.#o = opts;
    this.#bans = opts.bans ?? new BanList();
    this.#failures = opts.failures ?? new AuthFailureTracker({ maxPerSource: opts.maxFailures ?? 10 });
    this.#server = createServer(
      { cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) },
      (req, res) => void this.#handle(req, res),
    );
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 15_000;
  }

  get bans(): BanList {
    return this.#bans;
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#o.port, this.#o.address, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #finish(
    res: ServerResponse,
    status: number,
    result: FetchResult,
    log: { source: string; file: string; mac?: string },
    body = "",
    headers: Record<string, string> = {},
  ): void {
    this.counters[result]++;
    const level = result === "served" ? "info" : status >= 500 ? "error" : "warn";
    this.#o.logger?.[level]({ event: "provisioning-fetch", ...log, result, status }, "provisioning fetch");
    res.writeHead(status, {
      "cache-control": "no-store",
      "content-type": "text/plain; charset=utf-8",
      ...headers,
      "content-length": Buffer.byteLength(body),
    });
    res.end(res.req.method === "HEAD" ? undefined : body);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const source = req.socket.remoteAddress ?? "unknown";
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const file = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1)).slice(0, 128);
    const log = { source, file };
    const now = Date.now();
    try {
      if (this.#bans.isBanned(source, now)) return this.#finish(res, 403, "banned", log, "banned\n");
      if (req.method !== "GET" && req.method !== "HEAD")
        return this.#finish(res, 405, "method-not-allowed", log, "GET only\n", { allow: "GET, HEAD" });
      const auth = parseBasicAuth(req.headers.authorization);
      // The usual first request of a phone: no credentials yet, it answers the challenge.
      if (auth === undefined)
        return this.#finish(res, 401, "no-credentials", log, "credentials required\n", {
          "www-authenticate": REALM,
        });
      const phone = await this.#o.store.phones.findByMac(auth.user);
      if (phone === undefined || !checkProvisioningPassword(auth.password, phone.credentialHash)) {
        this.#failed(source, auth.user, now);
        const result = phone === undefined ? "unknown-mac" : "bad-credentials";
        return this.#finish(
          res,
          401,
          result,
          { ...log, mac: auth.user.slice(0, 32) },
          "credentials required\n",
          {
            "www-authenticate": REALM,
          },
        );
      }
      const mlog = { ...log, mac: phone.mac };
      const model = this.#o.catalog.model(phone.model);
      const wanted =
        model === undefined ? undefined : phoneFiles({ mac: phone.mac, model }).find((f) => f.name === file);
      if (wanted === undefined)
        return this.#finish(res, 404, "not-found", mlog, "no such file for this phone\n");
      const data = await loadPhoneData(
        this.#o.store,
        this.#o.catalog,
        phone,
        this.#o.sealKey,
        wanted.credentials,
      );
      const rendered = renderPhoneFile(data, this.#o.settings, file)!;
      return this.#finish(res, 200, "served", mlog, rendered.body, { "content-type": rendered.contentType });
    } catch (err) {
      if (err instanceof SecretUnavailableError) {
        this.#o.logger?.error({ err, event: "provisioning-secret", extension: err.extension }, err.message);
        return this.#finish(res, 503, "secret-unavailable", log, "configuration not available\n");
      }
      if (err instanceof TemplateError) {
        this.#o.logger?.error(
          { err, event: "provisioning-template", template: err.template, key: err.key },
          err.message,
        );
        return this.#finish(res, 500, "template-error", log, "configuration not available\n");
      }
      this.#o.logger?.error({ err }, "provisioning request failed");
      return this.#finish(res, 500, "error", log, "internal error\n");
    }
  }

  #failed(source: string, user: string, now: number): void {
    const verdict = this.#failures.failed(source, `phone:${user.slice(0, 32)}`, now);
    if (verdict.banSource !== undefined) {
      const ban = this.#bans.ban(
        source,
        "auth-failures",
        DEFAULT_BANS["auth-failures"],
        `${verdict.banSource} failed provisioning logins`,
        now,
      );
      this.#o.logger?.warn(
        { event: "provisioning-ban", source, until: ban.until, failures: verdict.banSource },
        "source banned from provisioning after failed logins",
      );
    }
  }
}
