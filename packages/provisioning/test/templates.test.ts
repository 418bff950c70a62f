import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  compileTemplate,
  DEFAULT_PHONE_SETTINGS,
  DEFAULT_TEMPLATE_DIR,
  PhoneCatalog,
  type PhoneData,
  type PhoneSettings,
  phoneFiles,
  renderPhoneFile,
  renderTemplate,
  TemplateError,
} from "../src/index.js";

// Each family's generated files parsed the way the phone reads them (XML, or key = value lines)
// and checked field by field: account, server name, transport, expiry, failover settings, and
// no credential in the files that must not carry one.

const catalog = PhoneCatalog.load();
const settings: PhoneSettings = {
  ...DEFAULT_PHONE_SETTINGS,
  server: "sip.operator.example",
  secondServer: "sip2.operator.example",
};
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
});

function phone(model: string, lines = 2): PhoneData {
  const m = catalog.model(model);
  if (m === undefined) throw new Error(`no model ${model}`);
  return {
    mac: "805ec0123456",
    model: m,
    domain: "pbx.acme.example",
    lines: [
      { number: "201", displayName: "Alice & Co", password: "s3cret-201-pw" },
      { number: "202", displayName: "", password: "s3cret-202-pw" },
    ].slice(0, lines),
    blf: [{ number: "203", displayName: "Carol" }],
  };
}

function render(p: PhoneData, name: string, s: PhoneSettings = settings): string {
  const f = renderPhoneFile(p, s, name);
  if (f === undefined) throw new Error(`no file ${name}`);
  return f.body;
}

function keyValues(body: string): Map<string, string> {
  const map = new Map<string, string>();
  const lines = body.split("\n");
  assert.is(lines[0], "#!version:1.0.0.1", "Yealink needs the version line first");
  for (const line of lines) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-z0-9_.]+) = (.*)$/.exec(line);
    assert.ok(m, `not a key = value line: ${line}`);
    assert.not.ok(map.has(m![1]!), `key ${m![1]} written twice`);
    map.set(m![1]!, m![2]!);
  }
  return map;
}

function noSecrets(body: string): void {
  assert.not.match(body, /s3cret/, "a file without credentials carries a password");
}

test("every family loads, every model is known once, file names follow the manifests", () => {
  assert.equal(
    catalog.families.map((f) => f.name),
    ["grandstream", "poly", "snom", "yealink"],
  );
  assert.is(catalog.model("t46s")?.family.name, "yealink");
  assert.is(catalog.model("VVX450")?.family.name, "poly");
  assert.is(catalog.model("nope"), undefined);
  assert.equal(phoneFiles(phone("T46S")), [
    { name: "805ec0123456.cfg", credentials: true },
    { name: "y000000000066.cfg", credentials: false },
  ]);
  assert.equal(
    phoneFiles(phone("VVX450")).map((f) => f.name),
    ["805ec0123456.cfg", "000000000000.cfg", "phone805ec0123456.cfg"],
  );
  assert.equal(
    phoneFiles(phone("D785")).map((f) => f.name),
    ["805ec0123456.xml"],
  );
  assert.equal(
    phoneFiles(phone("GRP2614")).map((f) => f.name),
    ["cfg805ec0123456.xml"],
  );
});

test("Yealink <mac>.cfg: accounts, server by name, transport, expiry, failover, codecs, keys", () => {
  const kv = keyValues(render(phone("T46S"), "805ec0123456.cfg"));
  const want: Record<string, string> = {
    "account.1.enable": "1",
    "account.1.user_name": "201",
    "account.1.auth_name": "201",
    "account.1.password": "s3cret-201-pw",
    "account.1.display_name": "Alice & Co",
    "account.1.sip_server.1.address": "pbx.acme.example",
    "account.1.sip_server.1.port": "0",
    "account.1.sip_server.1.transport_type": "0",
    "account.1.sip_server.1.expires": "300",
    "account.1.sip_server.1.retry_counts": "3",
    "account.1.sip_server.1.failback_mode": "0",
    "account.1.sip_server.1.failback_timeout": "3600",
    "account.1.outbound_proxy_enable": "1",
    "account.1.outbound_proxy.1.address": "sip.operator.example",
    "account.1.outbound_proxy.1.port": "0",
    "account.1.outbound_proxy.2.address": "sip2.operator.example",
    "account.1.nat.udp_update_enable": "1",
    "account.1.nat.udp_update_time": "30",
    "account.1.codec.g722.priority": "1",
    "account.1.codec.pcma.priority": "2",
    "account.1.codec.pcmu.priority": "3",
    "account.2.user_name": "202",
    "account.2.display_name": "202",
    "account.2.password": "s3cret-202-pw",
    "linekey.1.type": "15",
    "linekey.2.type": "15",
    "linekey.3.type": "16",
    "linekey.3.value": "203",
    "linekey.3.label": "Carol",
  };
  for (const [k, v] of Object.entries(want)) assert.is(kv.get(k), v, k);
  // NAPTR: the DNS-NAPTR transport; an A-record setup: an explicit port and the real transport.
  const naptr = keyValues(render(phone("T46S"), "805ec0123456.cfg", { ...settings, dnsMode: "naptr" }));
  assert.is(naptr.get("account.1.sip_server.1.transport_type"), "3");
  const a = keyValues(
    render(phone("T46S"), "805ec0123456.cfg", {
      ...settings,
      dnsMode: "a",
      transport: "tls",
      failback: "registration",
    }),
  );
  assert.is(a.get("account.1.sip_server.1.transport_type"), "2");
  assert.is(a.get("account.1.outbound_proxy.1.port"), "5061");
  assert.is(a.get("account.1.sip_server.1.failback_mode"), "2");
  // No second server configured: no second outbound proxy.
  const single = keyValues(
    render(phone("T46S"), "805ec0123456.cfg", { ...settings, secondServer: undefined }),
  );
  assert.is(single.get("account.1.outbound_proxy.2.address"), undefined);
});

test("Yealink common y0000000000xx.cfg: time zone and language, no account or credential", () => {
  const body = render(phone("T46S"), "y000000000066.cfg");
  noSecrets(body);
  const kv = keyValues(body);
  assert.is(kv.get("local_time.time_zone"), "+1");
  assert.is(kv.get("local_time.time_zone_name"), "France(Paris)");
  assert.is(kv.get("lang.gui"), "French");
  assert.not.ok([...kv.keys()].some((k) => k.startsWith("account.")));
});

test("Poly master files name the phone file; phone<mac>.cfg has accounts, failover, BLF", () => {
  for (const name of ["805ec0123456.cfg", "000000000000.cfg"]) {
    const body = render(phone("VVX450"), name);
    noSecrets(body);
    assert.is(XMLValidator.validate(body), true);
    assert.is(xml.parse(body).APPLICATION.CONFIG_FILES, "phone[PHONE_MAC_ADDRESS].cfg");
  }
  const body = render(phone("VVX450"), "phone805ec0123456.cfg");
  assert.is(XMLValidator.validate(body), true, "well-formed XML");
  const cfg = xml.parse(body).PHONE_CONFIG;
  const reg = cfg.reg as Record<string, string>;
  const want: Record<string, string> = {
    "reg.1.address": "201@pbx.acme.example",
    "reg.1.displayName": "Alice & Co",
    "reg.1.auth.userId": "201",
    "reg.1.auth.password": "s3cret-201-pw",
    "reg.1.server.1.address": "sip.operator.example",
    "reg.1.server.1.port": "0",
    "reg.1.server.1.transport": "UDPOnly",
    "reg.1.server.1.expires": "300",
    "reg.1.server.1.failOver.failBack.mode": "newRequests",
    "reg.1.server.1.failOver.failBack.timeout": "3600",
    "reg.1.server.2.address": "sip2.operator.example",
    "reg.1.server.2.expires": "300",
    "reg.2.address": "202@pbx.acme.example",
    "reg.2.auth.password": "s3cret-202-pw",
  };
  for (const [k, v] of Object.entries(want)) assert.is(reg[k], v, k);
  assert.is(cfg.attendant["attendant.resourceList.1.address"], "203@pbx.acme.example");
  assert.is(cfg.voice["voice.codecPref.G722"], "1");
  assert.is(cfg.voice["voice.codecPref.G711_A"], "2");
  assert.is(cfg.tcpIpApp["tcpIpApp.sntp.gmtOffset"], "3600");
  assert.is(cfg.lcl["lcl.ml.lang"], "Francais_France");
  assert.is(cfg.nat["nat.keepalive.interval"], "30");
  // A check-sync re-fetches the files without a reboot.
  assert.is(cfg.voIpProt["voIpProt.SIP.specialEvent.checkSync.alwaysReboot"], "0");
  const naptr = xml.parse(
    render(phone("VVX450"), "phone805ec0123456.cfg", { ...settings, dnsMode: "naptr" }),
  );
  assert.is(naptr.PHONE_CONFIG.reg["reg.1.server.1.transport"], "DNSnaptr");
});

test("Snom <mac>.xml: identities, outbound proxy by name with transport, expiry, BLF keys", () => {
  const body = render(phone("D785"), "805ec0123456.xml");
  assert.is(XMLValidator.validate(body), true);
  const s = xml.parse(body).settings;
  const ps = s["phone-settings"] as Record<string, { idx?: string; "#text": string }[] | { "#text": string }>;
  const byIdx = (tag: string, idx: string) =>
    (ps[tag] as { idx: string; "#text": string }[]).find((e) => e.idx === idx)?.["#text"];
  assert.is(byIdx("user_name", "1"), "201");
  assert.is(byIdx("user_pass", "1"), "s3cret-201-pw");
  assert.is(byIdx("user_host", "1"), "pbx.acme.example");
  assert.is(byIdx("user_outbound", "1"), "sip.operator.example;transport=udp");
  assert.is(byIdx("user_expiry", "1"), "300");
  assert.is(byIdx("user_realname", "1"), "Alice & Co");
  assert.is(byIdx("user_name", "2"), "202");
  assert.is(byIdx("codec1_name", "1"), "9");
  assert.is(byIdx("codec2_name", "2"), "8");
  assert.is((ps.timezone as { "#text": string })["#text"], "FRA+1");
  assert.is((ps.keepalive_interval as { "#text": string })["#text"], "30");
  assert.is((ps.sip_retry_t1 as { "#text": string })["#text"], "500");
  const fkey = s.functionKeys.fkey as { idx: string; "#text": string };
  assert.equal([fkey.idx, fkey["#text"]], ["2", "blf sip:203@pbx.acme.example"]);
  const a = xml.parse(
    render(phone("D785"), "805ec0123456.xml", { ...settings, dnsMode: "a", transport: "tcp" }),
  );
  const out = a.settings["phone-settings"].user_outbound as { idx: string; "#text": string }[];
  assert.is(out[0]!["#text"], "sip.operator.example:5060;transport=tcp");
});

test("Grandstream cfg<mac>.xml: account 1 P-values, DNS mode, expiry in minutes, BLF keys", () => {
  const body = render(phone("GRP2614", 1), "cfg805ec0123456.xml");
  assert.is(XMLValidator.validate(body), true);
  const gs = xml.parse(body).gs_provision;
  assert.is(gs.mac, "805ec0123456");
  const c = gs.config as Record<string, string>;
  const want: Record<string, string> = {
    P271: "1",
    P35: "201",
    P36: "201",
    P34: "s3cret-201-pw",
    P3: "Alice & Co",
    P47: "pbx.acme.example",
    P48: "sip.operator.example",
    P2333: "sip2.operator.example",
    P130: "0",
    P103: "1",
    P32: "5",
    P84: "30",
    P57: "9",
    P58: "8",
    P59: "0",
    P323: "1",
    P303: "203",
    P64: "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00",
    P1362: "fr",
  };
  for (const [k, v] of Object.entries(want)) assert.is(String(c[k]), v, k);
});

test("files without credentials carry none even when the phone's passwords are known", () => {
  for (const model of ["T46S", "VVX450"]) {
    const p = phone(model);
    for (const f of phoneFiles(p).filter((f) => !f.credentials)) noSecrets(render(p, f.name));
  }
  assert.is(renderPhoneFile(phone("T46S"), settings, "000000000000.cfg"), undefined, "not a Yealink file");
});

test("template errors name the template and the key", () => {
  const t = compileTemplate("x/y.cfg", "a = {{lines}}\n{{#lines}}b = {{nope}}\n{{/lines}}", "cfg");
  try {
    renderTemplate(t, { lines: [{ n: 1 }] });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, TemplateError);
  }
  const missing = compileTemplate("x/y.cfg", "{{#lines}}b = {{nope}}\n{{/lines}}", "cfg");
  try {
    renderTemplate(missing, { lines: [{ n: 1 }] });
    assert.unreachable();
  } catch (err) {
    assert.is((err as TemplateError).message, 'template x/y.cfg: key "nope": no such key');
  }
  // A value a vendor map does not know (a time zone the family cannot express).
  try {
    render(phone("T46S"), "y000000000066.cfg", { ...settings, timezone: "Europe/Berlin" });
    assert.unreachable();
  } catch (err) {
    assert.is((err as TemplateError).template, "yealink/common.cfg");
    assert.is((err as TemplateError).key, "timezone");
    assert.match((err as Error).message, /"Europe\/Berlin" is not in map "timezone"/);
  }
  // A line break cannot inject a key = value line; in XML it is escaped data.
  const evil = {
    ...phone("T46S"),
    lines: [{ number: "201", displayName: "x\naccount.1.password = y", password: "p" }],
  };
  try {
    render(evil, "805ec0123456.cfg");
    assert.unreachable();
  } catch (err) {
    assert.is((err as TemplateError).key, "displayName");
  }
  // A common file that asks for a password is a template error, not a leak.
  const dir = mkdtempSync(join(tmpdir(), "centrex-tpl-"));
  try {
    cpSync(DEFAULT_TEMPLATE_DIR, dir, { recursive: true });
    const common = join(dir, "yealink", "common.cfg");
    writeFileSync(common, `${readFileSync(common, "utf8")}{{#lines}}leak = {{password}}\n{{/lines}}`);
    const bad = PhoneCatalog.load(dir);
    const p = { ...phone("T46S"), model: bad.model("T46S")! };
    try {
      render(p, "y000000000066.cfg");
      assert.unreachable();
    } catch (err) {
      assert.equal(
        [(err as TemplateError).template, (err as TemplateError).key],
        ["yealink/common.cfg", "password"],
      );
    }
    writeFileSync(join(dir, "snom", "settings.xml"), "{{#lines}}unclosed");
    try {
      PhoneCatalog.load(dir);
      assert.unreachable();
    } catch (err) {
      assert.equal(
        [(err as TemplateError).template, (err as TemplateError).key],
        ["snom/settings.xml", "lines"],
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
