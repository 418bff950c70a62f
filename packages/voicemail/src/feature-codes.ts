/** Dialled to listen to one's own mailbox. */
export const RETRIEVE_CODE = "*98";
/** Dialled followed by an extension (`*97*202`) to leave a message in its mailbox. */
export const DEPOSIT_PREFIX = "*97*";

/** What a dialled string asks of the voicemail, if anything. */
export type VoicemailCode =
  | { readonly kind: "retrieve" }
  | { readonly kind: "deposit"; readonly extension: string };

/**
 * The voicemail feature codes. `*97*` is followed by two digits only, so no
 * code can be read as a PIN prefix (`*` and exactly four digits).
 */
export function parseVoicemailCode(dialled: string): VoicemailCode | undefined {
  if (dialled === RETRIEVE_CODE) return { kind: "retrieve" };
  if (dialled.startsWith(DEPOSIT_PREFIX)) {
    const extension = dialled.slice(DEPOSIT_PREFIX.length).replace(/#$/, "");
    if (/^[0-9]{1,32}$/.test(extension)) return { kind: "deposit", extension };
  }
  return undefined;
}
