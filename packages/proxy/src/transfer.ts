import { parseUri, type ServerTransactionLike, type SipRequest, type SipUri } from "@centrex/sip";
import type { CallParty, CallStarted } from "./call-events.js";
import { type BilledParty, type Caller, userFor } from "./caller.js";
import type { DialogEnds } from "./dialog-teardown.js";
import { ProxyRefusal } from "./errors.js";
import { parseFeatureCode } from "./feature-codes.js";
import type { OutsideReferral } from "./outside-transfer.js";
import type { ProxyContext } from "./proxy-context.js";

/** How long after its REFER the transferee's new INVITE is taken as the transfer (64·T1). */
export const TRANSFER_WINDOW_MS = 32_000;
/** Transfers awaiting their INVITE, at most (older ones are dropped first). */
const MAX_PENDING = 1_000;

/** A transfer the proxy let through: whom the transferee may now call, on whose account. */
export interface AuthorisedTransfer {
  /** The party that sent the REFER: the new call is routed and billed as if it had dialled. */
  readonly transferor: BilledParty;
  /** The other party of the call, who places the new call. */
  readonly transferee: BilledParty;
  /** The transferor's customer domain: the target's, which may not be the transferee's. */
  readonly domain: string;
  /** The Refer-To user, as the transferee will dial it. */
  readonly target: string;
  /** The Call-ID of the call the REFER came in (the new call's record links to it). */
  readonly original: string;
  readonly attended: boolean;
  readonly expiresAt: number;
}

/** A parsed Refer-To: the target URI and, for an attended transfer, the Replaces it carries. */
interface ReferTarget {
  readonly uri: SipUri;
  readonly replaces?: Replaces;
}

/** RFC 3891 Replaces: `call-id;to-tag=…;from-tag=…`, tags as the receiving phone sees the dialog. */
export interface Replaces {
  readonly callId: string;
  readonly toTag: string;
  readonly fromTag: string;
}

/**
 * Call transfer (RFC 3515 REFER, RFC 3891 Replaces, RFC 3892 Referred-By) as
 * the switch rules it. A REFER is checked before it is forwarded: sent by an
 * extension that is a party of the call (its caller, or whoever answered: a
 * ring group's member, the extension a DID rang), from that phone's own flow,
 * with that extension's credentials (407 challenge), for a target the
 * transferor could dial itself (its customer's extensions and groups, or what
 * the dialplan lets it call: barring, PIN and suspension apply exactly as to a
 * dialled call), handing over a party that is an extension (a carrier does not
 * act on REFER: 501). Anything else is answered with a final
 * response and a Warning saying why, and logged. The transferee's new INVITE
 * is then matched to the authorised REFER (same transferee, same target,
 * within 32 s, once): it is routed and billed as the transferor's call, and
 * its record links to the original call. A Referred-By alone grants nothing:
 * an INVITE that matches no REFER this proxy authorised is the caller's own.
 */
export class TransferRules {
  readonly #pending: AuthorisedTransfer[] = [];

  constructor(
    readonly ctx: ProxyContext,
    readonly endsOf: (callId: string) => DialogEnds | undefined,
  ) {}

  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Checks an in-dialog REFER; throws the refusal to answer it with. False when the REFER was
   * challenged (a 407 sent): the phone sends it again with its credentials; true when it goes on
   * to the transferee; an outside referral when the transferee is outside (the switch does it).
   */
  async checkRefer(req: SipRequest, tx: ServerTransactionLike): Promise<boolean | OutsideReferral> {
    const refer = parseReferTo(req);
    const fromTag = req.from.params.get("tag") ?? "";
    const toTag = req.to.params.get("tag") ?? undefined;
    const dialog = this.ctx.dialogs.find(req.callId, fromTag, toTag);
    if (dialog === undefined) this.#refuse(req, 481, "Call/Transaction Does Not Exist", "no such call");
    const { call, senderIsCaller } = dialog;
    if (!dialog.answered) this.#refuse(req, 403, "Forbidden - Call not answered", "call not answered");
    const transferor = await this.#extensionParty(senderIsCaller ? call.caller : call.callee);
    if (transferor === undefined)
      this.#refuse(req, 403, "Forbidden - Transfer only by an extension", "transferor is not an extension");
    this.#checkSender(req, senderIsCaller);
    // The transferor's customer domain: the digest realm, and the domain its targets are in (the
    // REFER's From may be a DID's URI as the carrier wrote it, when the transferor answered one).
    const { domain } = await this.ctx.o.store.customers.get(transferor.customerId);
    if (!(await this.#authenticate(req, tx, transferor, domain))) return false;
    const transferee = await this.#extensionParty(senderIsCaller ? call.callee : call.caller);
    let target: string;
    try {
      target = userFor(refer.uri, domain);
    } catch {
      this.#refuse(req, 404, "Not Found - Transfer target", "target outside the customer");
    }
    if (refer.replaces !== undefined) this.#checkReplaced(req, refer.replaces, transferor);
    else await this.#checkTarget(req, target, transferor);
    if (transferee === undefined) {
      // The other party is outside the customer: a carrier's caller (or callee). Carriers do not
      // act on REFER (they would have to place the new call themselves): the switch carries the
      // transfer out (outside-transfer.ts), the target checked above as the transferor's.
      this.ctx.o.logger?.info(
        {
          event: "transfer-authorised",
          callId: req.callId,
          transferor: transferor.extension,
          transferee: "outside",
          target,
          attended: refer.replaces !== undefined,
        },
        "transfer of an outside party authorised: the switch carries it out",
      );
      return {
        kind: "outside",
        transferor: { ...transferor, domain },
        target,
        ...(refer.replaces !== undefined && { replaces: refer.replaces }),
      };
    }
    const now = this.ctx.now();
    const log = {
      callId: req.callId,
      transferor: transferor.extension,
      transferee: transferee.extension,
      target,
      attended: refer.replaces !== undefined,
    };
    this.#prune(now);
    if (this.#pending.length >= MAX_PENDING) this.#pending.shift();
    this.#pending.push({
      transferor,
      transferee,
      domain,
      target,
      original: req.callId,
      attended: refer.replaces !== undefined,
      expiresAt: now + TRANSFER_WINDOW_MS,
    });
    this.ctx.o.logger?.info({ event: "transfer-authorised", ...log }, "transfer authorised");
    return true;
  }

  /**
   * The transfer a new INVITE carries out, if it is one: the authenticated caller is the
   * transferee of a REFER this proxy authorised, dialling its target (taken once). A Referred-By
   * naming someone other than that REFER's transferor matches nothing.
   */
  claim(req: SipRequest, caller: Caller, dialled: string): AuthorisedTransfer | undefined {
    this.#prune(this.ctx.now());
    const i = this.#pending.findIndex(
      (p) =>
        p.transferee.customerId === caller.customerId &&
        p.transferee.extension === caller.extension &&
        p.target === dialled,
    );
    const p = this.#pending[i];
    if (p === undefined) return undefined;
    const referredBy = referredByUser(req);
    if (referredBy !== undefined && referredBy !== p.transferor.extension) {
      this.ctx.o.logger?.warn(
        {
          event: "transfer-referred-by-mismatch",
          callId: req.callId,
          referredBy,
          transferor: p.transferor.extension,
        },
        "Referred-By names another party than the transferor: routed as the caller's own call",
      );
      return undefined;
    }
    this.#pending.splice(i, 1);
    this.ctx.o.logger?.info(
      {
        event: "transfer-call",
        callId: req.callId,
        original: p.original,
        transferor: p.transferor.extension,
        transferee: caller.extension,
        target: dialled,
      },
      "transferred call placed on the transferor's behalf",
    );
    return p;
  }

  /**
   * What a transferee dials when its INVITE is for another customer's domain: the target of a
   * REFER this proxy authorised in that domain (the operator's support line handing a customer's
   * caller on to another operator extension: the Refer-To names the operator's domain). Undefined
   * for anything else, which stays confined to the caller's own customer.
   */
  dialledInTransferorDomain(req: SipRequest, caller: Caller): string | undefined {
    const uri = req.uri;
    if (req.method !== "INVITE" || (uri.scheme !== "sip" && uri.scheme !== "sips")) return undefined;
    const { host, user } = uri as SipUri;
    const domain = host.toLowerCase();
    if (user === undefined || domain === caller.domain) return undefined;
    this.#prune(this.ctx.now());
    const match = this.#pending.some(
      (p) =>
        p.domain === domain &&
        p.target === user &&
        p.transferee.customerId === caller.customerId &&
        p.transferee.extension === caller.extension,
    );
    return match ? user : undefined;
  }

  /** An extension of ours (the party's customer has it): who may transfer, or be transferred. */
  async #extensionParty(party: CallParty | undefined): Promise<BilledParty | undefined> {
    if (party?.extension === undefined) return undefined;
    const ext = await this.ctx.o.store.extensions.find(party.customerId, party.extension);
    return ext === undefined ? undefined : { customerId: party.customerId, extension: party.extension };
  }

  /**
   * A REFER makes the transferor pay for the new call, so it is challenged like an INVITE (407,
   * realm: the transferor's customer domain) and its credentials must be the transferor's own:
   * the dialog proves nothing (its tags travel in clear, and the phone's address is shared by
   * everything behind the same NAT). The credentials are ours: they are not forwarded.
   */
  async #authenticate(
    req: SipRequest,
    tx: ServerTransactionLike,
    transferor: BilledParty,
    realm: string,
  ): Promise<boolean> {
    const o = this.ctx.o;
    if (o.authenticateCalls === false) return true;
    const auth = await o.authenticator.authenticate(req, realm, "proxy");
    if (!auth.ok) {
      if (auth.response.status !== 407) this.#refuse(req, 403, auth.response.reason, auth.reason);
      o.logger?.info(
        {
          event: "transfer-challenged",
          callId: req.callId,
          transferor: transferor.extension,
          why: auth.reason,
        },
        "REFER challenged",
      );
      // Stateless, as for an INVITE (RFC 3261 §8.2.7): the phone sends a new REFER.
      tx.respondStateless(auth.response);
      return false;
    }
    if (auth.username !== transferor.extension || auth.credentials.customerId !== transferor.customerId) {
      this.#refuse(
        req,
        403,
        "Forbidden - Credentials are not the transferor's",
        `REFER authenticated as ${auth.username}, sent as ${transferor.extension}`,
      );
    }
    req.remove("proxy-authorization");
    return true;
  }

  /** In-dialog requests carry no credentials: the REFER must come from the transferor's own flow. */
  #checkSender(req: SipRequest, senderIsCaller: boolean): void {
    const ends = this.endsOf(req.callId);
    const source = this.ctx.o.stack.sourceOf(req);
    if (ends === undefined || source === undefined) return;
    const expected = senderIsCaller ? ends.caller.target : ends.callee.target;
    if (source.remoteAddress !== expected.address) {
      this.#refuse(
        req,
        403,
        "Forbidden - REFER not from the transferring phone",
        "REFER from another address",
      );
    }
  }

  /** Attended: the call to replace must be up and the transferor's own. */
  #checkReplaced(req: SipRequest, r: Replaces, transferor: BilledParty): void {
    const replaced = this.ctx.dialogs.find(r.callId, r.toTag, r.fromTag);
    if (replaced === undefined) {
      this.#refuse(
        req,
        481,
        "Call/Transaction Does Not Exist - Replaced call",
        "the call to replace is unknown",
      );
    }
    if (!isParty(replaced.call, transferor)) {
      this.#refuse(req, 403, "Forbidden - Replaced call", "the call to replace is not the transferor's");
    }
    if (replaced.call.routing.direction !== "internal") {
      this.#refuse(req, 501, "Not Implemented - Attended transfer to an outside call", "outside call");
    }
  }

  /** Blind: the target must be one the transferor could dial, by the same rules. */
  async #checkTarget(req: SipRequest, target: string, transferor: BilledParty): Promise<void> {
    const o = this.ctx.o;
    if (parseFeatureCode(target) !== undefined) {
      this.#refuse(req, 403, "Forbidden - Transfer target is a feature code", "feature code");
    }
    const ext = await o.store.extensions.find(transferor.customerId, target);
    if (ext !== undefined) {
      if (!ext.enabled)
        this.#refuse(req, 480, "Temporarily Unavailable - Transfer target", "extension disabled");
      return;
    }
    if ((await o.store.ringGroups.find(transferor.customerId, target)) !== undefined) return;
    if ((await o.voicemail?.dialled(transferor.customerId, transferor.extension, target)) !== undefined)
      return;
    const policy = o.policy;
    if (policy === undefined)
      this.#refuse(req, 404, "Not Found - Transfer target", "unknown transfer target");
    const decision = await policy.decide(target, transferor.customerId, transferor.extension);
    switch (decision.kind) {
      case "refuse":
        this.#refuse(req, decision.status, decision.reason, decision.code);
        break;
      case "internal":
        this.#refuse(req, 404, "Not Found - Transfer target", "unknown transfer target");
        break;
      default:
        // pstn, emergency, support: the new call is routed (and admitted by the fraud monitors)
        // as the transferor's own when it comes.
        return;
    }
  }

  #refuse(req: SipRequest, status: number, reason: string, why: string): never {
    this.ctx.o.logger?.warn(
      { event: "transfer-refused", callId: req.callId, status, reason, why, referTo: req.get("refer-to") },
      "transfer refused",
    );
    throw new ProxyRefusal(status, reason, false, [["Warning", `399 centrex "Transfer refused: ${why}"`]]);
  }

  #prune(now: number): void {
    while (this.#pending.length > 0 && (this.#pending[0]?.expiresAt ?? 0) <= now) this.#pending.shift();
  }
}

function isParty(call: CallStarted, p: BilledParty): boolean {
  const same = (c: CallParty | undefined) => c?.customerId === p.customerId && c.extension === p.extension;
  return same(call.caller) || same(call.callee);
}

/** `<sip:203@pbx.test?Replaces=…>;params` or a bare addr-spec; a missing or unreadable one is a 400. */
export function parseReferTo(req: SipRequest): ReferTarget {
  const values = req.getAll("refer-to");
  if (values.length === 0) throw new ProxyRefusal(400, "Bad Request - Missing Refer-To");
  if (values.length > 1) throw new ProxyRefusal(400, "Bad Request - More than one Refer-To");
  const value = (values[0] ?? "").trim();
  const angled = /<([^>]*)>/.exec(value);
  const text = angled?.[1] ?? value.split(";")[0] ?? "";
  const q = text.indexOf("?");
  const base = q < 0 ? text : text.slice(0, q);
  let uri: SipUri;
  try {
    const parsed = parseUri(base);
    if (parsed.scheme !== "sip" && parsed.scheme !== "sips") throw new Error("not a SIP URI");
    uri = parsed as SipUri;
  } catch {
    throw new ProxyRefusal(400, "Bad Request - Malformed Refer-To");
  }
  if (q < 0) return { uri };
  const replaces = embeddedHeader(text.slice(q + 1), "replaces");
  if (replaces === undefined) return { uri };
  return { uri, replaces: parseReplaces(replaces) };
}

/** `call-id;to-tag=a;from-tag=b` (RFC 3891 §6.1); anything else is a 400 naming the header. */
export function parseReplaces(value: string): Replaces {
  const [callId, ...params] = value.split(";").map((s) => s.trim());
  let toTag: string | undefined;
  let fromTag: string | undefined;
  for (const p of params) {
    const [k, v] = p.split("=");
    if (k?.toLowerCase() === "to-tag") toTag = v;
    if (k?.toLowerCase() === "from-tag") fromTag = v;
  }
  if (!callId || !toTag || !fromTag) throw new ProxyRefusal(400, "Bad Request - Malformed Replaces");
  return { callId, toTag, fromTag };
}

function embeddedHeader(query: string, name: string): string | undefined {
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).toLowerCase() !== name) continue;
    try {
      return decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw new ProxyRefusal(400, "Bad Request - Malformed Refer-To");
    }
  }
  return undefined;
}

function referredByUser(req: SipRequest): string | undefined {
  const v = req.get("referred-by");
  if (v === undefined) return undefined;
  const m = /sips?:([^@;>]+)@/i.exec(v);
  return m?.[1];
}

/** An INVITE's Replaces header, parsed (RFC 3891); undefined when it has none. */
export function replacesOf(req: SipRequest): Replaces | undefined {
  const v = req.get("replaces");
  return v === undefined ? undefined : parseReplaces(v);
}
