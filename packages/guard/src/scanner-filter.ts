/**
 * User-Agent strings of SIP scanners and brute-forcers seen on the Internet. Matched as
 * case-insensitive substrings. No phone or PBX sends these; a tool that lies about its
 * User-Agent still meets the rate limiter and the auth-failure tracker.
 */
export const DEFAULT_SCANNER_USER_AGENTS: readonly string[] = [
  "friendly-scanner", // sipvicious' default
  "sipvicious",
  "sipcli/", // the sipcli tool ("sipcli/v1.8"); not "MySipClient"
  "sip-scan",
  "sipscan",
  "sundayddr",
  "iwar",
  "sivus",
  "pplsip",
  "vaxsipuseragent",
  "voip-scanner",
  "sipptk",
  "friendly-request",
];

/** Case-insensitive substring match of a User-Agent against a list of scanner signatures. */
export class ScannerFilter {
  readonly #needles: readonly string[];

  constructor(userAgents: readonly string[] = DEFAULT_SCANNER_USER_AGENTS) {
    this.#needles = userAgents.map((s) => s.toLowerCase()).filter((s) => s.length > 0);
  }

  /** The signature `userAgent` matches, or undefined. */
  match(userAgent: string | undefined): string | undefined {
    if (userAgent === undefined || this.#needles.length === 0) return undefined;
    const ua = userAgent.toLowerCase();
    for (const n of this.#needles) if (ua.includes(n)) return n;
    return undefined;
  }
}
