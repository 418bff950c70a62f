import type { FastifyInstance, FastifyRequest } from "fastify";
import type { RouteContext } from "../context.js";
import type { PhoneOperations } from "../phone-operations.js";
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

async function audit(
  ctx: RouteContext,
  req: FastifyRequest,
  action: string,
  customerId: number | null,
  detail: unknown,
): Promise<void> {
  await ctx.store.audit.append({ actor: req.actor, action, customerId, detail });
}

/** The phone inventory (provisioning) and remote resync (check-sync NOTIFY). */
export function phoneRoutes(app: FastifyInstance, ctx: RouteContext, phones: PhoneOperations): void {
  app.get<{ Params: { domain: string } }>(
    "/customers/:domain/phones",
    { schema: { params: domainParams, response: { 200: { type: "array", items: phoneSchema }, ...errors } } },
    async (req) => phones.list(req.params.domain),
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
    async (req, reply) => {
      const added = await phones.add({ domain: req.params.domain, ...req.body });
      await audit(ctx, req, "phone.add", await phones.customerOf(added.phone.mac), {
        mac: added.phone.mac,
        model: added.phone.model,
        lines: added.phone.lines,
        blf: added.phone.blf,
        newPasswords: added.newPasswords,
      });
      return reply.code(201).send(added);
    },
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
    async (req) => {
      const moved = await phones.move(req.params.mac, req.body);
      await audit(ctx, req, "phone.move", await phones.customerOf(moved.phone.mac), {
        mac: moved.phone.mac,
        lines: moved.phone.lines,
        blf: moved.phone.blf,
        newPasswords: moved.newPasswords,
      });
      return moved;
    },
  );

  app.delete<{ Params: { mac: string } }>(
    "/phones/:mac",
    { schema: { params: macParams, response: { 200: phoneSchema, ...errors } } },
    async (req) => {
      const customerId = await phones.customerOf(req.params.mac);
      const removed = await phones.remove(req.params.mac);
      await audit(ctx, req, "phone.remove", customerId, { mac: removed.mac, model: removed.model });
      return removed;
    },
  );

  app.post<{ Params: { mac: string } }>(
    "/phones/:mac/resync",
    { schema: { params: macParams, response: { 200: resyncSchema, ...errors } } },
    async (req) => {
      const result = await phones.resync(req.params.mac);
      await audit(ctx, req, "phone.resync", await phones.customerOf(result.mac), {
        mac: result.mac,
        event: result.event,
        outcomes: result.attempts.map((a) => a.outcome),
      });
      return result;
    },
  );
}
