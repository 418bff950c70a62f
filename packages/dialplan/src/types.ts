/**
 * Destination classes a PSTN call can fall into. The set is fixed in code (other packages type
 * against it: tariffs, fair use); which numbers fall into which class, and each class's default
 * access, is data (`data/fr-numbering.v1.json`).
 */
export const DESTINATION_CLASSES = [
  "fr-geographic",
  "fr-mobile",
  "fr-overseas-geographic",
  "fr-overseas-mobile",
  "fr-free",
  "fr-shared",
  "fr-premium",
  "fr-nongeographic",
  "fr-short-free",
  "fr-short",
  "fr-directory",
  "fr-overseas-collectivity",
  "intl-eu",
  "intl-europe",
  "intl-north-america",
  "intl-world",
] as const;

export type DestinationClass = (typeof DESTINATION_CLASSES)[number];

export const CLASS_ACCESS = ["allowed", "pin", "barred"] as const;
/** What a customer may do with a destination class. */
export type ClassAccess = (typeof CLASS_ACCESS)[number];

export function isDestinationClass(v: unknown): v is DestinationClass {
  return typeof v === "string" && (DESTINATION_CLASSES as readonly string[]).includes(v);
}

export function isClassAccess(v: unknown): v is ClassAccess {
  return typeof v === "string" && (CLASS_ACCESS as readonly string[]).includes(v);
}
