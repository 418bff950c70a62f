import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { ApiError } from "../errors.js";
import { customerDetailSchema, customerSchema, DAY, domainParams, errors, policySchema } from "../schemas.js";

interface DomainParams {
  domain: string;
}

interface CustomerPatchBody {
  name?: string;
  status?: "active" | "suspended" | "terminated";
  telecomProfessional?: boolean;
  deliveryDate?: string | null;
}

/** Customers (tenants): list, create, read, change, delete — all through the operations layer. */
export function customerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ops } = ctx;

  app.get(
    "/customers",
    { schema: { response: { 200: { type: "array", items: customerSchema }, ...errors } } },
    // A customer administrator sees its own customer only.
    async (req) =>
      (await ops.listCustomers()).filter(
        (c) => req.customerScope === null || c.domain.toLowerCase() === req.customerScope,
      ),
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
    async (req, reply) => reply.code(201).send(await ops.addCustomer(req.actor, req.body)),
  );

  app.get<{ Params: DomainParams }>(
    "/customers/:domain",
    { schema: { params: domainParams, response: { 200: customerSchema, ...errors } } },
    async (req) => (await ops.showCustomer(req.params.domain)).customer,
  );

  /** Everything about one customer: status with its suspensions, policy, counts, PIN labels. */
  app.get<{ Params: DomainParams }>(
    "/customers/:domain/summary",
    { schema: { params: domainParams, response: { 200: customerDetailSchema, ...errors } } },
    async (req) => ops.showCustomer(req.params.domain),
  );

  app.get<{ Params: DomainParams }>(
    "/customers/:domain/policy",
    { schema: { params: domainParams, response: { 200: policySchema, ...errors } } },
    async (req) => ops.policy(req.params.domain),
  );

  app.patch<{ Params: DomainParams; Body: CustomerPatchBody }>(
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
            telecomProfessional: { type: "boolean" },
            deliveryDate: { anyOf: [{ type: "string", pattern: DAY }, { type: "null" }] },
          },
        },
        response: { 200: customerSchema, ...errors },
      },
    },
    async (req) => {
      const { status, ...rest } = req.body;
      const domain = req.params.domain;
      if (status !== undefined && Object.keys(rest).length > 0)
        throw new ApiError(400, "invalid", "change status on its own, not with other fields", "status");
      // Status changes are suspensions (rule 17) and termination: the same operations as /suspend and /resume.
      if (status === "suspended") return ops.suspend(req.actor, domain, { nonPayment: true });
      if (status === "active") return ops.resume(req.actor, domain, { nonPayment: true });
      if (status === "terminated") return ops.terminateCustomer(req.actor, domain);
      return ops.updateCustomer(req.actor, domain, rest);
    },
  );

  app.delete<{ Params: DomainParams }>(
    "/customers/:domain",
    { schema: { params: domainParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      await ops.removeCustomer(req.actor, req.params.domain);
      return reply.code(204).send();
    },
  );
}
