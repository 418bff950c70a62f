import { createHash } from "node:crypto";
import { weakCandidates } from "@centrex/guard";
import type { Command } from "commander";
import { print, printError } from "./output.js";
import {
  CliError,
  customerByDomain,
  type DbOptions,
  dbOptions,
  jsonOption,
  output,
  withStore,
} from "./store-command.js";

interface ApiOptions {
  config?: string;
  url?: string;
  token?: string;
}

interface BanView {
  address: string;
  reason: string;
  since: string;
  until: string;
  offences: number;
  detail: string;
}

/**
 * `centrex ban list|clear|add` — the running switch's ban list lives in its memory, so these
 * talk to its admin API (address and first token from --config, or --url/--token, or
 * CENTREX_ADMIN_URL/CENTREX_ADMIN_TOKEN). `centrex extension weak-passwords` reads the database.
 */
export function registerSecurityCommands(program: Command): void {
  const ban = program.command("ban").description("sources the running switch refuses to answer");
  jsonOption(apiOptions(ban.command("list").description("list the bans in force"))).action(
    (o: ApiOptions & { json?: boolean }) =>
      withApi(o, async (api) => {
        const bans = (await api("GET", "/security/bans")) as BanView[];
        output(o, bans, () => {
          if (bans.length === 0) print("no bans");
          for (const b of bans)
            print(`${b.address}\t${b.reason}\tuntil ${b.until}\t#${b.offences}\t${b.detail}`);
        });
      }),
  );
  apiOptions(ban.command("clear [address]").description("lift one ban, or every ban")).action(
    (address: string | undefined, o: ApiOptions) =>
      withApi(o, async (api) => {
        const path =
          address === undefined ? "/security/bans" : `/security/bans/${encodeURIComponent(address)}`;
        const r = (await api("DELETE", path)) as { cleared: number };
        print(`${r.cleared} ban${r.cleared === 1 ? "" : "s"} lifted`);
      }),
  );
  apiOptions(ban.command("add <address>").description("ban a source by hand"))
    .requiredOption("--minutes <n>", "how long", (v) => {
      if (!/^[1-9]\d{0,5}$/.test(v)) throw new CliError("--minutes: a whole number of minutes");
      return Number(v);
    })
    .action((address: string, o: ApiOptions & { minutes: number }) =>
      withApi(o, async (api) => {
        const b = (await api("POST", `/security/bans/${encodeURIComponent(address)}`, {
          minutes: o.minutes,
        })) as BanView;
        print(`${b.address} banned until ${b.until}`);
      }),
    );

  const ext = program.commands.find((c) => c.name() === "extension");
  if (ext === undefined) throw new Error("register the extension commands first");
  jsonOption(
    dbOptions(
      ext
        .command("weak-passwords [domain]")
        .description(
          "report extensions whose password is a common or keypad one (checked against the stored HA1); exit 1 if any",
        ),
    ),
  ).action((domain: string | undefined, o: DbOptions & { json?: boolean }) =>
    withStore(o, async (store) => {
      const customers =
        domain === undefined ? await store.customers.list() : [await customerByDomain(store, domain)];
      const weak: { domain: string; extension: string }[] = [];
      for (const c of customers) {
        for (const e of await store.extensions.listByCustomer(c.id)) {
          const creds = await store.extensions.findCredentials(c.domain, e.number);
          const ha1 = creds?.ha1Md5;
          if (ha1 == null) continue;
          if (weakCandidates(e.number).some((p) => md5Ha1(e.number, c.domain, p) === ha1))
            weak.push({ domain: c.domain, extension: e.number });
        }
      }
      // Which password matched is not said: the report names whom to fix, not how to log in.
      output(o, weak, () => {
        for (const w of weak)
          print(
            `${w.extension}@${w.domain}\tweak (a common or keypad password): change it with extension passwd`,
          );
        print(`${weak.length} weak password${weak.length === 1 ? "" : "s"} found`);
      });
      if (weak.length > 0) process.exitCode = 1;
    }),
  );
}

function md5Ha1(user: string, realm: string, password: string): string {
  return createHash("md5").update(`${user}:${realm}:${password}`, "utf8").digest("hex");
}

function apiOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "the switch's configuration file (admin.address, admin.port, admin.tokens[0])")
    .option("--url <url>", "admin API base URL (default: from --config, else CENTREX_ADMIN_URL)")
    .option("--token <token>", "admin API token (default: from --config, else CENTREX_ADMIN_TOKEN)");
}

type Api = (method: string, path: string, body?: unknown) => Promise<unknown>;

async function withApi(o: ApiOptions, fn: (api: Api) => Promise<void>): Promise<void> {
  try {
    const { url, token } = await apiTarget(o);
    await fn(async (method, path, body) => {
      let res: Response;
      try {
        res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined && { "content-type": "application/json" }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(5000),
        });
      } catch (err) {
        throw new CliError(
          `admin API at ${url} unreachable (is the switch running?): ${(err as Error).message}`,
        );
      }
      const json = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      if (!res.ok) throw new CliError(`admin API: ${res.status} ${json.error?.message ?? res.statusText}`);
      return json;
    });
  } catch (err) {
    if (err instanceof CliError) {
      printError(`centrex: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

async function apiTarget(o: ApiOptions): Promise<{ url: string; token: string }> {
  let url = o.url ?? process.env.CENTREX_ADMIN_URL;
  let token = o.token ?? process.env.CENTREX_ADMIN_TOKEN;
  if (o.config !== undefined) {
    const { loadConfigFile } = await import("../config/load.js"); // only here: one-shot start-up time
    const c = loadConfigFile(o.config);
    const host = c.admin.address.includes(":") ? `[${c.admin.address}]` : c.admin.address;
    url ??= `http://${host}:${c.admin.port}`;
    token ??= c.admin.tokens[0]?.token;
  }
  if (url === undefined || token === undefined) {
    throw new CliError(
      "the ban list is in the running switch: give --config (with admin.tokens) or --url and --token",
    );
  }
  return { url: url.replace(/\/$/, ""), token };
}
