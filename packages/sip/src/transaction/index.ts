export { hasMagicCookie, MAGIC_COOKIE, newBranch } from "./branch.js";
export { ClientTransaction } from "./client-transaction.js";
export { TransactionError } from "./errors.js";
export { InviteClientTransaction } from "./invite-client-transaction.js";
export { InviteServerTransaction } from "./invite-server-transaction.js";
export { NonInviteClientTransaction } from "./non-invite-client-transaction.js";
export { NonInviteServerTransaction } from "./non-invite-server-transaction.js";
export { buildAck, buildCancel } from "./requests.js";
export { ServerTransaction } from "./server-transaction.js";
export { Transaction } from "./transaction.js";
export type { TransactionLayerOptions } from "./transaction-layer.js";
export { TransactionLayer } from "./transaction-layer.js";
export type {
  ClientTransactionDelegate,
  ClientTransactionLike,
  SendTarget,
  ServerTransactionDelegate,
  ServerTransactionLike,
  TransactionLike,
  TransactionState,
  TransactionTimers,
  TransactionTransport,
  TransactionUser,
} from "./types.js";
export { DEFAULT_TIMERS } from "./types.js";
