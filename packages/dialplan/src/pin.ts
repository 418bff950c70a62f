/** The PIN prefix: `*` + 4 digits, an optional `#` separator, then the number. */
export type PinPrefixParse =
  | { readonly kind: "none"; readonly rest: string }
  | { readonly kind: "pin"; readonly pin: string; readonly rest: string }
  | { readonly kind: "incomplete" }
  | { readonly kind: "malformed" };

const PIN_CODE = /^[0-9]{4}$/;

/** A customer PIN code is exactly 4 digits. */
export function isValidPinCode(code: string): boolean {
  return PIN_CODE.test(code);
}

/** Split `*PPPP[#]number` into the PIN and the number (separators already stripped). */
export function parsePinPrefix(dialled: string): PinPrefixParse {
  if (!dialled.startsWith("*")) return { kind: "none", rest: dialled };
  let i = 1;
  while (i < dialled.length && i <= 4) {
    const c = dialled.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  const pin = dialled.slice(1, i);
  let rest = dialled.slice(i);
  if (pin.length < 4) return rest === "" || rest === "#" ? { kind: "incomplete" } : { kind: "malformed" };
  if (rest.startsWith("#")) rest = rest.slice(1);
  if (rest === "") return { kind: "incomplete" };
  return { kind: "pin", pin, rest };
}
