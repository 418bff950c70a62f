/**
 * A tight parse loop to profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/sip-parse/profile.ts [proxy|forward]
 */
import { parseMessage } from "../../packages/sip/src/message/index.js";
import { CORPUS } from "./corpus.js";

const proxy = process.argv[2] === "proxy" || process.argv[2] === "forward";
const forward = process.argv[2] === "forward";
const n = 300_000;
let sink = 0;
const t = performance.now();
for (let i = 0; i < n; i++) {
  const m = parseMessage(CORPUS[i % CORPUS.length] as Buffer);
  if (proxy) {
    sink += (m.via[0]?.branch?.length ?? 0) + m.callId.length + m.cseq.seq + (m.maxForwards ?? 0);
    sink += (m.from.params.get("tag")?.length ?? 0) + (m.to.params.get("tag")?.length ?? 0) + m.route.length;
    if (forward) {
      m.prepend("Via", "SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-centrex-1");
      m.set("Max-Forwards", String((m.maxForwards ?? 70) - 1));
      if (m.route.length > 0) m.removeFirst("Route");
    }
    sink += m.toBuffer().length;
  } else sink += m.kind.length;
}
console.log(`${Math.round((n / (performance.now() - t)) * 1000)} msg/s (${sink})`);
