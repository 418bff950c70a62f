/**
 * @centrex/presence — SUBSCRIBE/NOTIFY (RFC 6665) for desk phones: busy lamps
 * (the `dialog` event package, RFC 4235) on the extensions of the subscriber's
 * own customer, fed by the proxy's call events, and the message-waiting lamp
 * (`message-summary`, RFC 3842) fed by the voicemail service.
 */
export { DIALOG_INFO_TYPE, type DialogState, type DialogView, dialogInfoBody } from "./dialog-info.js";
export { SubscribeRefusal } from "./errors.js";
export { type CallFacts, type CallSide, type LineChangeListener, LineStates } from "./line-states.js";
export { type MailboxCounts, MESSAGE_SUMMARY_TYPE, messageSummaryBody } from "./message-summary.js";
export { type MailboxSource, Notifier, type NotifierOptions } from "./notifier.js";
export type { EventPackage } from "./subscription.js";
