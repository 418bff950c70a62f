/**
 * @centrex/sip — the wire. Layered like PJSIP: each layer usable alone.
 *
 * - message/   parse and serialize SIP messages, URIs, name-addr, Via (RFC 3261 §7, §19, §25)
 * - digest/    RFC 2617/7616 digest maths, auth headers, stateless nonces
 * - timer/     one timing wheel for all protocol timers
 * - transaction/  RFC 3261 §17 state machines and matching
 * - transport/ UDP, TCP, TLS listeners, stream framing, response routing (RFC 3581)
 * - stack/     the layers wired together: what a server runs
 * - hash/      one-shot hashes and a keyed HMAC-SHA-256 for the per-message digests (internal)
 * - random/    random tags, branches and Call-IDs from a pool (no crypto call per message)
 */
export * from "./digest/index.js";
export * from "./message/index.js";
export * from "./random/index.js";
export * from "./stack/index.js";
export * from "./timer/index.js";
export {
  buildAck,
  buildCancel,
  ClientTransaction,
  type ClientTransactionDelegate,
  type ClientTransactionLike,
  DEFAULT_TIMERS,
  hasMagicCookie,
  InviteClientTransaction,
  InviteServerTransaction,
  MAGIC_COOKIE,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  newBranch,
  type SendTarget as TransactionTarget,
  ServerTransaction,
  type ServerTransactionDelegate,
  type ServerTransactionLike,
  Transaction,
  TransactionError,
  TransactionLayer,
  type TransactionLayerOptions,
  type TransactionLike,
  type TransactionState,
  type TransactionTimers,
  type TransactionTransport,
  type TransactionUser,
} from "./transaction/index.js";
export * from "./transport/index.js";
