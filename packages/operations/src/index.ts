/**
 * @centrex/operations — the one way tenant data changes. The CLI, the admin API (and the
 * console through it) and the switch's automatic actions call `Operations`; it enforces the
 * service terms' rules before writing and appends one audit entry per change.
 */

export type { Actor } from "./audit-entry.js";
export type { BanControl, BanView } from "./ban-operations.js";
export { BanOperations, banView } from "./ban-operations.js";
export { CallFeatureOperations, type CallFeaturesView } from "./call-feature-operations.js";
export { type CallControl, CallOperations, type HangUpView } from "./call-operations.js";
export { CarrierOperations, type CarrierUpdate, type NewCarrierRequest } from "./carrier-operations.js";
export type { OperationErrorKind } from "./errors.js";
export { OperationError } from "./errors.js";
export type { OperationsOptions, SuspendRequest } from "./operations.js";
export { Operations } from "./operations.js";
export type { PhoneKeys, PhoneView, ResyncView } from "./phone-operations.js";
export { PhoneOperations } from "./phone-operations.js";
export {
  type NewRingGroupRequest,
  RingGroupOperations,
  type RingGroupUpdate,
  type RingGroupView,
} from "./ring-group-operations.js";
export type { BarringRequest } from "./rules.js";
export { BARRING_REQUESTS } from "./rules.js";
export type {
  CarrierStateView,
  CarrierView,
  CustomerDetail,
  CustomerView,
  ExtensionView,
  NumberView,
  Suspension,
} from "./views.js";
export { describeSuspension } from "./views.js";
