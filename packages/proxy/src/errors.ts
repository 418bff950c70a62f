/** A request the proxy refuses, carrying the SIP status and reason phrase to answer with. */
export class ProxyRefusal extends Error {
  override readonly name = "ProxyRefusal";
  constructor(
    readonly status: number,
    readonly reason: string,
    /** The call attempt already has its record (a refusal by policy). */
    readonly recorded = false,
    /** Headers the answer must carry (a 422's Min-SE, a Warning). */
    readonly headers: readonly (readonly [string, string])[] = [],
  ) {
    super(`${status} ${reason}`);
  }
}
