/**
 * The SIP password of extension `ext` in the end-to-end tests: strong enough for the password
 * policy `extension add` enforces (mixed classes, no common word, not containing the number),
 * and derived from the number so every test and phone agrees on it.
 */
export function passwordOf(ext: string): string {
  const letters = [...ext].map((c) => (/\d/.test(c) ? "qwxyzrstuv"[Number(c)] : c)).join("");
  return `Kz8-${letters}-Mw4q`;
}
