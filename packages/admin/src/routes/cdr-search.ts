import { cdrsToCsv, cdrsToJson, DISPOSITIONS } from "@centrex/billing";
import type { CdrSearch } from "@centrex/store";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { ApiError } from "../errors.js";
import { DAY, errors } from "../schemas.js";
import { dayStart } from "./days.js";

const DAY_MS = 86_400_000;
/** Records one answer holds at most (CSV or JSON); a wider search is told it was cut. */
export const SEARCH_MAX = 100_000;

interface SearchQuery {
  from: string;
  to: string;
  customer?: string;
  caller?: string;
  callee?: string;
  status?: (typeof DISPOSITIONS)[number];
  format?: "json" | "csv";
  limit?: string;
}

const text = { type: "string", minLength: 1, maxLength: 100 } as const;

const searchResult = {
  type: "object",
  required: ["records", "truncated"],
  properties: {
    // The customer's domain, then the CSV export's columns (node, seq, call_id, …), times in ISO 8601.
    records: { type: "array", items: { type: "object", additionalProperties: true } },
    /** More records matched than `limit`: narrow the search. */
    truncated: { type: "boolean" },
  },
} as const;

/**
 * GET /cdrs/search: call records by date range (days, UTC, `to` included) and any of caller,
 * callee (part of the number or extension), status (disposition) and customer; JSON for the
 * console, or the same result as CSV (the export of the search). A customer's administrator
 * searches its own customer's records only (rule 12): naming another customer is a 403.
 */
export function cdrSearchRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: SearchQuery }>(
    "/cdrs/search",
    {
      schema: {
        querystring: {
          type: "object",
          required: ["from", "to"],
          additionalProperties: false,
          properties: {
            from: { type: "string", pattern: DAY },
            to: { type: "string", pattern: DAY },
            customer: { type: "string", minLength: 1, maxLength: 253 },
            caller: text,
            callee: text,
            status: { type: "string", enum: [...DISPOSITIONS] },
            format: { type: "string", enum: ["json", "csv"] },
            limit: { type: "string", pattern: "^[0-9]{1,6}$" },
          },
        },
        response: { 200: searchResult, ...errors },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const from = dayStart(q.from, "from");
      const to = dayStart(q.to, "to") + DAY_MS;
      if (to <= from) throw new ApiError(400, "invalid", `to (${q.to}) is before from (${q.from})`, "to");
      const limit = q.limit === undefined ? 1000 : Number(q.limit);
      if (limit < 1 || limit > SEARCH_MAX)
        throw new ApiError(400, "invalid", `limit must be 1 to ${SEARCH_MAX}, got ${q.limit}`, "limit");
      const scope = req.customerScope;
      if (scope !== null && q.customer !== undefined && q.customer.toLowerCase() !== scope)
        throw new ApiError(
          403,
          "forbidden",
          `this token administers ${scope} only, not ${q.customer}`,
          "customer",
        );
      const domain = scope ?? q.customer;
      const customerId = domain === undefined ? undefined : (await ctx.ops.customer(domain)).id;
      const search: CdrSearch = {
        from,
        to,
        limit: limit + 1,
        ...(customerId !== undefined && { customerId }),
        ...(q.caller !== undefined && { caller: q.caller }),
        ...(q.callee !== undefined && { callee: q.callee }),
        ...(q.status !== undefined && { disposition: q.status }),
      };
      const found = await ctx.store.cdrs.search(search);
      const truncated = found.length > limit;
      const records = truncated ? found.slice(0, limit) : found;
      if (q.format === "csv") {
        const name = `${domain ?? "all"}-${q.from}-${q.to}.csv`;
        return reply
          .type("text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="${name}"`)
          .header("x-centrex-truncated", String(truncated))
          .send(cdrsToCsv(records));
      }
      const domains = new Map<number, string>();
      for (const id of new Set(records.map((r) => r.customerId))) {
        if (id === null) continue;
        const c = await ctx.store.customers.get(id).catch(() => undefined);
        domains.set(id, c?.domain ?? `#${id}`);
      }
      const rows = JSON.parse(cdrsToJson(records)) as Record<string, unknown>[];
      return {
        records: rows.map((row, i) => {
          const id = records[i]!.customerId;
          return { customer: id === null ? null : (domains.get(id) ?? null), ...row };
        }),
        truncated,
      };
    },
  );
}
