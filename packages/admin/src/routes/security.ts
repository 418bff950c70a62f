import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { errors } from "../schemas.js";

const banSchema = {
  type: "object",
  properties: {
    address: { type: "string" },
    reason: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    offences: { type: "integer" },
    detail: { type: "string" },
  },
} as const;

const addressParams = {
  type: "object",
  required: ["address"],
  properties: { address: { type: "string", minLength: 2, maxLength: 45 } },
} as const;

const cleared = {
  200: { type: "object", properties: { cleared: { type: "integer" } } },
  ...errors,
} as const;

/**
 * Sources the SIP side refuses to answer: GET lists the bans in force, DELETE lifts one (or
 * all), POST bans by hand. Changes go through the operations layer (checks, audit).
 */
export function securityRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    "/security/bans",
    { schema: { response: { 200: { type: "array", items: banSchema }, ...errors } } },
    async () => ctx.ops.bans.list(),
  );

  app.delete("/security/bans", { schema: { response: cleared } }, async (req) => ({
    cleared: await ctx.ops.bans.clear(req.actor),
  }));

  app.delete<{ Params: { address: string } }>(
    "/security/bans/:address",
    { schema: { params: addressParams, response: cleared } },
    async (req) => ({ cleared: await ctx.ops.bans.clear(req.actor, req.params.address) }),
  );

  app.post<{ Params: { address: string }; Body: { minutes: number } }>(
    "/security/bans/:address",
    {
      schema: {
        params: addressParams,
        body: {
          type: "object",
          required: ["minutes"],
          additionalProperties: false,
          properties: { minutes: { type: "integer", minimum: 1, maximum: 525_600 } },
        },
        response: { 201: banSchema, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ctx.ops.bans.add(req.actor, req.params.address, req.body.minutes)),
  );
}
