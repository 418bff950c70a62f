/** RFC 4733 §3.2 event codes 0–15 as the keys of a phone. */
const KEYS = "0123456789*#ABCD";

/**
 * Telephone-events (RFC 4733) to key presses. One key press is several
 * packets with the same RTP timestamp (and the end packet sent three times):
 * it is reported once, on the first packet of a new timestamp.
 */
export class DtmfReceiver {
  #lastTimestamp: number | undefined;

  /** Returns the key when this packet starts a new event, else undefined. */
  receive(timestamp: number, payload: Buffer): string | undefined {
    if (payload.length < 4) return undefined;
    const event = payload[0] as number;
    if (event > 15) return undefined;
    if (timestamp === this.#lastTimestamp) return undefined;
    this.#lastTimestamp = timestamp;
    return KEYS[event];
  }
}

/** The RFC 4733 payloads of one key press: `packets` updates, then the end packet three times. */
export function dtmfPayloads(key: string, packets = 5): Buffer[] {
  const event = KEYS.indexOf(key.toUpperCase());
  if (event < 0) throw new RangeError(`not a DTMF key: ${key}`);
  const out: Buffer[] = [];
  for (let i = 1; i <= packets + 3; i++) {
    const end = i > packets;
    const b = Buffer.alloc(4);
    b[0] = event;
    b[1] = (end ? 0x80 : 0) | 10; // volume -10 dBm0
    b.writeUInt16BE(Math.min(i, packets) * 160, 2);
    out.push(b);
  }
  return out;
}
