import { randomBytes } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MediaRelay } from "../src/index.js";
import { Endpoint, mPorts, phoneSdp, portRange, rtp } from "./helpers.js";

/**
 * SRTP keyed by SDES (RFC 4568): the phones exchange keys in a=crypto and encrypt end to end;
 * the relay must carry both the key lines and the encrypted packets byte for byte (it holds no
 * key, and any change — a rewritten header, a trimmed auth tag — makes the receiver drop them).
 */
test("SRTP with SDES: a=crypto lines and encrypted packets pass the relay untouched, both ways", async () => {
  const relay = new MediaRelay(portRange());
  const a = await Endpoint.open();
  const b = await Endpoint.open();
  const keyA = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32";
  const keyB = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32";
  const savp = (port: number, key: string) =>
    phoneSdp({ port, mediaLines: [key, "a=sendrecv"] }).replace("RTP/AVP", "RTP/SAVP");
  try {
    const offer = await relay.offer("srtp", "ft", savp(a.port, keyA));
    assert.ok(offer.includes(keyA), "the caller's key reaches the callee as it was");
    assert.match(offer, /m=audio \d+ RTP\/SAVP /);
    const answer = await relay.answer("srtp", "tt", savp(b.port, keyB));
    assert.ok(answer.includes(keyB), "the callee's key reaches the caller as it was");
    const [toB] = mPorts(offer);
    const [toA] = mPorts(answer);
    // An SRTP packet: clear RTP header, encrypted payload, 10-byte auth tag (random bytes here).
    const packet = (seq: number) =>
      Buffer.concat([rtp(seq, seq * 160, 0, 12), randomBytes(160), randomBytes(10)]);
    const sentA = [packet(1), packet(2), packet(3)];
    for (const p of sentA) await a.send(p, toA!);
    await b.waitFor(3);
    assert.equal(
      b.received.map((r) => r.msg.toString("hex")),
      sentA.map((p) => p.toString("hex")),
    );
    const sentB = [packet(10), packet(11)];
    for (const p of sentB) await b.send(p, toB!);
    await a.waitFor(2);
    assert.equal(
      a.received.map((r) => r.msg.toString("hex")),
      sentB.map((p) => p.toString("hex")),
    );
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
});

test.run();
