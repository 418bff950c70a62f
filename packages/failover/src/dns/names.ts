/**
 * Domain names are kept in one canonical form everywhere in this module: lower case, no trailing dot,
 * so that map lookups are plain string compares (DNS names compare case-insensitively, RFC 4343).
 */
export function canonicalName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith(".")) n = n.slice(0, -1);
  return n;
}

/** True when `name` is `zone` itself or a name below it (both canonical). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * A node name is either a single label (made relative to the zone) or a name already ending in the zone.
 * Anything else is rejected by the caller: the records we publish must live in the zone we serve.
 */
export function qualifyName(name: string, zone: string): string {
  const n = canonicalName(name);
  if (isInZone(n, zone)) return n;
  return `${n}.${zone}`;
}

const LABEL = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?|\*)$/;

/** Checks RFC 1035 length limits and a conservative hostname/service-label alphabet. */
export function isValidName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  for (const label of name.split(".")) {
    if (!LABEL.test(label)) return false;
  }
  return true;
}
