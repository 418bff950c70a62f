import { openSqliteStore } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Trunk } from "../src/index.js";
import { until } from "./helpers/carrier-suite.js";
import { startCarrier } from "./helpers/sipp-carrier.js";
import { callerInvite, plan, RecordingOwner, startStack } from "./helpers/stack.js";

test("Trunk: registers the carriers added with register (only them), routes calls, applies store changes on reload", async () => {
  const store = openSqliteStore(":memory:");
  const stack = await startStack();
  const registrar = await startCarrier("carrier-register.xml");
  const answering = await startCarrier("carrier-answer.xml");
  const trunk = new Trunk({ stack, store, plan, probe: false, noResponseTimeoutMs: 1_000 });
  try {
    const reg = await store.carriers.create({
      name: "reg",
      host: "127.0.0.1",
      port: registrar.port,
      username: "trunkuser",
      password: "s3cret-pass",
      register: true,
    });
    await store.carriers.addRoute(reg.id, "44");
    // Credentials for digest on INVITE, but no `register`: it must get no REGISTER.
    const ip = await store.carriers.create({
      name: "ip-auth",
      host: "127.0.0.1",
      port: answering.port,
      username: "invite-only",
      password: "pw",
    });
    await store.carriers.addRoute(ip.id, "33");
    await trunk.start();
    await until(() => trunk.registrationStates().reg === "registered", 3_000);
    assert.equal(Object.keys(trunk.registrationStates()), ["reg"]); // not asked to register: no REGISTER
    assert.ok(trunk.isCarrierSource("127.0.0.1"));

    const owner = new RecordingOwner(stack);
    const call = trunk.outboundCall({
      request: callerInvite(),
      destination: "+33142000000",
      presentation: { number: "+33140000000", withheld: false },
      owner,
    });
    call.start();
    assert.is(await owner.outcome, "answered");
    assert.is(call.carrier?.name, "ip-auth");
    assert.is((await answering.finished).code, 0);

    // The operator disables the registering carrier: reload stops its registration, no restart.
    await store.carriers.update(reg.id, { enabled: false });
    await trunk.reload();
    assert.equal(trunk.registrationStates(), {});
  } finally {
    await trunk.stop(false);
    await registrar.stop();
    await answering.stop();
    await stack.close(0);
    await store.close();
  }
});

test.run();
