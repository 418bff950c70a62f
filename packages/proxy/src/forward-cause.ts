/** Why a call left the extension it was made to (call forwarding). */
export type ForwardCause = "unconditional" | "busy" | "dnd" | "no-answer" | "unreachable";

/** RFC 5806 Diversion reason values, as the voicemail greeting (or a carrier) reads them. */
export const DIVERSION_REASON: Readonly<Record<ForwardCause, string>> = {
  unconditional: "unconditional",
  busy: "user-busy",
  dnd: "do-not-disturb",
  "no-answer": "no-answer",
  unreachable: "unavailable",
};
