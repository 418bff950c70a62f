import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeToneWav } from "./audio.js";
import { centrex, provision, type RunningSwitch, startSwitch } from "./centrex.js";
import { freePort, freePortPair } from "./ports.js";
import { requireCommand, stop } from "./processes.js";

// baresip (Debian's 1.0) as a real desk phone in the end-to-end tests, driven
// headless over its ctrl_tcp socket. Facts about that version: /work/shared/BARESIP.md.

/** Debian 12 puts the modules in /usr/lib/baresip/modules; other builds under a multiarch folder. */
function moduleDir(): string {
  const candidates = [
    "/usr/lib/baresip/modules",
    "/usr/local/lib/baresip/modules",
    ...readdirSync("/usr/lib").map((d) => join("/usr/lib", d, "baresip", "modules")),
  ];
  const found = candidates.find((d) => existsSync(join(d, "ctrl_tcp.so")));
  if (found === undefined) throw new BaresipError("no baresip module folder with ctrl_tcp.so under /usr/lib");
  return found;
}

/** An event baresip sent over ctrl_tcp (`{"event":true,"type":"REGISTER_OK",…}`). */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
  /** When the test received it (ms since the epoch). */
  receivedAt?: number;
  [key: string]: unknown;
}

export interface BaresipResponse {
  ok: boolean;
  data: string;
}

export interface PhoneOptions {
  /** Shown in errors and in the log prefix. */
  name?: string;
  /** The microphone: a sine at this frequency (Hz), or a WAV file to play. */
  tone: number | { wav: string };
  /** Address baresip binds SIP and RTP to, and writes in its Contact and SDP. */
  address?: string;
  /** Print baresip's output and SIP trace to stderr as it comes (debugging). */
  verbose?: boolean;
  /**
   * baresip quits on its own after this long (its `-t`), so a phone cannot outlive a test
   * runner killed with SIGKILL. Default 180 s.
   */
  maxLifetimeSeconds?: number;
  /** `host:port` of the DNS server baresip asks (loopback only). Default: none reachable. */
  dnsServer?: string;
  /** More modules to load, e.g. `mwi.so` (subscribes to message-summary for each account). */
  modules?: readonly string[];
}

export interface RegisterOptions {
  /** e.g. `sip:201@pbx.test` */
  aor: string;
  password: string;
  /** e.g. `sip:127.0.0.1:5060;transport=udp` — a numeric host keeps DNS out of the way. */
  outboundProxy: string;
  /** Registration interval asked for (s). */
  regint?: number;
  /** More account parameters (`key=value`). */
  params?: readonly string[];
  /** `auto` answers incoming calls at once (default), `manual` lets them ring. */
  answermode?: "auto" | "manual" | "early";
  timeoutMs?: number;
}

export class BaresipError extends Error {
  override name = "BaresipError";
}

const live = new Set<BaresipPhone>();
// Last line of defence: a phone is never left running after the test process, whatever failed.
process.once("exit", () => {
  for (const phone of live) phone.killNow();
});

type Waiter = {
  match: (e: BaresipEvent) => boolean;
  resolve: (e: BaresipEvent) => void;
};

/** One baresip process with its own config folder, microphone tone and recordings. */
export class BaresipPhone {
  readonly name: string;
  readonly dir: string;
  readonly address: string;
  readonly sipPort: number;
  readonly ctrlPort: number;
  readonly rtpPorts: readonly [number, number];
  /** Every event received so far, oldest first. */
  readonly events: BaresipEvent[] = [];
  #child: ChildProcess;
  #ctrl: Socket | undefined;
  #rx: Buffer = Buffer.alloc(0);
  #out = "";
  #token = 0;
  #pending = new Map<string, (r: BaresipResponse) => void>();
  #waiters = new Set<Waiter>();
  #consumed = 0;

  private constructor(init: {
    name: string;
    dir: string;
    address: string;
    sipPort: number;
    ctrlPort: number;
    rtpPorts: [number, number];
    child: ChildProcess;
    verbose: boolean;
  }) {
    this.name = init.name;
    this.dir = init.dir;
    this.address = init.address;
    this.sipPort = init.sipPort;
    this.ctrlPort = init.ctrlPort;
    this.rtpPorts = init.rtpPorts;
    this.#child = init.child;
    const collect = (d: Buffer) => {
      this.#out += d.toString();
      if (this.#out.length > 2_000_000) this.#out = this.#out.slice(-1_000_000); // a long call's SIP trace
      if (init.verbose) process.stderr.write(`[${this.name}] ${d}`);
    };
    this.#child.stdout?.on("data", collect);
    this.#child.stderr?.on("data", collect);
    live.add(this);
    this.#child.once("exit", () => {
      live.delete(this);
      this.#ctrl?.destroy();
    });
  }

  /** Writes the config, starts baresip and connects to its control socket. */
  static async start(opts: PhoneOptions): Promise<BaresipPhone> {
    requireCommand("baresip", "baresip");
    const modules = moduleDir();
    const name = opts.name ?? "phone";
    const address = opts.address ?? "127.0.0.1";
    const dir = mkdtempSync(join(tmpdir(), `centrex-baresip-${name}-`));
    try {
      const snd = join(dir, "snd");
      mkdirSync(snd);
      let source: string;
      if (typeof opts.tone === "number") {
        source = join(dir, "tone.wav");
        // aufile does not loop its file: make it outlast any test call.
        writeToneWav(source, { frequency: opts.tone, seconds: 60, amplitude: 0.4 });
      } else {
        source = opts.tone.wav;
      }
      // baresip 1.0 also listens for TLS on sipPort + 1: both must be free.
      const sipPort = await freePortPair(address);
      const ctrlPort = await freePort("127.0.0.1");
      // baresip tries the range from a random start and skips ports in use; 40 ports is plenty.
      const base = (await freePort(address)) & ~1;
      const rtpPorts: [number, number] = [base, Math.min(base + 39, 65535)];
      // No server is ever at port 9 on loopback: any DNS query fails at once, nothing leaves the host.
      const dnsServer = opts.dnsServer ?? hostPort("127.0.0.1", 9);
      const config = [
        "poll_method\t\tepoll",
        `sip_listen\t\t${hostPort(address, sipPort)}`,
        `net_interface\t\t${address}`, // an interface name ("lo") is refused by 1.0; an address works
        `dns_server\t\t${dnsServer}`,
        `rtp_ports\t\t${rtpPorts[0]}-${rtpPorts[1]}`,
        "rtp_timeout\t\t0",
        "rtcp_mux\t\tno",
        "call_local_timeout\t30",
        "call_max_calls\t\t4",
        `audio_source\t\taufile,${source}`,
        // A dummy player: the received audio is checked from what sndfile records.
        "audio_player\t\taubridge,nowhere",
        "audio_alert\t\taubridge,nowhere",
        "audio_buffer\t\t20-160",
        "jitter_buffer_delay\t1-10",
        `module_path\t\t${modules}`,
        "module\t\t\tg711.so",
        "module\t\t\taufile.so",
        "module\t\t\taubridge.so",
        "module\t\t\tsndfile.so",
        ...(opts.modules ?? []).map((m) => `module_app\t\t${m}`),
        "module_tmp\t\tuuid.so",
        "module_tmp\t\taccount.so",
        "module_app\t\tmenu.so",
        "module_app\t\tctrl_tcp.so",
        `ctrl_tcp_listen\t\t127.0.0.1:${ctrlPort}`,
        `snd_path\t\t${snd}`,
        "",
      ].join("\n");
      writeFileSync(join(dir, "config"), config);
      writeFileSync(join(dir, "accounts"), "");
      writeFileSync(join(dir, "contacts"), "");
      const family = address.includes(":") ? "-6" : "-4";
      const child = spawn(
        "baresip",
        ["-f", dir, family, "-s", "-t", String(opts.maxLifetimeSeconds ?? 180)],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const phone = new BaresipPhone({
        name,
        dir,
        address,
        sipPort,
        ctrlPort,
        rtpPorts,
        child,
        verbose: opts.verbose ?? false,
      });
      try {
        await phone.#connect(10_000);
      } catch (err) {
        await phone.stop();
        throw err;
      }
      return phone;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** baresip's stdout and stderr so far (with `-s`, the SIP trace). */
  output(): string {
    return this.#out;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Sends a ctrl_tcp command; resolves with baresip's response. */
  command(command: string, params = "", timeoutMs = 5000): Promise<BaresipResponse> {
    const ctrl = this.#ctrl;
    if (ctrl === undefined || ctrl.destroyed) {
      return Promise.reject(new BaresipError(`${this.name}: not connected`));
    }
    const token = String(++this.#token);
    const json = Buffer.from(JSON.stringify({ command, params, token }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(new BaresipError(`${this.name}: no response to '${command}' in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(token, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      ctrl.write(`${json.length}:`);
      ctrl.write(json);
      ctrl.write(",");
    });
  }

  /**
   * Adds the account with `uanew` and waits for the outcome of its first REGISTER:
   * resolves with the REGISTER_OK or REGISTER_FAIL event (the caller asserts which).
   */
  async register(opts: RegisterOptions): Promise<BaresipEvent> {
    const params = [
      `<${opts.aor}>`,
      `auth_pass=${opts.password}`,
      `outbound="${opts.outboundProxy}"`,
      `answermode=${opts.answermode ?? "auto"}`,
      `regint=${opts.regint ?? 300}`,
      "audio_codecs=PCMU,PCMA",
      ...(opts.params ?? []),
    ].join(";");
    const from = this.events.length;
    const r = await this.command("uanew", params);
    if (!r.ok) throw new BaresipError(`${this.name}: uanew refused: ${r.data}`);
    return this.waitFor(["REGISTER_OK", "REGISTER_FAIL"], opts.timeoutMs ?? 10_000, { since: from });
  }

  /** Places a call; the outcome comes as events (CALL_ESTABLISHED, CALL_CLOSED…). */
  async dial(uri: string): Promise<void> {
    const r = await this.command("dial", uri);
    if (!r.ok) throw new BaresipError(`${this.name}: dial ${uri} refused: ${r.data}`);
  }

  /** Sends keys in the call as RFC 4733 telephone-events (menu's `sndcode`). */
  async sendKeys(keys: string): Promise<void> {
    const r = await this.command("sndcode", keys);
    if (!r.ok) throw new BaresipError(`${this.name}: sndcode ${keys} refused: ${r.data}`);
  }

  async hangup(): Promise<void> {
    const r = await this.command("hangup");
    if (!r.ok) throw new BaresipError(`${this.name}: hangup refused: ${r.data}`);
  }

  /**
   * The next event of one of these types not already returned by an earlier waitFor
   * (or, with `since`, any received from that index of `events` on).
   */
  waitFor(
    type: string | readonly string[],
    timeoutMs: number,
    opts: { since?: number; where?: (e: BaresipEvent) => boolean } = {},
  ): Promise<BaresipEvent> {
    const types = typeof type === "string" ? [type] : type;
    const match = (e: BaresipEvent) => types.includes(e.type) && (opts.where?.(e) ?? true);
    const since = opts.since ?? this.#consumed;
    for (let i = since; i < this.events.length; i++) {
      const e = this.events[i] as BaresipEvent;
      if (match(e)) {
        this.#consumed = Math.max(this.#consumed, i + 1);
        return Promise.resolve(e);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (e) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          this.#consumed = this.events.length;
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const seen = this.events.map((e) => `${e.type}${e.param ? `(${e.param})` : ""}`).join(", ");
        reject(
          new BaresipError(
            `${this.name}: no ${types.join("/")} in ${timeoutMs} ms; events so far: [${seen}]\n` +
              this.#out.slice(-3000),
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Recordings sndfile wrote of the decoded received audio (`*-dec.wav`), oldest first. */
  recordings(): string[] {
    const snd = join(this.dir, "snd");
    if (!existsSync(snd)) return [];
    return readdirSync(snd)
      .filter((f) => f.endsWith("-dec.wav"))
      .map((f) => join(snd, f))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b));
  }

  /** The decoded received audio of the latest call; throws when there is none. */
  recordedWav(): string {
    const all = this.recordings();
    const last = all[all.length - 1];
    if (last === undefined) throw new BaresipError(`${this.name}: sndfile recorded no received audio`);
    return last;
  }

  /** Quits baresip (SIGTERM, then SIGKILL), then removes its folder unless `keepFiles`. */
  async stop(opts: { keepFiles?: boolean } = {}): Promise<void> {
    this.#ctrl?.destroy();
    await stop(this.#child, "SIGTERM", 2000);
    live.delete(this);
    for (const w of this.#waiters) w.match = () => false;
    if (!opts.keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous kill for the process exit hook. */
  killNow(): void {
    if (this.running) this.#child.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #connect(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new BaresipError(`${this.name}: baresip exited at start:\n${this.#out}`);
      try {
        this.#ctrl = await new Promise<Socket>((resolve, reject) => {
          const s = connect(this.ctrlPort, "127.0.0.1");
          s.once("connect", () => {
            s.off("error", reject);
            resolve(s);
          });
          s.once("error", reject);
        });
        break;
      } catch {
        if (Date.now() > deadline) {
          throw new BaresipError(`${this.name}: ctrl_tcp not listening after ${timeoutMs} ms:\n${this.#out}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.#ctrl.on("data", (d: Buffer) => this.#onData(d));
    this.#ctrl.on("error", () => {});
  }

  #onData(d: Buffer): void {
    this.#rx = this.#rx.length === 0 ? d : Buffer.concat([this.#rx, d]);
    for (;;) {
      const colon = this.#rx.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.#rx.toString("ascii", 0, colon));
      if (!Number.isInteger(len)) throw new BaresipError(`${this.name}: bad netstring from ctrl_tcp`);
      if (this.#rx.length < colon + 1 + len + 1) return;
      const body = this.#rx.toString("utf8", colon + 1, colon + 1 + len);
      this.#rx = this.#rx.subarray(colon + 1 + len + 1);
      this.#onMessage(JSON.parse(body) as Record<string, unknown>);
    }
  }

  #onMessage(m: Record<string, unknown>): void {
    if (m.response === true) {
      const token = String(m.token ?? "");
      const done = this.#pending.get(token);
      this.#pending.delete(token);
      done?.({ ok: m.ok === true, data: String(m.data ?? "") });
      return;
    }
    if (m.event === true) {
      const e = { ...(m as unknown as BaresipEvent), receivedAt: Date.now() };
      this.events.push(e);
      for (const w of this.#waiters) {
        if (w.match(e)) {
          w.resolve(e);
          break;
        }
      }
    }
  }
}

function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface BaresipSwitch {
  sw: RunningSwitch;
  /** The outbound proxy URI phones use to reach the switch directly. */
  proxy: string;
  /** How many bindings `centrex extension list` shows for an extension. */
  registered(ext: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a switch that baresip 1.0 can talk to, with one customer and its extensions
 * (created with the `centrex` command). Its relay uses a port range of its own.
 */
export async function startSwitchForBaresip(opts: {
  domain: string;
  customer?: string;
  extensions: ReadonlyArray<readonly [ext: string, password: string]>;
  /** Extra YAML lines under `media:` (e.g. `latching: lock`). */
  media?: readonly string[];
  /** Other top-level YAML lines (e.g. `trunk:` for a SIPp carrier); each use is listed in test/README.md. */
  yaml?: readonly string[];
  /** The switch's environment, replacing this process's. */
  env?: NodeJS.ProcessEnv;
  /** More `centrex` commands (groups, carriers, DIDs…) run after the customer and extensions. */
  provision?: ReadonlyArray<readonly string[]>;
}): Promise<BaresipSwitch> {
  const dir = mkdtempSync(join(tmpdir(), "centrex-baresip-switch-"));
  const config = join(dir, "centrex.yaml");
  const relayBase = (await freePort()) & ~1;
  // Digest runs on the default (MD5 alone), which libre 1.1 (baresip 1.0) answers.
  const yaml = [
    "media:",
    `  portMin: ${relayBase}`,
    `  portMax: ${Math.min(relayBase + 99, 65535)}`,
    ...(opts.media ?? []).map((l) => `  ${l}`),
    ...(opts.yaml ?? []),
    "",
  ];
  writeFileSync(config, yaml.join("\n"));
  let sw: RunningSwitch | undefined;
  try {
    sw = await startSwitch({
      args: ["--config", config, "--log-level", "info"],
      ...(opts.env !== undefined && { env: opts.env }),
    });
    await provision(sw.db, [
      ["customer", "add", opts.customer ?? "Acme", "--domain", opts.domain],
      ...opts.extensions.map(([ext, password]) => [
        "extension",
        "add",
        opts.domain,
        ext,
        "--password",
        password,
      ]),
      ...(opts.provision ?? []),
    ]);
  } catch (err) {
    await sw?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const running = sw;
  return {
    sw: running,
    proxy: `sip:${hostPort(running.address, running.port)};transport=udp`,
    async registered(ext) {
      const list = await centrex(["extension", "list", opts.domain, "--db", running.db]);
      if (list.code !== 0) throw new BaresipError(`centrex extension list failed: ${list.stderr}`);
      const n = list.stdout.match(new RegExp(`^${ext}\\t\\S+\\t(\\d+) registered`, "m"))?.[1];
      if (n === undefined) throw new BaresipError(`extension ${ext} not in the list:\n${list.stdout}`);
      return Number(n);
    },
    async stop() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
