/** What a mailbox holds, for the message-waiting lamp. */
export interface MailboxCounts {
  readonly newMessages: number;
  readonly oldMessages: number;
}

export const MESSAGE_SUMMARY_TYPE = "application/simple-message-summary";

/** An RFC 3842 §5.2 message summary, as bytes: the lamp is on while new messages wait. */
export function messageSummaryBody(account: string, counts: MailboxCounts): Buffer {
  const waiting = counts.newMessages > 0 ? "yes" : "no";
  return Buffer.from(
    `Messages-Waiting: ${waiting}\r\nMessage-Account: ${account}\r\n` +
      `Voice-Message: ${counts.newMessages}/${counts.oldMessages}\r\n`,
    "utf8",
  );
}
