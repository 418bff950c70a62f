import type { FastifyInstance } from "fastify";
import { audit, customerOf, type RouteContext } from "../context.js";
import { notFound } from "../errors.js";
import { domainParams, errors, extensionSchema } from "../schemas.js";

interface ExtParams {
  domain: string;
  number: string;
}

const extParams = {
  type: "object",
  required: ["domain", "number"],
  properties: {
    domain: domainParams.properties.domain,
    number: { type: "string", minLength: 1, maxLength: 16 },
  },
} as const;

const password = { type: "string", minLength: 1, maxLength: 128 } as const;

/** A customer's extensions (phone accounts). Passwords go in, never come out. */
export function extensionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.get<{ Params: { domain: string } }>(
    "/customers/:domain/extensions",
    {
      schema: {
        params: domainParams,
        response: { 200: { type: "array", items: extensionSchema }, ...errors },
      },
    },
    async (req) => {
      const c = await customerOf(store, req.params.domain);
      const now = Date.now();
      const out = [];
      for (const e of await store.extensions.listByCustomer(c.id)) {
        out.push({ ...e, registered: await store.locations.count(e.id, now) });
      }
      return out;
    },
  );

  app.post<{ Params: { domain: string }; Body: { number: string; password: string; displayName?: string } }>(
    "/customers/:domain/extensions",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          required: ["number", "password"],
          additionalProperties: false,
          properties: {
            number: { type: "string", minLength: 1, maxLength: 16 },
            password,
            displayName: { type: "string", maxLength: 200 },
          },
        },
        response: { 201: extensionSchema, ...errors },
      },
    },
    async (req, reply) => {
      const c = await customerOf(store, req.params.domain);
      const e = await store.extensions.create({
        customerId: c.id,
        number: req.body.number,
        password: req.body.password,
        ...(req.body.displayName !== undefined && { displayName: req.body.displayName }),
      });
      await audit(ctx, req, "extension.create", c.id, { number: e.number, displayName: e.displayName });
      return reply.code(201).send({ ...e, registered: 0 });
    },
  );

  app.put<{ Params: ExtParams; Body: { password: string } }>(
    "/customers/:domain/extensions/:number/password",
    {
      schema: {
        params: extParams,
        body: {
          type: "object",
          required: ["password"],
          additionalProperties: false,
          properties: { password },
        },
        response: { 204: { type: "null" }, ...errors },
      },
    },
    async (req, reply) => {
      const c = await customerOf(store, req.params.domain);
      const e = await store.extensions.find(c.id, req.params.number);
      if (e === undefined) throw notFound(`extension ${req.params.number} of ${c.domain}`);
      await store.extensions.setPassword(e.id, req.body.password);
      await audit(ctx, req, "extension.password", c.id, { number: e.number });
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: ExtParams }>(
    "/customers/:domain/extensions/:number",
    { schema: { params: extParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      const c = await customerOf(store, req.params.domain);
      const e = await store.extensions.find(c.id, req.params.number);
      if (e === undefined) throw notFound(`extension ${req.params.number} of ${c.domain}`);
      await store.extensions.delete(e.id);
      await audit(ctx, req, "extension.delete", c.id, { number: e.number });
      return reply.code(204).send();
    },
  );
}
