import * as assert from "uvu/assert";
import { passwordOf } from "./passwords.js";
import { freePort } from "./ports.js";
import { type CalleeOptions, type CallerOptions, calleeScenario, callerScenario } from "./scenarios.js";
import { phoneArgs, runSipp, type SippResult } from "./sipp.js";

/** SIPp playing desk phones of one customer against a running switch. */
export class SippPhones {
  // Each phone keeps one port, as a desk phone does: a call forks to every binding.
  readonly #ports = new Map<string, number>();

  constructor(
    readonly server: string,
    readonly domain: string,
    /** The loopback address these phones send from (default 127.0.0.1). */
    readonly localIp?: string,
  ) {}

  get #ip(): { localIp?: string } {
    return this.localIp === undefined ? {} : { localIp: this.localIp };
  }

  async register(ext: string, password = passwordOf(ext), expires = 300): Promise<SippResult> {
    const port = this.#ports.get(ext) ?? (await freePort(this.localIp));
    this.#ports.set(ext, port);
    return runSipp({
      scenario: "register-uac.xml",
      server: this.server,
      ...this.#ip,
      localPort: port,
      extraArgs: phoneArgs({ user: ext, domain: this.domain, password, vars: { expires: String(expires) } }),
    });
  }

  /**
   * Registers `ext`, then answers one call on its port as scripted. Resolves once the phone
   * listens; `done` resolves when its script ends. (Wrapped: an async function would flatten it.)
   */
  async answer(ext: string, calleeOpts: CalleeOptions): Promise<{ done: Promise<SippResult> }> {
    const reg = await this.register(ext);
    assert.is(reg.code, 0, `callee registration failed: ${explain(reg)}`);
    const answering = runSipp({
      scenario: calleeScenario(calleeOpts),
      server: this.server,
      ...this.#ip,
      localPort: this.#ports.get(ext)!,
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 600)); // let the callee's SIPp bind before the INVITE comes
    return { done: answering };
  }

  /** Registers the callee, then answers on its port as scripted while 201 calls it. */
  async call(callee: string, callerOpts: CallerOptions, calleeOpts?: CalleeOptions, domain = this.domain) {
    const answering = calleeOpts === undefined ? undefined : (await this.answer(callee, calleeOpts)).done;
    const caller = await runSipp({
      scenario: callerScenario(callerOpts),
      server: this.server,
      ...this.#ip,
      timeoutMs: 20_000,
      extraArgs: phoneArgs({ service: callee, user: "201", domain, vars: { caller: "201" } }),
    });
    const answered = answering === undefined ? undefined : await answering;
    return { caller, callee: answered };
  }
}

export function explain(r: SippResult | undefined): string {
  if (r === undefined) return "(no SIPp run)";
  return `exit ${r.code}\n${r.stdout.slice(-1200)}\n${r.errors.slice(-2500)}`;
}
