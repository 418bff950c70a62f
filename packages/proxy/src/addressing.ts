import type { SipRequest, SipStack, SipUri, TransactionTarget } from "@centrex/sip";
import type { Binding } from "@centrex/store";
import type { LocalAddresses } from "./local-addresses.js";
import { proxyBranch } from "./loop.js";

/** A phone known by its contact and flow (not from the location service) as a binding to fork to. */
export function bindingAt(contact: string, target: TransactionTarget, now: number): Binding {
  return {
    id: 0,
    aor: 0,
    contact,
    q: 1,
    expiresAt: now + 60_000,
    callId: "",
    cseq: 0,
    transport: target.transport.toLowerCase() as Binding["transport"],
    sourceAddress: target.address,
    sourcePort: target.port,
    localAddress: null,
    localPort: null,
    connectionId: target.connectionId === undefined ? null : String(target.connectionId),
    instanceId: null,
    regId: null,
    userAgent: null,
    path: [],
    updatedAt: now,
  };
}

/** The flow a registered phone is reached on. */
export function bindingTarget(b: Binding): TransactionTarget {
  const connectionId = b.connectionId === null ? undefined : Number(b.connectionId);
  return {
    transport: b.transport.toUpperCase(),
    address: b.sourceAddress,
    port: b.sourcePort,
    ...(connectionId !== undefined && { connectionId }),
  };
}

/** Our Record-Route entry for a dialog created by this request, on the flow it came in on. */
export function recordRouteFor(stack: SipStack, advertised: string | undefined, req: SipRequest): string {
  const source = stack.sourceOf(req);
  const transport = source?.transport ?? "UDP";
  const host = advertised ?? source?.localAddress ?? "127.0.0.1";
  const port = source?.localPort ?? stack.sentBy(transport)?.port ?? 5060;
  const t = transport === "UDP" ? "" : `;transport=${transport.toLowerCase()}`;
  return `<sip:${bracket(host)}:${port}${t};lr>`;
}

/** Our Via for a request forwarded to `target`, its branch carrying the loop-detection hash. */
export function viaFor(
  stack: SipStack,
  advertised: string | undefined,
  target: TransactionTarget,
  hash: string,
): string {
  const transport = target.transport as "UDP" | "TCP" | "TLS";
  const sentBy = stack.sentBy(transport);
  let host = advertised ?? sentBy?.host ?? "127.0.0.1";
  if (host === "0.0.0.0" || host === "[::]") host = target.address.includes(":") ? "[::1]" : "127.0.0.1";
  return `SIP/2.0/${transport} ${bracket(host)}:${sentBy?.port ?? 5060};branch=${proxyBranch(hash)};rport`;
}

/**
 * Where the switch sends its own requests from (the BYEs and requests it writes into dialogs):
 * its advertised address, or what its `transport` listener is bound to (a wildcard listener
 * answers for loopback).
 */
export function localSentBy(
  stack: SipStack,
  advertised: string | undefined,
  transport: "UDP" | "TCP" | "TLS" = "UDP",
): { readonly host: string; readonly port: number } {
  const sentBy = stack.sentBy(transport) ?? { host: "127.0.0.1", port: 5060 };
  const wildcard = sentBy.host === "0.0.0.0" || sentBy.host === "[::]";
  return { host: advertised ?? (wildcard ? "127.0.0.1" : sentBy.host), port: sentBy.port };
}

export function bracket(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export function stripBrackets(host: string): string {
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/** Whether every Route entry is ours: nothing left once `popOwnRoutes` has run (else 403 for an initial request). */
export function onlyOwnRoutes(req: SipRequest, local: LocalAddresses): boolean {
  return req.route.every((r) => {
    const uri = r.uri;
    return (
      (uri.scheme === "sip" || uri.scheme === "sips") &&
      local.isOurs((uri as SipUri).host, (uri as SipUri).port)
    );
  });
}

/** Removes the Route entries that name us (loose routing, §16.4). */
export function popOwnRoutes(req: SipRequest, local: LocalAddresses): void {
  for (;;) {
    const top = req.route[0];
    if (top === undefined) return;
    const uri = top.uri;
    if (uri.scheme !== "sip" && uri.scheme !== "sips") return;
    const u = uri as SipUri;
    if (!local.isOurs(u.host, u.port)) return;
    req.removeFirst("route");
  }
}
