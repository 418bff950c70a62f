import type { SipStack } from "@centrex/sip";
import { openSqliteStore, type Store } from "@centrex/store";
import { suite, type Test } from "uvu";
import { CarrierDirectory, SipResolver } from "../../src/index.js";
import { startStack } from "./stack.js";

export interface CarrierCtx {
  store: Store;
  stack: SipStack;
  directory: CarrierDirectory;
}

/** A suite whose every test gets a fresh in-memory store, a SIP stack on loopback and a carrier directory. */
export function carrierSuite(name: string): Test<CarrierCtx> {
  const test = suite<CarrierCtx>(name);
  test.before.each(async (ctx) => {
    ctx.store = openSqliteStore(":memory:");
    ctx.stack = await startStack();
    ctx.directory = new CarrierDirectory({ store: ctx.store, resolver: new SipResolver() });
  });
  test.after.each(async (ctx) => {
    await ctx.stack.close(0);
    await ctx.store.close();
  });
  return test;
}

/** Resolves once `cond` holds, polling every 20 ms; rejects after `ms`. */
export function until(cond: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error("condition not met in time"));
      else setTimeout(tick, 20);
    };
    tick();
  });
}
