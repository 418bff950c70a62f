import type { ExtensionFeaturesPatch } from "@centrex/store";
import type { Caller } from "./caller.js";
import { ProxyRefusal } from "./errors.js";
import type { FeatureCode, ForwardKind } from "./feature-codes.js";
import type { ProxyContext } from "./proxy-context.js";

const FIELD: Readonly<Record<ForwardKind, keyof ExtensionFeaturesPatch>> = {
  always: "forwardAlways",
  busy: "forwardBusy",
  "no-answer": "forwardNoAnswer",
  unreachable: "forwardUnreachable",
};

const LABEL: Readonly<Record<ForwardKind, string>> = {
  always: "Unconditional forwarding",
  busy: "Busy forwarding",
  "no-answer": "No-answer forwarding",
  unreachable: "Unreachable forwarding",
};

/**
 * Applies a feature code dialled by `caller` to its own extension. There is
 * no announcement to play (no media endpoint yet), so the phone gets a final
 * answer whose status and reason say what was done: 603 "Decline - <what>"
 * once stored (no call is set up), 484 for a malformed code, 403 when the
 * forwarding target is barred for this extension (checked as a dialled call).
 */
export async function applyFeatureCode(
  ctx: ProxyContext,
  caller: Caller,
  code: Exclude<FeatureCode, { readonly kind: "pickup" }>,
  callId: string,
): Promise<{ status: number; reason: string }> {
  const o = ctx.o;
  if (code.kind === "invalid") throw new ProxyRefusal(484, code.reason);
  const ext = await o.store.extensions.find(caller.customerId, caller.extension);
  if (ext === undefined) throw new ProxyRefusal(403, "Forbidden - Unknown caller");
  let patch: ExtensionFeaturesPatch;
  let done: string;
  switch (code.kind) {
    case "forward":
      await checkTarget(ctx, caller, code.target);
      patch = {
        [FIELD[code.which]]: code.target,
        ...(code.seconds !== undefined && { noAnswerSeconds: code.seconds }),
      };
      done = `${LABEL[code.which]} to ${code.target}`;
      break;
    case "forward-clear":
      patch = { [FIELD[code.which]]: null };
      done = `${LABEL[code.which]} cleared`;
      break;
    case "forward-clear-all":
      patch = { forwardAlways: null, forwardBusy: null, forwardNoAnswer: null, forwardUnreachable: null };
      done = "All forwarding cleared";
      break;
    case "dnd":
      patch = { dnd: code.on };
      done = code.on ? "Do not disturb on" : "Do not disturb off";
      break;
  }
  await o.store.features.update(ext.id, patch);
  o.logger?.info(
    {
      event: "feature-code",
      callId,
      customerId: caller.customerId,
      extension: caller.extension,
      code: code.kind,
      done,
    },
    "call feature set from the phone",
  );
  return { status: 603, reason: `Decline - ${done}` };
}

/**
 * A forwarding target must be something the extension may call: its own
 * extensions and groups, or a number the operator's rules let it dial now
 * (a barred class is refused when set, not only when a call is forwarded).
 */
async function checkTarget(ctx: ProxyContext, caller: Caller, target: string): Promise<void> {
  const o = ctx.o;
  if (target === caller.extension) throw new ProxyRefusal(482, "Loop Detected - Forwarding to itself");
  if ((await o.store.extensions.find(caller.customerId, target)) !== undefined) return;
  if ((await o.store.ringGroups.find(caller.customerId, target)) !== undefined) return;
  const decision = await o.policy?.decide(target, caller.customerId, caller.extension);
  if (decision === undefined || decision.kind === "internal")
    throw new ProxyRefusal(404, "Not Found - No such number");
  if (decision.kind === "refuse")
    throw new ProxyRefusal(403, `Forbidden - Forwarding target: ${decision.reason}`);
}
