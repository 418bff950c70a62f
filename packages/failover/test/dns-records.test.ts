import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  computeFailoverRecords,
  type FailoverRecord,
  InvalidDnsConfigError,
  managedRrsets,
} from "../src/index.js";
import { PRIMARY, SERVICE, STANDBY } from "./helpers/fixtures.js";

const byType = (records: FailoverRecord[], name: string, type: string): FailoverRecord[] =>
  records.filter((r) => r.name === name && r.type === type);

test("service name points at the active node only, with the configured TTL", () => {
  const records = computeFailoverRecords({ ...SERVICE, ttl: 17, active: { ipv4: PRIMARY.ipv4 } });
  const a = byType(records, "sip.operator.example", "A");
  assert.equal(a, [{ name: "sip.operator.example", type: "A", ttl: 17, data: "127.0.0.11" }]);
  assert.equal(byType(records, "sip.operator.example", "AAAA"), []);
  for (const r of records) assert.is(r.ttl, 17);
});

test("default TTL is 30 s", () => {
  const { ttl: _ttl, ...noTtl } = SERVICE;
  const records = computeFailoverRecords({ ...noTtl, active: { ipv4: STANDBY.ipv4 } });
  assert.ok(records.every((r) => r.ttl === 30));
  assert.equal(byType(records, "sip.operator.example", "A")[0]?.data, "127.0.0.12");
});

test("SRV for _sip._udp, _sip._tcp, _sips._tcp list primary then standby with the right ports", () => {
  const records = computeFailoverRecords({ ...SERVICE, active: { ipv4: PRIMARY.ipv4, ipv6: "::1" } });
  const expect: Record<string, [number, number]> = {
    "_sip._udp.sip.operator.example": [5060, 5070],
    "_sip._tcp.sip.operator.example": [5060, 5070],
    "_sips._tcp.sip.operator.example": [5061, 5071],
  };
  for (const [name, [p1, p2]] of Object.entries(expect)) {
    const srv = byType(records, name, "SRV").map((r) => r.data);
    assert.equal(srv, [
      { priority: 10, weight: 0, port: p1, target: "primary.operator.example" },
      { priority: 20, weight: 0, port: p2, target: "standby.operator.example" },
    ]);
  }
});

test("NAPTR records point at the SRV names, TLS preferred (RFC 3263)", () => {
  const records = computeFailoverRecords({ ...SERVICE, active: { ipv4: PRIMARY.ipv4 } });
  const naptr = byType(records, "sip.operator.example", "NAPTR").map((r) => r.data);
  assert.equal(naptr, [
    {
      order: 50,
      preference: 50,
      flags: "s",
      services: "SIPS+D2T",
      regexp: "",
      replacement: "_sips._tcp.sip.operator.example",
    },
    {
      order: 90,
      preference: 50,
      flags: "s",
      services: "SIP+D2T",
      regexp: "",
      replacement: "_sip._tcp.sip.operator.example",
    },
    {
      order: 100,
      preference: 50,
      flags: "s",
      services: "SIP+D2U",
      regexp: "",
      replacement: "_sip._udp.sip.operator.example",
    },
  ]);
});

test("SRV targets get their own A/AAAA records", () => {
  const records = computeFailoverRecords({ ...SERVICE, active: { ipv4: PRIMARY.ipv4 } });
  assert.equal(
    byType(records, "primary.operator.example", "A").map((r) => r.data),
    ["127.0.0.11"],
  );
  assert.equal(
    byType(records, "primary.operator.example", "AAAA").map((r) => r.data),
    ["::1"],
  );
  assert.equal(
    byType(records, "standby.operator.example", "A").map((r) => r.data),
    ["127.0.0.12"],
  );
  assert.equal(byType(records, "standby.operator.example", "AAAA"), []);
});

test("names are canonicalised; switching active changes the service A/AAAA and SRV order only", () => {
  const cfg = { ...SERVICE, zone: "Operator.Example.", serviceName: "SIP.operator.example." };
  const before = computeFailoverRecords({ ...cfg, active: { ipv4: PRIMARY.ipv4, ipv6: "::1" } });
  const after = computeFailoverRecords({ ...cfg, active: { ipv4: STANDBY.ipv4 } });
  assert.ok(before.every((r) => r.name === r.name.toLowerCase() && !r.name.endsWith(".")));
  const changed = (r: FailoverRecord) =>
    (r.name === "sip.operator.example" && (r.type === "A" || r.type === "AAAA")) || r.type === "SRV";
  assert.equal(
    before.filter((r) => !changed(r)),
    after.filter((r) => !changed(r)),
  );
  assert.equal(
    after.filter((r) => changed(r) && r.type !== "SRV"),
    [{ name: "sip.operator.example", type: "A", ttl: 30, data: "127.0.0.12" }],
  );
});

test("takeover: the live node first in every SRV set (priorities swapped), back on failback", () => {
  const after = computeFailoverRecords({ ...SERVICE, active: { ipv4: STANDBY.ipv4 } });
  for (const name of ["_sip._udp", "_sip._tcp", "_sips._tcp"]) {
    const srv = byType(after, `${name}.sip.operator.example`, "SRV").map(
      (r) => r.data as { priority: number; target: string },
    );
    assert.equal(
      srv.map((d) => [d.priority, d.target]),
      [
        [10, "standby.operator.example"],
        [20, "primary.operator.example"],
      ],
      name,
    );
  }
  const back = computeFailoverRecords({ ...SERVICE, active: { ipv4: PRIMARY.ipv4 } });
  const srv = byType(back, "_sip._udp.sip.operator.example", "SRV").map(
    (r) => r.data as { priority: number; target: string },
  );
  assert.equal(
    srv.map((d) => [d.priority, d.target]),
    [
      [10, "primary.operator.example"],
      [20, "standby.operator.example"],
    ],
  );
});

test("NAPTR and SRV only for transports served, per node", () => {
  const udpOnly = {
    ...SERVICE,
    nodes: [
      { ...PRIMARY, ports: { udp: 5060 } },
      { ...STANDBY, ports: { udp: 5070, tcp: 5070 } },
    ],
  };
  const records = computeFailoverRecords({ ...udpOnly, active: { ipv4: PRIMARY.ipv4 } });
  const naptr = byType(records, "sip.operator.example", "NAPTR").map(
    (r) => (r.data as { services: string }).services,
  );
  assert.equal(naptr, ["SIP+D2T", "SIP+D2U"], "no SIPS: nobody serves TLS");
  assert.equal(byType(records, "_sips._tcp.sip.operator.example", "SRV"), []);
  assert.equal(
    byType(records, "_sip._tcp.sip.operator.example", "SRV").map(
      (r) => (r.data as { target: string }).target,
    ),
    ["standby.operator.example"],
    "TCP SRV names only the node that serves TCP",
  );
  assert.equal(byType(records, "_sip._udp.sip.operator.example", "SRV").length, 2);
});

test("with a service address: the name and the single SRV target are that address, whoever is active", () => {
  const vip = { ...SERVICE, serviceAddress: { ipv4: "127.0.0.20" } };
  for (const active of [{ ipv4: PRIMARY.ipv4 }, { ipv4: STANDBY.ipv4 }]) {
    const records = computeFailoverRecords({ ...vip, active });
    assert.equal(
      byType(records, "sip.operator.example", "A").map((r) => r.data),
      ["127.0.0.20"],
    );
    const srv = byType(records, "_sip._udp.sip.operator.example", "SRV").map((r) => r.data);
    const port = active.ipv4 === PRIMARY.ipv4 ? 5060 : 5070;
    assert.equal(srv, [{ priority: 10, weight: 0, port, target: "sip.operator.example" }]);
  }
});

test("managedRrsets covers every RRset the set can contain", () => {
  const managed = managedRrsets(SERVICE);
  const records = computeFailoverRecords({ ...SERVICE, active: { ipv4: PRIMARY.ipv4, ipv6: "::1" } });
  for (const r of records) {
    assert.ok(
      managed.some((m) => m.name === r.name && m.type === r.type),
      `${r.name} ${r.type} is managed`,
    );
  }
  assert.ok(managed.some((m) => m.name === "standby.operator.example" && m.type === "AAAA"));
});

test("bad input raises InvalidDnsConfigError naming the field", () => {
  const cases: (() => unknown)[] = [
    () =>
      computeFailoverRecords({ ...SERVICE, serviceName: "sip.other.example", active: { ipv4: "127.0.0.1" } }),
    () => computeFailoverRecords({ ...SERVICE, active: {} }),
    () => computeFailoverRecords({ ...SERVICE, active: { ipv4: "300.1.1.1" } }),
    () => computeFailoverRecords({ ...SERVICE, active: { ipv6: "127.0.0.1" } }),
    () => computeFailoverRecords({ ...SERVICE, ttl: -1, active: { ipv4: "127.0.0.1" } }),
    () => computeFailoverRecords({ ...SERVICE, nodes: [], active: { ipv4: "127.0.0.1" } }),
    () =>
      computeFailoverRecords({
        ...SERVICE,
        nodes: [{ ...PRIMARY, ports: { udp: 0, tcp: 5060, tls: 5061 } }],
        active: { ipv4: "127.0.0.1" },
      }),
    () =>
      computeFailoverRecords({
        ...SERVICE,
        nodes: [{ ...PRIMARY, ports: {} }],
        active: { ipv4: "127.0.0.1" },
      }),
    () => computeFailoverRecords({ ...SERVICE, nodes: [PRIMARY, PRIMARY], active: { ipv4: "127.0.0.1" } }),
    () =>
      computeFailoverRecords({
        ...SERVICE,
        nodes: [{ ...PRIMARY, name: "bad name" }],
        active: { ipv4: "127.0.0.1" },
      }),
  ];
  const fields = [
    "serviceName",
    "active",
    "active.ipv4",
    "active.ipv6",
    "ttl",
    "nodes",
    "nodes[0].ports.udp",
    "nodes[0].ports",
  ];
  cases.forEach((fn, i) => {
    try {
      fn();
      assert.unreachable(`case ${i} should throw`);
    } catch (err) {
      assert.instance(err, InvalidDnsConfigError, `case ${i}`);
      const expected = fields[i];
      if (expected !== undefined) assert.is((err as InvalidDnsConfigError).field, expected);
    }
  });
});

test.run();
