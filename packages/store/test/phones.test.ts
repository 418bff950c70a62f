import { suite } from "uvu";
import * as assert from "uvu/assert";
import { computeHa1 } from "../src/ha1.js";
import { ConflictError, checkMac, openSqliteStore, ValidationError } from "../src/index.js";
import { rejects, tempDir } from "./helpers.js";

const t = suite("phone inventory");
const tmp = tempDir();
t.after(() => tmp.remove());

const HASH = "a".repeat(64);

async function setup(name: string) {
  const store = openSqliteStore(tmp.file(name));
  const a = await store.customers.create({ name: "A", domain: "a.pbx.test" });
  const b = await store.customers.create({ name: "B", domain: "b.pbx.test" });
  const a201 = await store.extensions.create({ customerId: a.id, number: "201", password: "old-password-1" });
  const a202 = await store.extensions.create({ customerId: a.id, number: "202" });
  const b201 = await store.extensions.create({ customerId: b.id, number: "201" });
  return { store, a, b, a201, a202, b201 };
}

t("MACs: separators and case accepted, stored bare; malformed ones named", () => {
  assert.is(checkMac("80:5E:C0:12:34:56"), "805ec0123456");
  assert.is(checkMac("80-5e-c0-12-34-56"), "805ec0123456");
  assert.is(checkMac("805ec0123456"), "805ec0123456");
  for (const bad of ["805ec012345", "80:5e:c0:12:34:5g", "80:5e-c0:12:34:56", "000000000000", ""]) {
    try {
      checkMac(bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.instance(err, ValidationError);
      assert.is((err as ValidationError).field, "mac");
    }
  }
});

t("a phone with line and BLF keys, its password sealed in the same transaction", async () => {
  const { store, a, a201, a202 } = await setup("add.db");
  const p = await store.phones.create({
    customerId: a.id,
    mac: "80:5E:C0:12:34:56",
    model: "T46S",
    lines: [a201.id],
    blf: [a202.id],
    credentialHash: HASH,
    passwords: [{ extensionId: a201.id, password: "new-password-1", sealed: "sealed-blob" }],
  });
  assert.is(p.mac, "805ec0123456");
  assert.equal(p.lines, [{ extensionId: a201.id, number: "201" }]);
  assert.equal(p.blf, [{ extensionId: a202.id, number: "202" }]);
  assert.is((await store.phones.findByMac("80-5e-c0-12-34-56"))?.id, p.id);
  assert.is(await store.phones.findByMac("nonsense"), undefined);
  const cred = await store.extensions.findCredentials("a.pbx.test", "201");
  assert.is(cred?.ha1Md5, computeHa1("md5", "201", "a.pbx.test", "new-password-1"));
  assert.equal(await store.phones.sealedSecret(a201.id), {
    extensionId: a201.id,
    sealed: "sealed-blob",
    current: true,
  });
  // A password changed outside provisioning makes the sealed copy stale, visibly.
  await store.extensions.setPassword(a201.id, "changed-by-hand");
  assert.is((await store.phones.sealedSecret(a201.id))?.current, false);
  assert.is(await store.phones.sealedSecret(a202.id), undefined);
});

t("bad input writes nothing: MAC already assigned, another customer's extension", async () => {
  const { store, a, b, a201, a202, b201 } = await setup("bad.db");
  await store.phones.create({
    customerId: a.id,
    mac: "805ec0123456",
    model: "T46S",
    lines: [a201.id],
    credentialHash: HASH,
  });
  const before = await store.extensions.findCredentials("a.pbx.test", "202");
  const dup = await rejects(
    store.phones.create({
      customerId: b.id,
      mac: "80:5e:c0:12:34:56",
      model: "D785",
      lines: [b201.id],
      credentialHash: HASH,
      passwords: [{ extensionId: b201.id, password: "would-be-set-1", sealed: "x" }],
    }),
    ConflictError,
  );
  assert.is(dup.field, "mac");
  assert.is((await store.extensions.findCredentials("b.pbx.test", "201"))?.ha1Md5, null, "no password set");
  const foreign = await rejects(
    store.phones.create({
      customerId: a.id,
      mac: "805ec0abcdef",
      model: "T46S",
      lines: [a202.id, b201.id],
      credentialHash: HASH,
      passwords: [{ extensionId: a202.id, password: "would-be-set-2", sealed: "x" }],
    }),
    ValidationError,
  );
  assert.is(foreign.field, "extension");
  assert.is(await store.phones.findByMac("805ec0abcdef"), undefined);
  assert.equal(await store.extensions.findCredentials("a.pbx.test", "202"), before);
  assert.is(await store.phones.sealedSecret(a202.id), undefined);
  await rejects(
    store.phones.create({
      customerId: a.id,
      mac: "805ec0abcdef",
      model: "T46S",
      lines: [],
      credentialHash: HASH,
    }),
    ValidationError,
  );
});

t("subscription count: phones with a line; move and removal of extensions follow", async () => {
  const { store, a, b, a201, a202, b201 } = await setup("count.db");
  const p1 = await store.phones.create({
    customerId: a.id,
    mac: "805ec0000001",
    model: "T46S",
    lines: [a201.id],
    credentialHash: HASH,
  });
  await store.phones.create({
    customerId: a.id,
    mac: "805ec0000002",
    model: "T46S",
    lines: [a202.id],
    credentialHash: HASH,
  });
  await store.phones.create({
    customerId: b.id,
    mac: "805ec0000003",
    model: "T46S",
    lines: [b201.id],
    credentialHash: HASH,
  });
  assert.is(await store.phones.countByCustomer(a.id), 2);
  assert.is(await store.phones.countByCustomer(b.id), 1);
  const moved = await store.phones.setKeys(p1.id, { lines: [a202.id], blf: [a201.id] });
  assert.equal(
    moved.lines.map((k) => k.number),
    ["202"],
  );
  await rejects(store.phones.setKeys(p1.id, { lines: [b201.id] }), ValidationError);
  assert.equal(
    (await store.phones.get(p1.id)).lines.map((k) => k.number),
    ["202"],
    "failed move changed nothing",
  );
  // The extension goes, its keys go; a phone left without a line is no longer billed.
  await store.extensions.delete(a202.id);
  assert.is(await store.phones.countByCustomer(a.id), 0);
  assert.equal((await store.phones.listByCustomer(a.id)).length, 2);
  await store.phones.delete(p1.id);
  assert.equal((await store.phones.listByCustomer(a.id)).length, 1);
  await store.customers.delete(b.id);
  assert.is(await store.phones.findByMac("805ec0000003"), undefined);
});

t.run();
