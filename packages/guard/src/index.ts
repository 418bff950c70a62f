/**
 * @centrex/guard — defences against the hostile Internet, keyed by source address. Knows
 * nothing of SIP: the stack tells it addresses, User-Agents and failed logins.
 *
 * - source-guard   the facade the server wires in front of the SIP stack
 * - ban-list       bans with expiry, doubling for repeat offenders, list/clear
 * - rate-limiter   pike-style per-source message counting
 * - auth-failures  failed digest answers per source (→ ban) and per extension (→ alert only)
 * - scanner-filter User-Agent signatures of SIP scanners
 * - password-policy strength rules, the common-password list (data/), generated passwords
 * - bounded-map    the size cap every per-source table uses
 */
export {
  type AuthFailureOptions,
  AuthFailureTracker,
  type AuthFailureVerdict,
  type ExtensionAlert,
} from "./auth-failures.js";
export { type Ban, type BanDuration, BanList, type BanListOptions, type BanReason } from "./ban-list.js";
export { BoundedMap } from "./bounded-map.js";
export { FakeClock, type Now, systemNow } from "./clock.js";
export {
  checkPasswordStrength,
  commonPasswords,
  DEFAULT_PASSWORD_POLICY,
  generatePassword,
  isKeyPattern,
  numericPatterns,
  type PasswordPolicy,
  WeakPasswordError,
  type WeakPasswordReason,
  weakCandidates,
} from "./password-policy.js";
export { RateLimiter, type RateLimiterOptions } from "./rate-limiter.js";
export { DEFAULT_SCANNER_USER_AGENTS, ScannerFilter } from "./scanner-filter.js";
export {
  addToBlockList,
  DEFAULT_BANS,
  SourceGuard,
  type SourceGuardEvents,
  type SourceGuardOptions,
  type SourceGuardStats,
} from "./source-guard.js";
