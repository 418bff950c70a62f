import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { ApiError } from "../errors.js";
import { errors } from "../schemas.js";

const callParams = {
  type: "object",
  required: ["callId"],
  properties: { callId: { type: "string", minLength: 1, maxLength: 256 } },
} as const;

const hangUpSchema = {
  type: "object",
  required: ["callId", "outcome"],
  properties: {
    callId: { type: "string" },
    /** "ended": BYE sent to both phones; "cancelled": it was ringing, CANCEL sent and 487 to the caller. */
    outcome: { type: "string", enum: ["ended", "cancelled"] },
  },
} as const;

/**
 * POST /calls/:callId/hangup ends a call in progress (Call-ID URL-encoded) through the
 * operations layer (audited "call.hangup"). A customer's administrator may end its own
 * customer's calls only: another customer's call is a 404, as an unknown one.
 */
export function callRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Params: { callId: string } }>(
    "/calls/:callId/hangup",
    { schema: { params: callParams, response: { 200: hangUpSchema, ...errors } } },
    async (req) => {
      if (!ctx.ops.calls.available)
        throw new ApiError(501, "not_configured", "this API runs without a switch: it has no calls to end");
      const scope = req.customerScope === null ? undefined : (await ctx.ops.customer(req.customerScope)).id;
      return ctx.ops.calls.hangUp(req.actor, req.params.callId, scope);
    },
  );
}
