/**
 * @centrex/registrar — REGISTER (RFC 3261 §10.3) against the store: digest
 * challenge with stateless nonces, bindings with expiry and q-values, the
 * NAT-facing flow of each binding, and one sweep that removes expired ones.
 */
export {
  type AuthenticatorOptions,
  type AuthFailure,
  type AuthResult,
  type ChallengeKind,
  DigestAuthenticator,
} from "./authenticator.js";
export { DEFAULT_EXPIRY, type ExpiryPolicy, requestedExpiry } from "./expires.js";
export { ExpirySweeper, type ExpirySweeperOptions } from "./expiry-sweeper.js";
export { NatKeepalive, type NatKeepaliveOptions } from "./nat-keepalive.js";
export type { RegisterSource } from "./register-source.js";
export {
  type RegisterOutcome,
  type RegisterResult,
  Registrar,
  type RegistrarOptions,
} from "./registrar.js";
