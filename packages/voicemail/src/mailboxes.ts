import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { MailboxFullError } from "./errors.js";
import { decodeWav, encodeWav, SAMPLE_RATE } from "./wav.js";

/** One voice message: its audio is `<id>.wav` beside its `<id>.json`. */
export interface VoiceMessage {
  readonly id: string;
  readonly customerId: number;
  readonly extension: string;
  /** Who left it: the caller's URI or number. */
  readonly from: string;
  readonly receivedAt: number;
  readonly seconds: number;
  /** Listened to (an "old" message in RFC 3842's terms). */
  readonly heard: boolean;
}

export interface MailboxOptions {
  /** Folder holding one sub-folder per customer and extension. */
  readonly root: string;
  /** Messages older than this are deleted by `sweep` (days). */
  readonly retentionDays: number;
  /** A mailbox holding this many messages takes no more. */
  readonly maxMessages: number;
  readonly clock?: () => number;
  readonly logger?: Logger;
}

const EXTENSION = /^[0-9A-Za-z_.-]{1,32}$/;

/**
 * Mailboxes in files: `<root>/<customer id>/<extension>/` holds each message
 * as a WAV and a JSON description, and `greeting.wav` when the owner recorded
 * one. Writes go to a temporary name first, then are renamed into place.
 */
export class Mailboxes {
  readonly #o: MailboxOptions;

  get maxMessages(): number {
    return this.#o.maxMessages;
  }

  constructor(opts: MailboxOptions) {
    this.#o = opts;
  }

  async list(customerId: number, extension: string): Promise<VoiceMessage[]> {
    const dir = this.#dir(customerId, extension);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: VoiceMessage[] = [];
    for (const n of names) {
      if (!n.endsWith(".json")) continue;
      try {
        out.push(JSON.parse(await readFile(join(dir, n), "utf8")) as VoiceMessage);
      } catch (err) {
        this.#o.logger?.warn({ err, file: join(dir, n) }, "unreadable voice message description skipped");
      }
    }
    // New ones first, each group oldest first: the order they are played in.
    return out.sort((a, b) => Number(a.heard) - Number(b.heard) || a.receivedAt - b.receivedAt);
  }

  async counts(customerId: number, extension: string): Promise<{ newMessages: number; oldMessages: number }> {
    const all = await this.list(customerId, extension);
    const fresh = all.filter((m) => !m.heard).length;
    return { newMessages: fresh, oldMessages: all.length - fresh };
  }

  /** Stores a message; throws MailboxFullError when the box holds its maximum. */
  async save(customerId: number, extension: string, from: string, audio: Int16Array): Promise<VoiceMessage> {
    if ((await this.list(customerId, extension)).length >= this.#o.maxMessages) {
      throw new MailboxFullError(`${customerId}/${extension}`);
    }
    const dir = this.#dir(customerId, extension);
    await mkdir(dir, { recursive: true });
    const now = this.#now();
    const id = `${now}-${randomBytes(4).toString("hex")}`;
    const msg: VoiceMessage = {
      id,
      customerId,
      extension,
      from,
      receivedAt: now,
      seconds: Math.round((audio.length / SAMPLE_RATE) * 10) / 10,
      heard: false,
    };
    await writeAtomic(join(dir, `${id}.wav`), encodeWav(audio));
    await writeAtomic(join(dir, `${id}.json`), Buffer.from(JSON.stringify(msg)));
    return msg;
  }

  async audio(msg: VoiceMessage): Promise<Int16Array> {
    return decodeWav(await readFile(join(this.#dir(msg.customerId, msg.extension), `${msg.id}.wav`)));
  }

  async markHeard(msg: VoiceMessage): Promise<void> {
    if (msg.heard) return;
    const path = join(this.#dir(msg.customerId, msg.extension), `${msg.id}.json`);
    await writeAtomic(path, Buffer.from(JSON.stringify({ ...msg, heard: true })));
  }

  async delete(msg: VoiceMessage): Promise<void> {
    const dir = this.#dir(msg.customerId, msg.extension);
    await rm(join(dir, `${msg.id}.json`), { force: true });
    await rm(join(dir, `${msg.id}.wav`), { force: true });
  }

  async greeting(customerId: number, extension: string): Promise<Int16Array | undefined> {
    try {
      return decodeWav(await readFile(join(this.#dir(customerId, extension), "greeting.wav")));
    } catch {
      return undefined;
    }
  }

  async setGreeting(customerId: number, extension: string, audio: Int16Array): Promise<void> {
    const dir = this.#dir(customerId, extension);
    await mkdir(dir, { recursive: true });
    await writeAtomic(join(dir, "greeting.wav"), encodeWav(audio));
  }

  /** Deletes every message older than the retention; returns the mailboxes that changed. */
  async sweep(): Promise<Array<{ customerId: number; extension: string }>> {
    const limit = this.#now() - this.#o.retentionDays * 86_400_000;
    const changed: Array<{ customerId: number; extension: string }> = [];
    for (const customer of await readdir(this.#o.root).catch(() => [] as string[])) {
      const customerId = Number(customer);
      if (!Number.isInteger(customerId)) continue;
      for (const extension of await readdir(join(this.#o.root, customer)).catch(() => [] as string[])) {
        if (!EXTENSION.test(extension)) continue;
        let removed = 0;
        for (const m of await this.list(customerId, extension)) {
          if (m.receivedAt >= limit) continue;
          await this.delete(m);
          removed++;
        }
        if (removed > 0) {
          this.#o.logger?.info(
            { event: "voicemail-expired", customerId, extension, removed },
            "old voice messages deleted",
          );
          changed.push({ customerId, extension });
        }
      }
    }
    return changed;
  }

  #dir(customerId: number, extension: string): string {
    // The extension names a folder: nothing that could climb out of the root.
    if (!Number.isInteger(customerId) || !EXTENSION.test(extension) || extension.startsWith(".")) {
      throw new RangeError(`not a mailbox: ${customerId}/${extension}`);
    }
    return join(this.#o.root, String(customerId), extension);
  }

  #now(): number {
    return (this.#o.clock ?? Date.now)();
  }
}

async function writeAtomic(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(3).toString("hex")}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
