import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  type BindingInput,
  NotFoundError,
  openSqliteStore,
  type Store,
  ValidationError,
} from "../src/index.js";
import { rejects, tempDir } from "./helpers.js";

const t = suite("location bindings");
const tmp = tempDir();
t.after(() => tmp.remove());

const NOW = 1_800_000_000_000;

async function withExtension(store: Store): Promise<{ e201: number; e202: number }> {
  const c = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const e201 = (await store.extensions.create({ customerId: c.id, number: "201" })).id;
  const e202 = (await store.extensions.create({ customerId: c.id, number: "202" })).id;
  return { e201, e202 };
}

const binding = (aor: number, contact: string, over: Partial<BindingInput> = {}): BindingInput => ({
  aor,
  contact,
  expiresAt: NOW + 3600_000,
  callId: "cid-1@127.0.0.1",
  cseq: 1,
  transport: "udp",
  sourceAddress: "127.0.0.1",
  sourcePort: 5070,
  ...over,
});

t("upsert inserts then refreshes the same (aor, contact), keeping one row", async () => {
  const store = openSqliteStore(":memory:", { now: () => NOW });
  const { e201 } = await withExtension(store);
  const b1 = await store.locations.upsert(
    binding(e201, "sip:201@127.0.0.1:5070", {
      q: 0.5,
      localAddress: "127.0.0.1",
      localPort: 5060,
      connectionId: "tcp-7",
      instanceId: "<urn:uuid:00000000-0000-0000-0000-000000000001>",
      regId: 1,
      userAgent: "Yealink T46U",
      path: ["<sip:edge1.pbx.test;lr>"],
    }),
  );
  assert.is(b1.aor, e201);
  assert.is(b1.q, 0.5);
  assert.is(b1.transport, "udp");
  assert.is(b1.localPort, 5060);
  assert.is(b1.connectionId, "tcp-7");
  assert.is(b1.regId, 1);
  assert.equal(b1.path, ["<sip:edge1.pbx.test;lr>"]);
  assert.is(b1.updatedAt, NOW);
  const b2 = await store.locations.upsert(
    binding(e201, "sip:201@127.0.0.1:5070", { cseq: 2, expiresAt: NOW + 7200_000 }),
  );
  assert.is(b2.id, b1.id);
  assert.is(b2.cseq, 2);
  assert.is(b2.expiresAt, NOW + 7200_000);
  assert.is(b2.q, 1);
  assert.equal(b2.path, []);
  assert.is(await store.locations.count(e201, NOW), 1);
  assert.equal(await store.locations.get(e201, "sip:201@127.0.0.1:5070"), b2);
  await store.close();
});

t("current() lists live bindings by q; remove and removeAll", async () => {
  const store = openSqliteStore(":memory:", { now: () => NOW });
  const { e201, e202 } = await withExtension(store);
  await store.locations.upsert(binding(e201, "sip:201@127.0.0.1:5071", { q: 0.3 }));
  await store.locations.upsert(binding(e201, "sip:201@127.0.0.1:5072", { q: 0.9 }));
  await store.locations.upsert(binding(e201, "sip:201@127.0.0.1:5073", { expiresAt: NOW - 1 }));
  await store.locations.upsert(binding(e201, "sip:201@127.0.0.1:5074", { expiresAt: NOW }));
  await store.locations.upsert(binding(e202, "sip:202@127.0.0.1:5080"));
  const cur = await store.locations.current(e201, NOW);
  assert.equal(
    cur.map((b) => b.contact),
    ["sip:201@127.0.0.1:5072", "sip:201@127.0.0.1:5071"],
  );
  assert.is(await store.locations.count(e201, NOW), 2);
  assert.is(await store.locations.countAll(NOW), 3);
  assert.is(await store.locations.remove(e201, "sip:201@127.0.0.1:5071"), true);
  assert.is(await store.locations.remove(e201, "sip:201@127.0.0.1:5071"), false);
  const removed = await store.locations.removeAll(e201);
  assert.is(removed.length, 3);
  assert.is(await store.locations.count(e201, 0), 0);
  assert.is(await store.locations.count(e202, NOW), 1, "other aor untouched");
  await store.close();
});

t("purgeExpired removes and returns exactly the expired bindings, in one sweep", async () => {
  const store = openSqliteStore(":memory:", { now: () => NOW });
  const { e201, e202 } = await withExtension(store);
  for (let i = 0; i < 50; i++) {
    await store.locations.upsert(
      binding(i % 2 ? e201 : e202, `sip:u@127.0.0.1:${6000 + i}`, { expiresAt: NOW + i * 1000 }),
    );
  }
  const purged = await store.locations.purgeExpired(NOW + 10_000);
  assert.is(purged.length, 11); // i = 0..10 (expiresAt <= now)
  assert.ok(purged.every((b) => b.expiresAt <= NOW + 10_000));
  assert.is(await store.locations.countAll(0), 39);
  assert.equal(await store.locations.purgeExpired(NOW + 10_000), []);
  await store.close();
});

t("RFC 5626 flow: same instance and reg-id with a new contact replaces the old binding", async () => {
  const store = openSqliteStore(":memory:", { now: () => NOW });
  const { e201 } = await withExtension(store);
  const inst = "<urn:uuid:00000000-0000-0000-0000-00000000000a>";
  await store.locations.upsert(binding(e201, "sip:201@127.0.0.1:5070", { instanceId: inst, regId: 1 }));
  await store.locations.upsert(binding(e201, "sip:201@127.0.0.1:5090", { instanceId: inst, regId: 2 }));
  await store.locations.upsert(binding(e201, "sip:201@127.0.0.1:6000", { instanceId: inst, regId: 1 }));
  const contacts = (await store.locations.current(e201, NOW)).map((b) => b.contact).sort();
  assert.equal(contacts, ["sip:201@127.0.0.1:5090", "sip:201@127.0.0.1:6000"]);
  await store.close();
});

t("binding validation and unknown aor", async () => {
  const store = openSqliteStore(":memory:");
  const { e201 } = await withExtension(store);
  assert.is(
    (await rejects(store.locations.upsert(binding(e201, "http://x")), ValidationError)).field,
    "contact",
  );
  assert.is(
    (await rejects(store.locations.upsert(binding(e201, "sip:a@127.0.0.1", { q: 2 })), ValidationError))
      .field,
    "q",
  );
  const badTransport = binding(e201, "sip:a@127.0.0.1", { transport: "sctp" as never });
  assert.is((await rejects(store.locations.upsert(badTransport), ValidationError)).field, "transport");
  const badPort = binding(e201, "sip:a@127.0.0.1", { sourcePort: 0 });
  assert.is((await rejects(store.locations.upsert(badPort), ValidationError)).field, "sourcePort");
  await rejects(store.locations.upsert(binding(9999, "sip:a@127.0.0.1")), NotFoundError);
  await store.close();
});

t("bindings survive a restart (close and reopen the file); deleting the extension drops them", async () => {
  const path = tmp.file("restart.db");
  const s1 = openSqliteStore(path, { now: () => NOW });
  const { e201 } = await withExtension(s1);
  const written = await s1.locations.upsert(
    binding(e201, "sip:201@127.0.0.1:5070", { userAgent: "Snom D785" }),
  );
  await s1.close();
  const s2 = openSqliteStore(path);
  assert.equal(await s2.locations.current(e201, NOW), [written]);
  await s2.extensions.delete(e201);
  assert.is(await s2.locations.countAll(0), 0);
  await s2.close();
});

t.run();
