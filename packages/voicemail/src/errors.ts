/** A call the voicemail cannot take: carries the SIP status and reason phrase sent back. */
export class VoicemailRefusal extends Error {
  override name = "VoicemailRefusal";
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
  }
}

/** A message that cannot be stored: the mailbox holds its maximum. */
export class MailboxFullError extends Error {
  override name = "MailboxFullError";
  readonly status = 486;
  constructor(readonly mailbox: string) {
    super(`mailbox ${mailbox} is full`);
  }
}
