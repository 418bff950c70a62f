import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore, type Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DEFAULT_PHONE_SETTINGS,
  loadSealKey,
  PhoneCatalog,
  PhoneInputError,
  PhoneInventory,
  ProvisioningServer,
  unseal,
} from "../src/index.js";

// The HTTPS service against a real SQLite store and a real TLS listener on loopback: who gets
// what, and the ban on a source that keeps guessing.

const dir = mkdtempSync(join(tmpdir(), "centrex-prov-"));
execFileSync(
  "openssl",
  [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...[
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
    ],
    ...["-addext", "subjectAltName=IP:127.0.0.1"],
  ],
  { stdio: "ignore" },
);
const ca = readFileSync(join(dir, "cert.pem"));
let store: Store;
let server: ProvisioningServer;
let port = 0;
let inventory: PhoneInventory;
const key = loadSealKey(join(dir, "db.provisioning-key"), { create: true });

test.before(async () => {
  store = openSqliteStore(join(dir, "db"));
  const c = await store.customers.create({ name: "Acme", domain: "pbx.test" });
  await store.extensions.create({ customerId: c.id, number: "201", password: "by-hand-201-pw" });
  await store.extensions.create({ customerId: c.id, number: "202" });
  const catalog = PhoneCatalog.load();
  inventory = new PhoneInventory(store, catalog, key);
  server = new ProvisioningServer({
    store,
    catalog,
    settings: { ...DEFAULT_PHONE_SETTINGS, server: "sip.operator.test" },
    sealKey: key,
    address: "127.0.0.1",
    port: 0,
    tls: { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") },
    maxFailures: 3,
  });
  port = (await server.start()).port;
});

test.after(async () => {
  await server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, auth?: string, method = "GET"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method, ca, ...(auth !== undefined && { auth }) },
      (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("inventory: a second phone on an extension keeps its password; the sealed copy is the HA1's", async () => {
  const first = await inventory.add({
    domain: "pbx.test",
    mac: "805ec0000001",
    model: "D785",
    extensions: ["201"],
  });
  assert.equal(first.newPasswords, ["201"]);
  const second = await inventory.add({
    domain: "pbx.test",
    mac: "805ec0000002",
    model: "VVX450",
    extensions: ["201"],
  });
  assert.equal(second.newPasswords, [], "the first phone is not logged out");
  const ext = await store.extensions.find(1, "201");
  const sealed = await store.phones.sealedSecret(ext!.id);
  const password = unseal(key, sealed!.sealed);
  const snom = await get("/805ec0000001.xml", `805ec0000001:${first.credential}`);
  assert.is(snom.status, 200);
  assert.ok(snom.body.includes(`<user_pass idx="1" perm="R">${password}</user_pass>`));
  const poly = await get("/phone805ec0000002.cfg", `805ec0000002:${second.credential}`);
  assert.ok(poly.body.includes(`reg.1.auth.password="${password}"`));
  // HEAD answers like GET without a body; other methods are refused.
  assert.is((await get("/805ec0000001.xml", `805ec0000001:${first.credential}`, "HEAD")).body, "");
  assert.is((await get("/805ec0000001.xml", `805ec0000001:${first.credential}`, "PUT")).status, 405);
  // One phone's credential opens none of another phone's files.
  assert.is((await get("/phone805ec0000002.cfg", `805ec0000001:${first.credential}`)).status, 404);
  try {
    await inventory.add({
      domain: "pbx.test",
      mac: "805ec0000003",
      model: "T46S",
      extensions: ["201", "201"],
    });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, PhoneInputError);
  }
});

test("a password changed by hand is never served stale: 503 until the phone is moved onto it again", async () => {
  const cred = await inventory.add({
    domain: "pbx.test",
    mac: "805ec0000004",
    model: "T46S",
    extensions: ["201"],
  });
  assert.is((await get("/805ec0000004.cfg", `805ec0000004:${cred.credential}`)).status, 200);
  const ext = await store.extensions.find(1, "201");
  await store.extensions.setPassword(ext!.id, "changed-by-hand-1");
  const stale = await get("/805ec0000004.cfg", `805ec0000004:${cred.credential}`);
  assert.is(stale.status, 503);
  assert.not.match(stale.body, /password/);
  assert.is(server.counters["secret-unavailable"], 1);
  // The common file carries no password: still served.
  assert.is((await get("/y000000000066.cfg", `805ec0000004:${cred.credential}`)).status, 200);
  const moved = await inventory.move("805ec0000004", { extensions: ["201"] });
  assert.equal(moved.newPasswords, ["201"]);
  const fresh = await get("/805ec0000004.cfg", `805ec0000004:${cred.credential}`);
  assert.is(fresh.status, 200);
  const password = /^account\.1\.password = (.*)$/m.exec(fresh.body)?.[1];
  const creds = await store.extensions.findCredentials("pbx.test", "201");
  assert.is(createHash("md5").update(`201:pbx.test:${password}`).digest("hex"), creds?.ha1Md5);
});

test("wrong credentials from one source: banned after maxFailures, even with the right one then", async () => {
  const added = await inventory.add({
    domain: "pbx.test",
    mac: "805ec0000005",
    model: "GRP2614",
    extensions: ["202"],
  });
  assert.is((await get("/cfg805ec0000005.xml", `805ec0000005:${added.credential}`)).status, 200);
  assert.is((await get("/cfg805ec0000005.xml")).status, 401, "no credentials: challenged, not counted");
  for (let i = 0; i < 3; i++)
    assert.is((await get("/cfg805ec0000005.xml", `805ec0000005:guess-${i}`)).status, 401);
  const banned = await get("/cfg805ec0000005.xml", `805ec0000005:${added.credential}`);
  assert.is(banned.status, 403);
  assert.not.match(banned.body, /P34|gs_provision/);
  assert.ok(server.bans.isBanned("127.0.0.1"));
  server.bans.clear("127.0.0.1");
  assert.is((await get("/cfg805ec0000005.xml", `805ec0000005:${added.credential}`)).status, 200);
});

test.run();
