import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Mailboxes, VoicemailService } from "../src/index.js";

// The voicemail's SIP side on loopback, fed raw INVITEs: what it refuses, and with what.
const root = mkdtempSync(join(tmpdir(), "centrex-vm-service-"));
let service: VoicemailService | undefined;
test.after(async () => {
  await service?.close();
  rmSync(root, { recursive: true, force: true });
});

async function invite(uri: string, sdpFormats = "0 101"): Promise<string> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const port = sock.address().port;
  const sdp = `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP ${sdpFormats}\r\na=rtpmap:101 telephone-event/8000\r\n`;
  const text =
    `INVITE ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(4).toString("hex")};rport\r\n` +
    `From: <sip:201@pbx.test>;tag=a1\r\nTo: <sip:*97*202@pbx.test>\r\nCall-ID: ${randomBytes(4).toString("hex")}@t\r\n` +
    `CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:201@127.0.0.1:${port}>\r\nContent-Type: application/sdp\r\n` +
    `Content-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const answer = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no final answer")), 3000);
    sock.on("message", (m) => {
      const s = m.toString();
      if (/^SIP\/2.0 [2-6]/.test(s)) {
        clearTimeout(timer);
        resolve(s);
      }
    });
  });
  sock.send(text, service?.port ?? 0, "127.0.0.1");
  try {
    return await answer;
  } finally {
    sock.close();
  }
}

test("a full mailbox is 486, a URI without the key 404, an offer without G.711 488", async () => {
  const mailboxes = new Mailboxes({ root, retentionDays: 30, maxMessages: 1 });
  service = await VoicemailService.start({ address: "127.0.0.1", mailboxes });
  await mailboxes.save(1, "202", "sip:203@pbx.test", new Int16Array(8000));
  const full = await invite(service.target("deposit", 1, "202").contact);
  assert.match(full, /^SIP\/2.0 486 Busy Here - Mailbox full/);
  const forged = service.target("retrieve", 1, "202").contact.replace(/vmkey=[0-9a-f]+/, "vmkey=0000");
  assert.match(await invite(forged), /^SIP\/2.0 404 /);
  assert.match(await invite(`sip:retrieve-1-202@127.0.0.1:${service.port}`), /^SIP\/2.0 404 /);
  assert.match(await invite(service.target("deposit", 1, "203").contact, "9"), /^SIP\/2.0 488 /);
  assert.is(service.calls, 0);
});

test("an accepted call is answered with one G.711 stream and telephone-event; closing the service ends it", async () => {
  const ok = await invite(service?.target("retrieve", 1, "202").contact ?? "");
  assert.match(ok, /^SIP\/2.0 200 OK/);
  assert.match(ok, /m=audio \d+ RTP\/AVP 0 101\r\n/);
  assert.match(ok, /a=rtpmap:101 telephone-event\/8000/);
  assert.is(service?.calls, 1);
  await service?.close();
  assert.is(service?.calls, 0, "closing ends the call");
  service = undefined;
});

test.run();
