import type { CustomerPatch, CustomerStatus } from "@centrex/store";
import type { FastifyInstance } from "fastify";
import { audit, customerOf, type RouteContext } from "../context.js";
import { ApiError } from "../errors.js";
import { customerSchema, domainParams, errors, policySchema } from "../schemas.js";

interface DomainParams {
  domain: string;
}

/** Customers (tenants): list, create, read, change status or name, delete. */
export function customerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    "/customers",
    { schema: { response: { 200: { type: "array", items: customerSchema }, ...errors } } },
    async () => store.customers.list(),
  );

  app.post<{ Body: { name: string; domain: string } }>(
    "/customers",
    {
      schema: {
        body: {
          type: "object",
          required: ["name", "domain"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            domain: { type: "string", minLength: 1, maxLength: 253 },
          },
        },
        response: { 201: customerSchema, ...errors },
      },
    },
    async (req, reply) => {
      const c = await store.customers.create({ name: req.body.name, domain: req.body.domain });
      await audit(ctx, req, "customer.create", c.id, { name: c.name, domain: c.domain });
      return reply.code(201).send(c);
    },
  );

  app.get<{ Params: DomainParams }>(
    "/customers/:domain",
    { schema: { params: domainParams, response: { 200: customerSchema, ...errors } } },
    async (req) => customerOf(store, req.params.domain),
  );

  app.get<{ Params: DomainParams }>(
    "/customers/:domain/policy",
    { schema: { params: domainParams, response: { 200: policySchema, ...errors } } },
    async (req) => store.policies.get((await customerOf(store, req.params.domain)).id),
  );

  app.patch<{ Params: DomainParams; Body: { name?: string; status?: CustomerStatus } }>(
    "/customers/:domain",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            status: { type: "string", enum: ["active", "suspended", "terminated"] },
          },
        },
        response: { 200: customerSchema, ...errors },
      },
    },
    async (req) => {
      const c = await customerOf(store, req.params.domain);
      const patch: CustomerPatch = {};
      if (req.body.name !== undefined) patch.name = req.body.name;
      if (req.body.status !== undefined) patch.status = req.body.status;
      if (Object.keys(patch).length === 0) throw new ApiError(400, "invalid", "nothing to change");
      const updated = await store.customers.update(c.id, patch);
      await audit(ctx, req, "customer.update", c.id, {
        from: { name: c.name, status: c.status },
        to: patch,
      });
      return updated;
    },
  );

  app.delete<{ Params: DomainParams }>(
    "/customers/:domain",
    { schema: { params: domainParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      const c = await customerOf(store, req.params.domain);
      await store.customers.delete(c.id);
      await audit(ctx, req, "customer.delete", c.id, { domain: c.domain, name: c.name });
      return reply.code(204).send();
    },
  );
}
