/**
 * Feature codes dialled from a phone, French/GSM style (the codes French
 * mobile and PBX users know): `*21*number#` sets unconditional forwarding,
 * `#21#` clears it; 67 = busy, 61 = no answer (`*61*number*seconds#`),
 * 62 = unreachable; `#002#` clears every forwarding; `*26#`/`#26#` turn
 * do-not-disturb on/off; `*8` and `**EXT` pick up a ringing call (pickup.ts). The README's
 * "Call features" section lists them.
 */
import { type PickupCode, parsePickupCode } from "./pickup.js";

export type ForwardKind = "always" | "busy" | "no-answer" | "unreachable";

export type FeatureCode =
  | {
      readonly kind: "forward";
      readonly which: ForwardKind;
      readonly target: string;
      readonly seconds?: number;
    }
  | { readonly kind: "forward-clear"; readonly which: ForwardKind }
  | { readonly kind: "forward-clear-all" }
  | { readonly kind: "dnd"; readonly on: boolean }
  | { readonly kind: "pickup"; readonly pickup: PickupCode }
  /** Looks like a feature code but is not a valid one: the phone gets 484 naming the fault. */
  | { readonly kind: "invalid"; readonly reason: string };

const SERVICES: Readonly<Record<string, ForwardKind>> = {
  "21": "always",
  "67": "busy",
  "61": "no-answer",
  "62": "unreachable",
};

const SET = /^\*(\d\d)\*(\+?\d{2,20})(?:\*(\d{1,3}))?#$/;
const CLEAR = /^#(\d\d)#$/;

/** The feature code in a dialled string (URI-escaped `#` allowed), or undefined for an ordinary number. */
export function parseFeatureCode(dialledRaw: string): FeatureCode | undefined {
  const dialled = unescapeUser(dialledRaw);
  if (!dialled.startsWith("*") && !dialled.startsWith("#")) return undefined;
  const pickup = parsePickupCode(dialled);
  if (pickup !== undefined) return { kind: "pickup", pickup };
  if (dialled === "#002#") return { kind: "forward-clear-all" };
  if (dialled === "*26#") return { kind: "dnd", on: true };
  if (dialled === "#26#") return { kind: "dnd", on: false };
  const clear = CLEAR.exec(dialled);
  if (clear !== null) {
    const which = SERVICES[clear[1]!];
    return which === undefined ? undefined : { kind: "forward-clear", which };
  }
  const code = /^\*(\d\d)\*/.exec(dialled);
  if (code === null) return undefined; // e.g. a PIN prefix (*1234…): the dialplan's business
  const which = SERVICES[code[1]!];
  if (which === undefined) return undefined;
  const set = SET.exec(dialled);
  if (set === null) return { kind: "invalid", reason: `Address Incomplete - use *${code[1]}*number#` };
  const seconds = set[3] === undefined ? undefined : Number(set[3]);
  if (seconds !== undefined && which !== "no-answer") {
    return {
      kind: "invalid",
      reason: "Address Incomplete - a ring time is only for no-answer forwarding (*61*)",
    };
  }
  if (seconds !== undefined && (seconds < 5 || seconds > 120)) {
    return { kind: "invalid", reason: "Address Incomplete - ring time must be 5 to 120 seconds" };
  }
  return { kind: "forward", which, target: set[2]!, ...(seconds !== undefined && { seconds }) };
}

/** Phones send `#` as `%23` in a Request-URI (RFC 3261 §25.1 does not allow it bare). */
function unescapeUser(user: string): string {
  if (!user.includes("%")) return user;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}
