import { createSocket } from "node:dgram";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { runSipp } from "./helpers/sipp.js";

let sw: RunningSwitch;

test.before(async () => {
  sw = await startSwitch();
});

test.after(async () => {
  await sw?.stop();
});

test("SIPp OPTIONS over UDP gets 200 with Allow", async () => {
  const r = await runSipp({ scenario: "options-uac.xml", server: `127.0.0.1:${sw.port}`, transport: "u1" });
  assert.is(r.code, 0, `sipp failed:\n${r.stdout.slice(-1500)}\n${r.errors}`);
});

test("SIPp OPTIONS over TCP gets 200 with Allow", async () => {
  const r = await runSipp({ scenario: "options-uac.xml", server: `127.0.0.1:${sw.port}`, transport: "t1" });
  assert.is(r.code, 0, `sipp failed:\n${r.stdout.slice(-1500)}\n${r.errors}`);
});

test("a malformed request gets a 400 naming the fault, and the switch keeps serving", async () => {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const { port } = sock.address();
  const bad = [
    "OPTIONS sip:127.0.0.1 SIP/2.0",
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-bad1;rport`,
    "From: <sip:probe@127.0.0.1>;tag=1",
    "To: <sip:127.0.0.1>",
    "Call-ID: bad-cseq@test",
    "CSeq: 99999999999 OPTIONS",
    "Max-Forwards: 70",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  const reply = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no response to a malformed request")), 3000);
    sock.once("message", (m) => {
      clearTimeout(t);
      resolve(m.toString());
    });
  });
  sock.send(bad, sw.port, "127.0.0.1");
  const text = await reply;
  sock.close();
  assert.match(text, /^SIP\/2\.0 400 /);
  assert.match(text.split("\r\n")[0] ?? "", /CSeq/i);
  const r = await runSipp({ scenario: "options-uac.xml", server: `127.0.0.1:${sw.port}`, transport: "u1" });
  assert.is(r.code, 0, "the switch stopped answering after a malformed request");
});

test.run();
