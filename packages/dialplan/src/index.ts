export type { DialledTarget } from "./classify.js";
export {
  classifyDialled,
  classifyE164,
  classifyNational,
  isReservedNumber,
  stripSeparators,
} from "./classify.js";
export type { DidAssignment, InboundDirectory } from "./decide-inbound.js";
export { decideInbound } from "./decide-inbound.js";
export type { DialplanData } from "./decide-outbound.js";
export { decideEmergency, decideOutbound, isInternationalClass } from "./decide-outbound.js";
export type {
  CallerContext,
  Decision,
  DeliverDecision,
  EmergencyDecision,
  InboundDecision,
  InternalDecision,
  PstnDecision,
  SupportDecision,
} from "./decisions.js";
export type { EmergencyCommune, EmergencyTable } from "./emergency-table.js";
export {
  departmentOfCommune,
  EMERGENCY_TABLE_VERSION,
  isDepartment,
  isInseeCommune,
  parseEmergencyTable,
} from "./emergency-table.js";
export { DialplanDataError, PolicyChangeError } from "./errors.js";
export {
  DEFAULT_NUMBERING_PLAN_PATH,
  loadEmergencyTable,
  loadNumberingPlan,
  SAMPLE_EMERGENCY_TABLE_PATH,
} from "./load.js";
export type { CarrierNumberFormat } from "./normalise.js";
export { formatForCarrier, normaliseInbound } from "./normalise.js";
export type {
  ClassInfo,
  InternationalZone,
  NationalRange,
  NumberingPlan,
  ShortRange,
} from "./numbering-plan.js";
export { NUMBERING_PLAN_VERSION, parseNumberingPlan } from "./numbering-plan.js";
export type { PinPrefixParse } from "./pin.js";
export { isValidPinCode, parsePinPrefix } from "./pin.js";
export type { PinAttemptOptions, PinFailureResult } from "./pin-attempts.js";
export { PinAttemptTracker } from "./pin-attempts.js";
export type {
  ClassAccessAudit,
  ClassAccessChange,
  CustomerPolicy,
  EmergencyLocation,
  PinAudit,
  PinCode,
  PstnSuspensionScope,
  Suspension,
} from "./policy.js";
export { accessFor, addPin, changeClassAccess, changePin, newCustomerPolicy, removePin } from "./policy.js";
export type { Refusal, RefusalCode } from "./refusals.js";
export { REFUSALS, refuse } from "./refusals.js";
export type { ClassAccess, DestinationClass } from "./types.js";
export { CLASS_ACCESS, DESTINATION_CLASSES, isClassAccess, isDestinationClass } from "./types.js";
