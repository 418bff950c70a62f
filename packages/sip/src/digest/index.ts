export {
  type AuthorizationInput,
  type ChallengeInput,
  formatAuthorization,
  formatChallenge,
  parseAuthHeader,
  quote,
} from "./auth-header.js";
export {
  computeHA1,
  computeResponse,
  type DigestAlgorithm,
  type DigestQop,
  parseAlgorithm,
  type ResponseInput,
  sessionHA1,
  type VerifyOptions,
  verifyAuthorization,
} from "./digest-math.js";
export { AuthHeaderError } from "./errors.js";
export { NonceService, type NonceServiceOptions, type NonceVerdict } from "./nonce-service.js";
