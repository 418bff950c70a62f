import type { CallFeaturesView } from "@centrex/operations";
import type { ExtensionFeaturesPatch } from "@centrex/store";
import { type Command, InvalidArgumentError } from "commander";
import { print } from "./output.js";
import { type ChangeOptions, changeOptions, cliActor, jsonOption, output, withOps } from "./store-command.js";

type ForwardOptions = ChangeOptions & {
  json?: boolean;
  always?: string;
  busy?: string;
  unanswered?: string;
  after?: number;
  unreachable?: string;
  dnd?: "on" | "off";
};

/** A forwarding target, or `none` to clear it. */
function target(value: string): string {
  return value;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 5 || n > 120)
    throw new InvalidArgumentError("ring time must be 5 to 120 seconds");
  return n;
}

const clear = (v: string | undefined): string | null | undefined => (v === "none" ? null : v);

/**
 * `centrex forward DOMAIN EXT [options]`: an extension's call forwarding and do-not-disturb,
 * as the phone sets them with feature codes (README "Call features"). Without options it shows
 * them; every change goes through the operations layer (audited).
 */
export function registerCallFeatureCommands(program: Command): void {
  jsonOption(
    changeOptions(
      program
        .command("forward <domain> <extension>")
        .description("show or set an extension's call forwarding and do not disturb (audited)"),
    ),
  )
    .option(
      "--always <number>",
      'forward every call (a number, an extension, "voicemail", or "none")',
      target,
    )
    .option("--busy <number>", "forward when busy or on do not disturb (or none)", target)
    .option("--unanswered <number>", "forward when nobody answers within --after (or none)", target)
    .option("--after <seconds>", "ring time before the --unanswered forwarding (5-120, default 20)", seconds)
    .option("--unreachable <number>", "forward when no phone can be reached (or none)", target)
    .option("--dnd <on|off>", "do not disturb", (v: string) => {
      if (v !== "on" && v !== "off") throw new InvalidArgumentError('must be "on" or "off"');
      return v;
    })
    .action((domain: string, number: string, o: ForwardOptions) =>
      withOps(o, async (ops) => {
        const patch: ExtensionFeaturesPatch = {
          ...(o.always !== undefined && { forwardAlways: clear(o.always) }),
          ...(o.busy !== undefined && { forwardBusy: clear(o.busy) }),
          ...(o.unanswered !== undefined && { forwardNoAnswer: clear(o.unanswered) }),
          ...(o.after !== undefined && { noAnswerSeconds: o.after }),
          ...(o.unreachable !== undefined && { forwardUnreachable: clear(o.unreachable) }),
          ...(o.dnd !== undefined && { dnd: o.dnd === "on" }),
        };
        const change = Object.keys(patch).length > 0;
        const v = change
          ? await ops.callFeatures.set(cliActor(o), domain, number, patch)
          : await ops.callFeatures.show(domain, number);
        output(o, v, () => print(describe(v)));
      }),
    );
}

function describe(v: CallFeaturesView): string {
  const f = (t: string | null) => t ?? "-";
  return [
    `extension ${v.extension}`,
    `always ${f(v.forwardAlways)}`,
    `busy ${f(v.forwardBusy)}`,
    `no-answer ${f(v.forwardNoAnswer)} after ${v.noAnswerSeconds}s`,
    `unreachable ${f(v.forwardUnreachable)}`,
    `dnd ${v.dnd ? "on" : "off"}`,
  ].join("\t");
}
