import { createSocket } from "node:dgram";
import { request } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { HealthStatus } from "../src/index.js";
import { httpHealthProbe, sipOptionsProbe, startHealthEndpoint } from "../src/index.js";

function get(url: string, method = "GET"): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("health endpoint: 200 + JSON when primary, 503 otherwise, 404/405 elsewhere; probe reads role and epoch", async () => {
  let status: HealthStatus = { node: "a", role: "primary", epoch: 4, lag: 0 };
  const ep = await startHealthEndpoint({ status: () => status });
  try {
    const ok = await get(ep.url);
    assert.is(ok.code, 200);
    assert.equal(JSON.parse(ok.body), { node: "a", role: "primary", epoch: 4, lag: 0 });
    status = { node: "a", role: "fenced", epoch: 4 };
    assert.is((await get(ep.url)).code, 503);
    assert.is((await get(`http://127.0.0.1:${ep.port}/other`)).code, 404);
    assert.is((await get(ep.url, "POST")).code, 405);

    const probe = httpHealthProbe({ url: ep.url, timeoutMs: 500 });
    const r = await probe.probe();
    assert.is(r.reachable, true);
    assert.is(r.role, "fenced");
    assert.is(r.epoch, 4);
  } finally {
    await ep.close();
  }
  const down = await httpHealthProbe({ url: ep.url, timeoutMs: 300 }).probe();
  assert.is(down.reachable, false);
  assert.ok(down.error);
});

test("SIP OPTIONS probe: any response with our Call-ID is alive; silence is a miss", async () => {
  const server = createSocket("udp4");
  await new Promise<void>((r) => server.bind(0, "127.0.0.1", () => r()));
  const port = server.address().port;
  const seen: string[] = [];
  server.on("message", (msg, rinfo) => {
    const text = msg.toString("latin1");
    seen.push(text);
    const headers = text.split("\r\n").filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    // A stray response with another Call-ID first: must not count.
    server.send(
      Buffer.from("SIP/2.0 200 OK\r\nCall-ID: other@x\r\nContent-Length: 0\r\n\r\n"),
      rinfo.port,
      rinfo.address,
    );
    server.send(
      Buffer.from(`SIP/2.0 404 Not Found\r\n${headers.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`),
      rinfo.port,
      rinfo.address,
    );
  });
  try {
    const r = await sipOptionsProbe({ host: "127.0.0.1", port, timeoutMs: 500 }).probe();
    assert.is(r.reachable, true);
    assert.match(seen[0] ?? "", /^OPTIONS sip:127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
    assert.match(seen[0] ?? "", /Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  const silent = createSocket("udp4");
  await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
  try {
    const started = Date.now();
    const r = await sipOptionsProbe({
      host: "127.0.0.1",
      port: silent.address().port,
      timeoutMs: 300,
    }).probe();
    assert.is(r.reachable, false);
    assert.ok(Date.now() - started >= 290);
  } finally {
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test.run();
