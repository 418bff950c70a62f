import { dirname, join } from "node:path";
import type { Notifier } from "@centrex/presence";
import { ProxyRefusal, type VoicemailRoute, type VoicemailRouter } from "@centrex/proxy";
import type { Store } from "@centrex/store";
import { Mailboxes, parseVoicemailCode, VoicemailService } from "@centrex/voicemail";
import type { Logger } from "pino";
import type { CentrexConfig } from "../config/schema.js";

/** The voicemail of a node: its user agent, the proxy's view of it, and the retention sweep. */
export interface VoicemailParts {
  readonly service: VoicemailService;
  readonly router: VoicemailRouter & VoicemailDeposit;
  stop(): Promise<void>;
}

const SWEEP_MS = 3_600_000;

/**
 * Where a call forwarded to "voicemail" goes (no answer, busy, unreachable): the URI the
 * forwarding rules send the INVITE to, or undefined when the box cannot take a message
 * (no such extension, box full — the caller then gets the forwarding's own refusal).
 */
export interface VoicemailDeposit {
  depositUri(
    box: { readonly customerId: number; readonly extension: string },
    cause: string,
  ): Promise<string | undefined>;
}

/**
 * Starts the voicemail service, tells the notifier how full each mailbox is and
 * when it changes (MWI), and deletes messages past their retention hourly.
 */
export async function startVoicemail(
  config: CentrexConfig,
  store: Pick<Store, "extensions">,
  notifier: Notifier,
  logger: Logger,
): Promise<VoicemailParts | undefined> {
  const c = config.voicemail;
  if (!c.enabled) return undefined;
  const mailboxes = new Mailboxes({
    root: c.dir ?? join(dirname(config.store.path), "voicemail"),
    retentionDays: c.retentionDays,
    maxMessages: c.maxMessages,
    logger,
  });
  const service = await VoicemailService.start({
    address: c.address,
    mailboxes,
    maxRecordSeconds: c.maxMessageSeconds,
    onMailboxChanged: (customerId, extension) => notifier.mailboxChanged(customerId, extension),
    logger,
  });
  notifier.mailboxes = mailboxes;
  const sweep = () => {
    mailboxes
      .sweep()
      .then((changed) => {
        for (const m of changed) notifier.mailboxChanged(m.customerId, m.extension);
      })
      .catch((err: unknown) => logger.error({ err }, "voicemail retention sweep failed"));
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_MS);
  timer.unref();
  const route = (kind: VoicemailRoute["kind"], customerId: number, mailbox: string): VoicemailRoute => ({
    kind,
    mailbox,
    ...service.target(kind, customerId, mailbox),
  });
  const router: VoicemailRouter & VoicemailDeposit = {
    async dialled(customerId, callerExtension, dialled) {
      const code = parseVoicemailCode(dialled);
      if (code === undefined) return undefined;
      if (code.kind === "retrieve") return route("retrieve", customerId, callerExtension);
      const ext = await store.extensions.find(customerId, code.extension);
      if (ext === undefined) throw new ProxyRefusal(404, "Not Found - No such mailbox");
      return route("deposit", customerId, code.extension);
    },
    deposit: (customerId, extension) => route("deposit", customerId, extension),
    async depositUri(box, cause) {
      const ext = await store.extensions.find(box.customerId, box.extension);
      if (ext === undefined) return undefined;
      const { newMessages, oldMessages } = await mailboxes.counts(box.customerId, box.extension);
      if (newMessages + oldMessages >= c.maxMessages) {
        logger.warn(
          { event: "voicemail-full", customerId: box.customerId, extension: box.extension, cause },
          "mailbox full",
        );
        return undefined;
      }
      return service.target("deposit", box.customerId, box.extension).contact;
    },
  };
  return {
    service,
    router,
    async stop() {
      clearInterval(timer);
      await service.close();
    },
  };
}
