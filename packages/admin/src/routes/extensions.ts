import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
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
  const { ops } = ctx;

  app.get<{ Params: { domain: string } }>(
    "/customers/:domain/extensions",
    {
      schema: {
        params: domainParams,
        response: { 200: { type: "array", items: extensionSchema }, ...errors },
      },
    },
    async (req) => ops.listExtensions(req.params.domain),
  );

  app.post<{
    Params: { domain: string };
    Body: { number: string; password: string; displayName?: string; enabled?: boolean };
  }>(
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
            enabled: { type: "boolean" },
          },
        },
        response: { 201: extensionSchema, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ops.addExtension(req.actor, req.params.domain, req.body)),
  );

  app.patch<{ Params: ExtParams; Body: { displayName?: string; enabled?: boolean } }>(
    "/customers/:domain/extensions/:number",
    {
      schema: {
        params: extParams,
        body: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: { displayName: { type: "string", maxLength: 200 }, enabled: { type: "boolean" } },
        },
        response: { 200: extensionSchema, ...errors },
      },
    },
    async (req) => ops.updateExtension(req.actor, req.params.domain, req.params.number, req.body),
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
      await ops.setExtensionPassword(req.actor, req.params.domain, req.params.number, req.body.password);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: ExtParams }>(
    "/customers/:domain/extensions/:number",
    { schema: { params: extParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      await ops.removeExtension(req.actor, req.params.domain, req.params.number);
      return reply.code(204).send();
    },
  );
}
