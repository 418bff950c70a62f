import type { Logger } from "pino";
import { MailboxFullError } from "./errors.js";
import type { Mailboxes } from "./mailboxes.js";
import type { MediaEndpoint } from "./media-endpoint.js";
import { beep, concat, type Prompts, silence } from "./prompts.js";
import { SAMPLE_RATE } from "./wav.js";

/** What one voicemail call works with. */
export interface FlowContext {
  readonly media: MediaEndpoint;
  readonly mailboxes: Mailboxes;
  readonly prompts: Prompts;
  readonly customerId: number;
  readonly extension: string;
  /** Who called (kept with a message left). */
  readonly caller: string;
  readonly callId: string;
  /** Longest message or greeting recorded (s). */
  readonly maxRecordSeconds: number;
  /** How long the menus wait for a key (ms). */
  readonly keyTimeoutMs: number;
  /** The mailbox's contents changed: the owner's message-waiting lamp is told. */
  readonly changed: () => void;
  readonly logger?: Logger;
}

/** Shorter than this is a hang-up at the tone, not a message (s). */
const MIN_MESSAGE_SECONDS = 0.5;

/**
 * Leaving a message: the owner's greeting (or the spoken default), the tone,
 * then everything the caller says until they hang up, press #, or the
 * longest message is reached.
 */
export async function depositFlow(ctx: FlowContext): Promise<void> {
  const { media, prompts } = ctx;
  const greeting = (await ctx.mailboxes.greeting(ctx.customerId, ctx.extension)) ?? prompts.get("greeting");
  await media.play(concat([greeting, silence(150), beep()]));
  const audio = await record(ctx);
  if (audio.length < MIN_MESSAGE_SECONDS * SAMPLE_RATE) {
    ctx.logger?.info(
      { event: "voicemail-empty", callId: ctx.callId, extension: ctx.extension },
      "no message left",
    );
    return;
  }
  try {
    const msg = await ctx.mailboxes.save(ctx.customerId, ctx.extension, ctx.caller, audio);
    ctx.logger?.info(
      {
        event: "voicemail-left",
        callId: ctx.callId,
        customerId: ctx.customerId,
        extension: ctx.extension,
        seconds: msg.seconds,
      },
      "voice message stored",
    );
    ctx.changed();
  } catch (err) {
    if (!(err instanceof MailboxFullError)) throw err;
    ctx.logger?.warn(
      { event: "voicemail-full", callId: ctx.callId, extension: ctx.extension },
      "mailbox full: message lost",
    );
    await media.play(prompts.get("mailbox-full"));
    return;
  }
  await media.play(prompts.get("goodbye"));
}

/**
 * The owner's menu: how many new messages, then each message (new first) with
 * 7 to delete and 9 (or no key) to keep it; at the end, 5 records a new greeting.
 */
export async function retrieveFlow(ctx: FlowContext): Promise<void> {
  const { media, prompts, mailboxes } = ctx;
  const messages = await mailboxes.list(ctx.customerId, ctx.extension);
  const fresh = messages.filter((m) => !m.heard).length;
  await media.play(
    fresh === 0
      ? prompts.get("no-messages")
      : concat([
          prompts.get("you-have"),
          ...prompts.number(fresh),
          prompts.get(fresh === 1 ? "new-message" : "new-messages"),
          silence(300),
        ]),
  );
  // Keys pressed ahead (during a prompt) are kept: a user who knows the menu need not wait.
  for (const msg of messages) {
    if (media.closed) return;
    let outcome = await media.play(await mailboxes.audio(msg), { interruptible: true });
    if (outcome.kind === "done")
      outcome = await media.play(concat([silence(300), prompts.get("message-menu")]), {
        interruptible: true,
      });
    if (outcome.kind === "closed") return;
    const key = outcome.kind === "key" ? outcome.key : await media.nextKey(ctx.keyTimeoutMs);
    if (media.closed) return;
    if (key === "7") {
      await mailboxes.delete(msg);
      ctx.logger?.info(
        { event: "voicemail-deleted", callId: ctx.callId, extension: ctx.extension },
        "voice message deleted",
      );
      ctx.changed();
      await media.play(prompts.get("deleted"));
    } else {
      await mailboxes.markHeard(msg);
      if (!msg.heard) ctx.changed();
      await media.play(prompts.get("saved"));
    }
  }
  if (media.closed) return;
  const end = await media.play(prompts.get("end-menu"), { interruptible: true });
  if (end.kind === "closed") return;
  const key = end.kind === "key" ? end.key : await media.nextKey(ctx.keyTimeoutMs);
  if (key === "5") {
    await media.play(concat([prompts.get("record-greeting"), silence(150), beep()]));
    const audio = await record(ctx);
    if (audio.length >= MIN_MESSAGE_SECONDS * SAMPLE_RATE) {
      await mailboxes.setGreeting(ctx.customerId, ctx.extension, audio);
      ctx.logger?.info(
        { event: "voicemail-greeting", callId: ctx.callId, extension: ctx.extension },
        "greeting recorded",
      );
      await media.play(prompts.get("greeting-saved"));
    }
  }
  await media.play(prompts.get("goodbye"));
}

/** Records until # is pressed, the call ends, or the longest recording is reached. */
async function record(ctx: FlowContext): Promise<Int16Array> {
  const { media } = ctx;
  media.clearKeys();
  media.startRecording();
  const deadline = Date.now() + ctx.maxRecordSeconds * 1000;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || media.closed) break;
    const key = await media.nextKey(left);
    if (key === "#" || key === undefined) break;
  }
  return media.stopRecording();
}
