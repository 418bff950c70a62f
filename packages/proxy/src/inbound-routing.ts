import { createResponse, type ServerTransactionLike, type SipRequest } from "@centrex/sip";
import type { Binding, RingGroup } from "@centrex/store";
import { calledNumber, mainNumberFallback, routeInbound } from "@centrex/trunk";
import type { CallParty } from "./call-events.js";
import { ProxyRefusal } from "./errors.js";
import type { ProxyContext } from "./proxy-context.js";
import type { PstnRouter } from "./pstn-routing.js";

/** Delivers a call to one extension, with its call forwarding and do-not-disturb. */
export type DeliverToExtension = (
  req: SipRequest,
  tx: ServerTransactionLike,
  mf: number,
  extensionId: number,
) => Promise<void>;

/** Delivers a call to a ring group (its strategy, timeout and overflow). */
export type DeliverToGroup = (
  req: SipRequest,
  tx: ServerTransactionLike,
  mf: number,
  group: RingGroup,
) => Promise<void>;

/**
 * A call from a carrier to one of the customers' numbers (DID): never
 * challenged (the carrier is known by its address), routed to the number's
 * extension or ring group (its strategy and overflow); the main number goes to
 * the customer's fallback number when no phone of the customer can take it (rule 22).
 */
export async function routeInboundCall(
  ctx: ProxyContext,
  pstn: PstnRouter,
  deliver: DeliverToExtension,
  deliverGroup: DeliverToGroup,
  req: SipRequest,
  tx: ServerTransactionLike,
  mf: number,
): Promise<void> {
  const o = ctx.o;
  const plan = o.policy?.data.plan;
  if (plan === undefined || req.method !== "INVITE") throw new ProxyRefusal(403, "Forbidden");
  const called = calledNumber(req);
  if (called === undefined) throw new ProxyRefusal(404, "Not Found");
  const route = await routeInbound(o.store, plan, called);
  if (route.kind === "refuse") throw new ProxyRefusal(route.status, route.reason);
  tx.respond(createResponse(req, 100, "Trying"));
  const now = ctx.now();
  const group = route.target.kind === "group" ? await o.store.ringGroups.get(route.target.id) : undefined;
  const ids = group === undefined ? [route.target.id] : [...group.members];
  let bindings: Binding[] = [];
  for (const id of ids) bindings = bindings.concat(await o.store.locations.current(id, now));
  const caller: CallParty = { customerId: route.customerId, uri: req.from.uri.raw };
  const fromTag = req.from.params.get("tag") ?? "";
  // The DID's extension is the callee (its lamp, and the party that may transfer the call); a
  // group's callee is whichever member answers.
  const ext = route.target.kind === "extension" ? await o.store.extensions.get(route.target.id) : undefined;
  const callee: CallParty | undefined =
    ext === undefined ? undefined : { customerId: ext.customerId, extension: ext.number, uri: req.uri.raw };
  // The carrier the call came from, known by the address it was sent from.
  const source = o.stack.sourceOf(req);
  const carrier =
    source === undefined
      ? undefined
      : o.trunk?.directory.carrierAt(source.remoteAddress, source.remotePort)?.name;
  const inbound = () =>
    ctx.dialogs.started(
      req.callId,
      fromTag,
      caller,
      called,
      {
        direction: "inbound",
        destinationClass: "inbound",
        called: route.e164,
        ...(carrier !== undefined && { carrier }),
      },
      callee,
    );
  if (
    route.target.kind === "extension" &&
    (bindings.length > 0 || (await divertsWhenAway(ctx, route.target.id)))
  ) {
    inbound();
    await deliver(req, tx, mf, route.target.id);
    return;
  }
  // A group with an overflow takes the call even with no member registered (its overflow does).
  if (group !== undefined && (bindings.length > 0 || group.overflow !== null)) {
    inbound();
    await deliverGroup(req, tx, mf, group);
    return;
  }
  // No phone of the number's extension or group is registered.
  const policy = await o.store.policies.get(route.customerId);
  const fallback = mainNumberFallback({
    isMain: route.isMain,
    reachablePhones: 0,
    fallbackNumber: policy.fallbackNumber,
  });
  if (fallback.kind !== "fallback") throw new ProxyRefusal(480, "Temporarily Unavailable");
  // The outage redirection is at the operator's cost; the caller sees the DID it called.
  ctx.dialogs.started(req.callId, fromTag, caller, called, {
    direction: "outbound",
    destinationClass: "fallback",
    called: fallback.number,
  });
  o.logger?.info(
    { event: "main-number-fallback", callId: req.callId, to: fallback.number },
    "outage fallback",
  );
  pstn.place(req, tx, fallback.number, { number: route.e164, withheld: false });
}

/** With no phone registered, the extension's own forwarding (or DND) comes before the main-number fallback. */
async function divertsWhenAway(ctx: ProxyContext, extensionId: number): Promise<boolean> {
  const f = await ctx.o.store.features.get(extensionId);
  return f.forwardAlways !== null || f.forwardUnreachable !== null || f.dnd;
}
