// What `start` needs only once its SIP sockets answer (calls, carriers, voicemail, failover,
// provisioning, metrics). Loaded after the bind: these modules cost about half of start-up's CPU
// (the proxy, the dial plan, the operations layer, prom-client), and until they are wired the
// stack already answers OPTIONS and REGISTER for real and tells a new call to retry (503 +
// Retry-After, see core.ts). The admin API and console (fastify, ~250 ms of CPU more) come
// last, once calls are accepted (switch.ts imports admin.js there).
export { Operations } from "@centrex/operations";
export { LineStates, Notifier } from "@centrex/presence";
export { MediaAnchor, SipProxy } from "@centrex/proxy";
export { advertisedAddress } from "./addresses.js";
export { callLog, teeCallEvents } from "./call-log.js";
export { createCallPolicy, supportTarget } from "./call-policy.js";
export { callRecorder, openLedger } from "./call-records.js";
export { CarrierMediaTally } from "./carrier-media.js";
export { closePeerCalls } from "./failover/peer-calls.js";
export { FailoverService } from "./failover/service.js";
export { FraudGuard } from "./fraud.js";
export { checkHealth } from "./health.js";
export { KernelBans } from "./kernel-bans.js";
export { LiveCalls, liveSources } from "./live-view.js";
export { createMediaController } from "./media.js";
export { createSwitchMetrics } from "./metrics.js";
export { phoneService } from "./phone-api.js";
export { startProvisioning } from "./provisioning.js";
export { TrunkService } from "./trunk.js";
export { startVoicemail } from "./voicemail.js";
