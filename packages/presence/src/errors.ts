/** A SUBSCRIBE the notifier will not accept: carries the SIP status and reason phrase sent back. */
export class SubscribeRefusal extends Error {
  override name = "SubscribeRefusal";
  constructor(
    readonly status: number,
    readonly reason: string,
    /** Extra headers the refusal needs (Min-Expires on a 423, Allow-Events on a 489). */
    readonly headers: [string, string][] = [],
  ) {
    super(`${status} ${reason}`);
  }
}
