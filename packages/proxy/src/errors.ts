/** A request the proxy refuses, carrying the SIP status and reason phrase to answer with. */
export class ProxyRefusal extends Error {
  override readonly name = "ProxyRefusal";
  constructor(
    readonly status: number,
    readonly reason: string,
    /** The call attempt already has its record (a refusal by policy). */
    readonly recorded = false,
  ) {
    super(`${status} ${reason}`);
  }
}
