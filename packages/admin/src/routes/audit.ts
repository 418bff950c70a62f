import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { auditSchema, errors } from "../schemas.js";

/** The audit log, newest first; `customer` (a domain) and `limit` narrow it. */
export function auditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: { customer?: string; limit?: string } }>(
    "/audit",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            customer: { type: "string", minLength: 1, maxLength: 253 },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$" },
          },
        },
        response: { 200: { type: "array", items: auditSchema }, ...errors },
      },
    },
    async (req) =>
      ctx.ops.audit({
        limit: req.query.limit === undefined ? 100 : Number(req.query.limit),
        ...(req.query.customer !== undefined && { customer: req.query.customer }),
      }),
  );
}
