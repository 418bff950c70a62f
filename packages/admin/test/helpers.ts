import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LedgerKey, TariffBook } from "@centrex/billing";
import { openSqliteStore, type Store } from "@centrex/store";
import { type AdminApi, type AdminApiOptions, startAdminApi } from "../src/index.js";

export const TOKEN = "test-token-0123456789abcdef";
export const OTHER_TOKEN = "other-token-0123456789abcdef";

export interface Reply {
  status: number;
  type: string;
  /** The parsed JSON answer: tests read into it freely and assert what they find. */
  // biome-ignore lint/suspicious/noExplicitAny: test code walks arbitrary answers
  json: any;
  text: string;
}

export interface Harness {
  store: Store;
  api: AdminApi;
  /** fetch against the API with the token (or `token: null` for none). */
  call: (
    method: string,
    path: string,
    opts?: { body?: unknown; raw?: string; type?: string; token?: string | null },
  ) => Promise<Reply>;
  done: () => Promise<void>;
}

export async function harness(
  extra: {
    ledgerKey?: LedgerKey;
    tariffs?: TariffBook;
    tokenMaxFailures?: number;
    bans?: AdminApiOptions["bans"];
    logger?: AdminApiOptions["logger"];
    /** More tokens (e.g. a customer administrator's) beside alice's and bob's. */
    tokens?: AdminApiOptions["tokens"];
    live?: AdminApiOptions["live"];
    liveIntervalMs?: number;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "centrex-admin-"));
  const store = openSqliteStore(join(dir, "admin.db"));
  const api = await startAdminApi({
    store,
    address: "127.0.0.1",
    port: 0,
    ...extra,
    tokens: [{ name: "alice", token: TOKEN }, { name: "bob", token: OTHER_TOKEN }, ...(extra.tokens ?? [])],
  });
  return {
    store,
    api,
    call: async (method, path, opts = {}) => {
      const headers: Record<string, string> = {};
      const token = opts.token === undefined ? TOKEN : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers["content-type"] = opts.type ?? "application/json";
      const res = await fetch(`${api.url}${path}`, { method, headers, ...(body !== undefined && { body }) });
      const text = await res.text();
      const type = res.headers.get("content-type") ?? "";
      let json: unknown;
      if (type.startsWith("application/json") && text !== "") json = JSON.parse(text);
      return { status: res.status, type, json, text };
    },
    done: async () => {
      await api.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
