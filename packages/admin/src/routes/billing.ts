import { exportCustomerCdrs, type Invoice, invoiceToHtml, runInvoices, verifyLedger } from "@centrex/billing";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { ApiError } from "../errors.js";
import { customerSchema, DAY, domainParams, errors, MONTH } from "../schemas.js";
import { dayStart } from "./days.js";

const DAY_MS = 86_400_000;

const faultSchema = {
  type: "object",
  properties: {
    node: { type: "string" },
    kind: { type: "string" },
    seq: { type: "integer" },
    count: { type: "integer" },
    detail: { type: "string" },
  },
} as const;

const verifySchema = {
  type: "object",
  properties: {
    ok: { type: "boolean" },
    nodes: {
      type: "array",
      items: {
        type: "object",
        properties: {
          node: { type: "string" },
          records: { type: "integer" },
          firstSeq: { type: "integer" },
          lastSeq: { type: "integer" },
          fault: faultSchema,
        },
      },
    },
    fault: faultSchema,
  },
} as const;

const invoiceRunSchema = {
  type: "array",
  items: {
    type: "object",
    properties: {
      customer: customerSchema,
      outcome: { type: "string", enum: ["invoiced", "deferred", "exists"] },
      id: { type: "integer" },
      // The Invoice document as billing builds it (lines, totals, VAT): passed through whole.
      invoice: {},
    },
  },
} as const;

/** Call records (export, ledger verification) and invoices. */
export function billingRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.get<{ Params: { domain: string }; Querystring: { from: string; to: string; format?: "csv" | "json" } }>(
    "/customers/:domain/cdrs",
    {
      schema: {
        params: domainParams,
        querystring: {
          type: "object",
          required: ["from", "to"],
          additionalProperties: false,
          properties: {
            from: { type: "string", pattern: DAY },
            to: { type: "string", pattern: DAY },
            format: { type: "string", enum: ["csv", "json"] },
          },
        },
        response: errors,
      },
    },
    async (req, reply) => {
      const from = dayStart(req.query.from, "from");
      const to = dayStart(req.query.to, "to") + DAY_MS; // "to" is the last day included
      if (to <= from) throw new ApiError(400, "invalid", "to is before from", "to");
      const c = await ctx.ops.customer(req.params.domain);
      const format = req.query.format ?? "csv";
      const text = await exportCustomerCdrs(store, c.id, from, to, format);
      return reply
        .type(format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8")
        .header("content-disposition", `attachment; filename="${c.domain}-${req.query.from}.${format}"`)
        .send(text);
    },
  );

  app.get("/cdrs/verify", { schema: { response: { 200: verifySchema, ...errors } } }, async () => {
    if (ctx.ledgerKey === undefined) {
      throw new ApiError(501, "not_configured", "no ledger key configured on this node");
    }
    return verifyLedger(store, ctx.ledgerKey);
  });

  app.post<{ Body: { month: string; customer?: string; issuedOn?: string } }>(
    "/invoices/run",
    {
      schema: {
        body: {
          type: "object",
          required: ["month"],
          additionalProperties: false,
          properties: {
            month: { type: "string", pattern: MONTH },
            customer: { type: "string", minLength: 1, maxLength: 253 },
            issuedOn: { type: "string", pattern: DAY },
          },
        },
        response: { 200: invoiceRunSchema, ...errors },
      },
    },
    async (req) => {
      if (ctx.tariffs === undefined) {
        throw new ApiError(501, "not_configured", "no tariff book configured on this node");
      }
      if (req.body.issuedOn !== undefined) dayStart(req.body.issuedOn, "issuedOn");
      const ids =
        req.body.customer === undefined ? undefined : [(await ctx.ops.customer(req.body.customer)).id];
      const results = await runInvoices(store, ctx.tariffs, req.body.month, {
        ...(ids && { customerIds: ids }),
        ...(req.body.issuedOn !== undefined && { issuedOn: req.body.issuedOn }),
      });
      const issued = results.filter((r) => r.outcome === "invoiced").map((r) => r.customer.domain);
      await store.audit.append({
        actor: req.actor,
        action: "invoice.run",
        customerId: ids?.[0] ?? null,
        detail: { month: req.body.month, issued },
      });
      return results.map((r) => ({
        customer: r.customer,
        outcome: r.outcome,
        ...(r.stored && { id: r.stored.id }),
        ...(r.invoice && { invoice: r.invoice }),
      }));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/invoices/:id.html",
    {
      schema: {
        params: {
          type: "object",
          required: ["id"],
          properties: { id: { type: "string", pattern: "^[1-9][0-9]{0,15}$" } },
        },
        response: errors,
      },
    },
    async (req, reply) => {
      const inv = await store.invoices.get(Number(req.params.id));
      return reply.type("text/html; charset=utf-8").send(invoiceToHtml(inv.document as Invoice));
    },
  );
}
