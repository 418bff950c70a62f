import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { auditSchema, errors } from "../schemas.js";

/**
 * The audit log, newest first. `customer` (a domain) narrows it to the customer that has the
 * domain now (never a deleted one of the same domain); `includeDeleted=true` widens that to
 * every customer that had it; `customerId` narrows it to one customer, deleted or not.
 */
export function auditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{
    Querystring: {
      customer?: string;
      customerId?: string;
      includeDeleted?: "true" | "false";
      limit?: string;
    };
  }>(
    "/audit",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            customer: { type: "string", minLength: 1, maxLength: 253 },
            customerId: { type: "string", pattern: "^[1-9][0-9]{0,14}$" },
            includeDeleted: { type: "string", enum: ["true", "false"] },
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
        ...(req.query.customerId !== undefined && { customerId: Number(req.query.customerId) }),
        ...(req.query.includeDeleted === "true" && { includeDeleted: true }),
      }),
  );
}
