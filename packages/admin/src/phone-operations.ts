/*
 * The phone inventory and remote resync as the API sees them. The implementation lives in
 * @centrex/provisioning and needs the switch's SIP stack for resync, so the composition root
 * (the server) injects it; without one, the /phones routes are not registered.
 */

export interface PhoneView {
  readonly mac: string;
  readonly model: string;
  readonly domain: string;
  /** Line keys (accounts), extension numbers in key order. */
  readonly lines: readonly string[];
  readonly blf: readonly string[];
  readonly createdAt: number;
}

export interface ResyncView {
  readonly mac: string;
  readonly event: string;
  readonly attempts: readonly {
    readonly extension: string;
    readonly contact: string;
    readonly remote: string;
    readonly outcome: number | string;
  }[];
}

export interface PhoneKeysInput {
  readonly extensions: readonly string[];
  readonly blf?: readonly string[];
}

/**
 * Rejects with an ApiError (400 bad input, 404 unknown MAC or customer, 409 MAC already
 * assigned) and writes nothing when the input is bad.
 */
export interface PhoneOperations {
  add(input: { domain: string; mac: string; model: string } & PhoneKeysInput): Promise<{
    phone: PhoneView;
    credential: string;
    newPasswords: readonly string[];
  }>;
  list(domain: string): Promise<PhoneView[]>;
  move(mac: string, keys: PhoneKeysInput): Promise<{ phone: PhoneView; newPasswords: readonly string[] }>;
  remove(mac: string): Promise<PhoneView>;
  resync(mac: string): Promise<ResyncView>;
  /** The customer id of a phone, for the audit trail. */
  customerOf(mac: string): Promise<number | null>;
}
