/** Escapes text for an XML attribute or element (the five predefined entities). */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Record<string, string> = {
  "<": "&lt;",
  ">": "&gt;",
  "&": "&amp;",
  '"': "&quot;",
  "'": "&apos;",
};
