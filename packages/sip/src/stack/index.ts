export {
  type InboundGuard,
  SipStack,
  type SipStackOptions,
  type SipStackStats,
  type SipTrafficObserver,
} from "./sip-stack.js";
export { stampVia } from "./via-stamp.js";
