import { createRequest, newTag, randomBase64url, type SipRequest } from "@centrex/sip";

export interface RequestParts {
  readonly method: string;
  readonly uri: string;
  readonly via: string;
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  readonly headers?: readonly (readonly [string, string])[];
}

/** A request we originate (OPTIONS probes, REGISTER), written with its header table: an ordinary message downstream. */
export function buildRequest(p: RequestParts): SipRequest {
  return createRequest({
    method: p.method,
    uri: p.uri,
    headers: [
      ["Via", p.via],
      ["Max-Forwards", "70"],
      ["From", p.from],
      ["To", p.to],
      ["Call-ID", p.callId],
      ["CSeq", `${p.cseq} ${p.method}`],
      ...(p.headers ?? []),
      ["User-Agent", "centrex"],
    ],
  });
}

export function newCallId(host: string): string {
  return `${randomBase64url(9)}@${host.replace(/[[\]]/g, "")}`;
}

export { newTag };
