/**
 * @centrex/trunk — the PSTN side: carriers located by RFC 3263 (NAPTR/SRV/A) with failover,
 * outbound registration and digest answers, health probes, the choice of carrier for a
 * destination (longest prefix, priority, weight) with failover on 5xx/408/silence, the number
 * a call presents, and the inbound side (carrier sources, DID routing, main-number fallback).
 */
export {
  CarrierDirectory,
  type CarrierDirectoryOptions,
  carrierTransport,
  orderCandidates,
} from "./carrier-directory.js";
export {
  CarrierHealth,
  type CarrierHealthListener,
  type CarrierHealthOptions,
  type CarrierStatus,
  type DemotionSource,
} from "./carrier-health.js";
export {
  CarrierRegistration,
  type CarrierRegistrationOptions,
  type RegistrationState,
  refreshDelayMs,
} from "./carrier-registration.js";
export { answerChallenge, type CarrierCredentials, type ChallengeAnswer, isStale } from "./digest-client.js";
export { CarrierResolutionError, ChallengeError, NoCarrierError, TrunkError } from "./errors.js";
export { HealthProbe, type HealthProbeOptions, probeAnswered } from "./health-probe.js";
export {
  calledNumber,
  callingNumber,
  type FallbackDecision,
  type FallbackInput,
  type InboundRoute,
  mainNumberFallback,
  routeInbound,
} from "./inbound.js";
export {
  type CarrierAttempt,
  type CarrierChooser,
  EMERGENCY_COMMUNE_HEADER,
  OutboundCall,
  type OutboundCallOptions,
  type OutboundCallOwner,
} from "./outbound-call.js";
export {
  choosePresentation,
  extensionDid,
  type Presentation,
  presentation,
  type RequestedIdentity,
  requestedIdentity,
} from "./presentation.js";
export {
  defaultPort,
  isIpLiteral,
  orderSrv,
  type ResolveOptions,
  SipResolver,
  type SipResolverOptions,
  type SipTarget,
  type SipTransport,
  weightedOrder,
} from "./resolver.js";
export { registersByDefault, registersWithCredentials, Trunk, type TrunkOptions } from "./trunk.js";
