export { type InboundGuard, SipStack, type SipStackOptions, type SipStackStats } from "./sip-stack.js";
export { stampVia } from "./via-stamp.js";
