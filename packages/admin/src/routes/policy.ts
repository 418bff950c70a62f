import { DESTINATION_CLASSES } from "@centrex/dialplan";
import { BARRING_REQUESTS, type BarringRequest } from "@centrex/operations";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { ApiError } from "../errors.js";
import {
  customerSchema,
  domainParams,
  E164,
  errors,
  numberSchema,
  pinSchema,
  policySchema,
} from "../schemas.js";

interface DomainParams {
  domain: string;
}

const emptyBody = { type: "object", additionalProperties: false, properties: {} } as const;
const pinCode = { type: "string", pattern: "^[0-9]{4}$" } as const;
const labelParams = {
  type: "object",
  required: ["domain", "label"],
  properties: {
    domain: domainParams.properties.domain,
    label: { type: "string", minLength: 1, maxLength: 100 },
  },
} as const;

/**
 * The operator's rules per customer, as the CLI's policy commands: numbers (DIDs), fallback
 * number, emergency location, barring, PIN codes, suspension. Applied live, all audited, all
 * checked by the operations layer (a rule refusing a request is a 422 naming the field).
 */
export function policyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ops } = ctx;

  app.get<{ Params: DomainParams }>(
    "/customers/:domain/numbers",
    {
      schema: { params: domainParams, response: { 200: { type: "array", items: numberSchema }, ...errors } },
    },
    async (req) => ops.listNumbers(req.params.domain),
  );

  app.post<{
    Params: DomainParams;
    Body: { e164: string; target?: { kind: "extension" | "group"; number: string }; main?: boolean };
  }>(
    "/customers/:domain/numbers",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          required: ["e164"],
          additionalProperties: false,
          properties: {
            e164: { type: "string", pattern: E164 },
            target: {
              type: "object",
              required: ["kind", "number"],
              additionalProperties: false,
              properties: {
                kind: { type: "string", enum: ["extension", "group"] },
                number: { type: "string", minLength: 1, maxLength: 16 },
              },
            },
            main: { type: "boolean" },
          },
        },
        response: { 201: numberSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await ops.addNumber(req.actor, req.params.domain, req.body)),
  );

  app.delete<{ Params: DomainParams & { e164: string } }>(
    "/customers/:domain/numbers/:e164",
    {
      schema: {
        params: {
          type: "object",
          required: ["domain", "e164"],
          properties: { domain: domainParams.properties.domain, e164: { type: "string", pattern: E164 } },
        },
        response: { 204: { type: "null" }, ...errors },
      },
    },
    async (req, reply) => {
      await ops.removeNumber(req.actor, req.params.domain, req.params.e164);
      return reply.code(204).send();
    },
  );

  app.put<{ Params: DomainParams; Body: { e164: string | null } }>(
    "/customers/:domain/fallback",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          required: ["e164"],
          additionalProperties: false,
          properties: { e164: { anyOf: [{ type: "string", pattern: E164 }, { type: "null" }] } },
        },
        response: { 200: policySchema, ...errors },
      },
    },
    async (req) => ops.setFallback(req.actor, req.params.domain, req.body.e164),
  );

  app.put<{ Params: DomainParams; Body: { department: string; commune: string } }>(
    "/customers/:domain/emergency",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          required: ["department", "commune"],
          additionalProperties: false,
          properties: {
            department: { type: "string", minLength: 2, maxLength: 3 },
            commune: { type: "string", minLength: 5, maxLength: 5 },
          },
        },
        response: { 200: policySchema, ...errors },
      },
    },
    async (req) => ops.declareEmergency(req.actor, req.params.domain, req.body.department, req.body.commune),
  );

  app.put<{ Params: DomainParams & { class: string }; Body: { access: BarringRequest } }>(
    "/customers/:domain/barring/:class",
    {
      schema: {
        params: {
          type: "object",
          required: ["domain", "class"],
          properties: {
            domain: domainParams.properties.domain,
            class: { type: "string", enum: [...DESTINATION_CLASSES] },
          },
        },
        body: {
          type: "object",
          required: ["access"],
          additionalProperties: false,
          properties: { access: { type: "string", enum: [...BARRING_REQUESTS] } },
        },
        response: { 200: policySchema, ...errors },
      },
    },
    async (req) => ops.setBarring(req.actor, req.params.domain, req.params.class, req.body.access),
  );

  app.get<{ Params: DomainParams }>(
    "/customers/:domain/pins",
    { schema: { params: domainParams, response: { 200: { type: "array", items: pinSchema }, ...errors } } },
    async (req) => ops.listPins(req.params.domain),
  );

  app.post<{ Params: DomainParams; Body: { label: string; code: string } }>(
    "/customers/:domain/pins",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          required: ["label", "code"],
          additionalProperties: false,
          properties: { label: { type: "string", minLength: 1, maxLength: 100 }, code: pinCode },
        },
        response: { 201: pinSchema, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ops.addPin(req.actor, req.params.domain, req.body.label, req.body.code)),
  );

  app.put<{ Params: DomainParams & { label: string }; Body: { code: string } }>(
    "/customers/:domain/pins/:label",
    {
      schema: {
        params: labelParams,
        body: {
          type: "object",
          required: ["code"],
          additionalProperties: false,
          properties: { code: pinCode },
        },
        response: { 200: pinSchema, ...errors },
      },
    },
    async (req) => ops.changePin(req.actor, req.params.domain, req.params.label, req.body.code),
  );

  app.delete<{ Params: DomainParams & { label: string } }>(
    "/customers/:domain/pins/:label",
    { schema: { params: labelParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      await ops.removePin(req.actor, req.params.domain, req.params.label);
      return reply.code(204).send();
    },
  );

  const statusResponse = {
    type: "object",
    properties: { customer: customerSchema, policy: policySchema },
  } as const;

  app.post<{
    Params: DomainParams;
    Body: { nonPayment?: boolean; pstn?: "partial" | "total"; reason?: string };
  }>(
    "/customers/:domain/suspend",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            nonPayment: { type: "boolean" },
            pstn: { type: "string", enum: ["partial", "total"] },
            reason: { type: "string", maxLength: 500 },
          },
        },
        response: { 200: statusResponse, ...errors },
      },
    },
    async (req) => {
      if (req.body.nonPayment !== true && req.body.pstn === undefined) {
        throw new ApiError(400, "invalid", "say nonPayment: true or pstn: partial|total", "pstn");
      }
      const customer = await ops.suspend(req.actor, req.params.domain, req.body);
      return { customer, policy: await ops.policy(req.params.domain) };
    },
  );

  app.post<{ Params: DomainParams; Body: { nonPayment?: boolean; pstn?: boolean } }>(
    "/customers/:domain/resume",
    {
      schema: {
        params: domainParams,
        body: {
          ...emptyBody,
          properties: { nonPayment: { type: "boolean" }, pstn: { type: "boolean" } },
        },
        response: { 200: statusResponse, ...errors },
      },
    },
    async (req) => {
      const customer = await ops.resume(req.actor, req.params.domain, req.body);
      return { customer, policy: await ops.policy(req.params.domain) };
    },
  );
}
