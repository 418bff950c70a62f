import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import type { PhoneService } from "../phone-service.js";
import { domainParams, errors } from "../schemas.js";

const phoneSchema = {
  type: "object",
  properties: {
    mac: { type: "string" },
    model: { type: "string" },
    domain: { type: "string" },
    lines: { type: "array", items: { type: "string" } },
    blf: { type: "array", items: { type: "string" } },
    createdAt: { type: "integer" },
  },
} as const;

const macParams = {
  type: "object",
  required: ["mac"],
  properties: { mac: { type: "string", minLength: 1, maxLength: 32 } },
} as const;

const keyList = {
  type: "array",
  maxItems: 100,
  items: { type: "string", minLength: 1, maxLength: 270 },
} as const;

const resyncSchema = {
  type: "object",
  properties: {
    mac: { type: "string" },
    event: { type: "string" },
    attempts: {
      type: "array",
      items: {
        type: "object",
        properties: {
          extension: { type: "string" },
          contact: { type: "string" },
          remote: { type: "string" },
          outcome: { type: ["integer", "string"] },
        },
      },
    },
  },
} as const;

/** The phone inventory (provisioning) and remote resync (check-sync NOTIFY), through the operations layer. */
export function phoneRoutes(app: FastifyInstance, ctx: RouteContext, phones: PhoneService): void {
  app.get<{ Params: { domain: string } }>(
    "/customers/:domain/phones",
    { schema: { params: domainParams, response: { 200: { type: "array", items: phoneSchema }, ...errors } } },
    async (req) => ctx.ops.phones.list(req.params.domain),
  );

  app.post<{
    Params: { domain: string };
    Body: { mac: string; model: string; extensions: string[]; blf?: string[] };
  }>(
    "/customers/:domain/phones",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          required: ["mac", "model", "extensions"],
          additionalProperties: false,
          properties: {
            mac: { type: "string", minLength: 1, maxLength: 32 },
            model: { type: "string", minLength: 1, maxLength: 64 },
            extensions: { ...keyList, minItems: 1 },
            blf: keyList,
          },
        },
        response: {
          201: {
            type: "object",
            properties: {
              phone: phoneSchema,
              credential: { type: "string" },
              newPasswords: { type: "array", items: { type: "string" } },
            },
          },
          ...errors,
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(
        await ctx.ops.phones.add(req.actor, {
          domain: req.params.domain,
          mac: req.body.mac,
          model: req.body.model,
          extensions: req.body.extensions,
          ...(req.body.blf !== undefined && { blf: req.body.blf }),
        }),
      ),
  );

  app.post<{ Params: { mac: string }; Body: { extensions: string[]; blf?: string[] } }>(
    "/phones/:mac/move",
    {
      schema: {
        params: macParams,
        body: {
          type: "object",
          required: ["extensions"],
          additionalProperties: false,
          properties: { extensions: { ...keyList, minItems: 1 }, blf: keyList },
        },
        response: {
          200: {
            type: "object",
            properties: { phone: phoneSchema, newPasswords: { type: "array", items: { type: "string" } } },
          },
          ...errors,
        },
      },
    },
    async (req) => ctx.ops.phones.move(req.actor, req.params.mac, req.body),
  );

  app.delete<{ Params: { mac: string } }>(
    "/phones/:mac",
    { schema: { params: macParams, response: { 200: phoneSchema, ...errors } } },
    async (req) => ctx.ops.phones.remove(req.actor, req.params.mac),
  );

  app.post<{ Params: { mac: string } }>(
    "/phones/:mac/resync",
    { schema: { params: macParams, response: { 200: resyncSchema, ...errors } } },
    async (req) => ctx.ops.phones.resync(req.actor, req.params.mac, (phone) => phones.resync(phone)),
  );
}
