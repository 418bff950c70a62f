import type { CarrierUpdate, NewCarrierRequest } from "@centrex/operations";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { carrierSchema, errors } from "../schemas.js";

const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", minLength: 1, maxLength: 100 } },
} as const;

const carrierFields = {
  host: { type: "string", minLength: 1, maxLength: 253 },
  port: { type: "integer", minimum: 1, maximum: 65535 },
  transport: { type: "string", enum: ["udp", "tcp", "tls"] },
  username: { type: "string", maxLength: 200 },
  password: { type: "string", maxLength: 200 },
  numberFormat: { type: "string", enum: ["e164", "national"] },
  priority: { type: "integer", minimum: 0, maximum: 65535 },
  weight: { type: "integer", minimum: 0, maximum: 65535 },
  register: { type: "boolean" },
} as const;

// E.164 digits, an optional "+", or "any"/"" for every destination.
const prefix = { type: "string", pattern: "^(any|\\+?[0-9]{0,15})$" } as const;

/** SIP trunks to PSTN carriers and the prefixes each takes (the trunk reloads them on its own). */
export function carrierRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ops } = ctx;

  app.get(
    "/carriers",
    { schema: { response: { 200: { type: "array", items: carrierSchema }, ...errors } } },
    async () => ops.carriers.list(),
  );

  app.get<{ Params: { name: string } }>(
    "/carriers/:name",
    { schema: { params: nameParams, response: { 200: carrierSchema, ...errors } } },
    async (req) => ops.carriers.show(req.params.name),
  );

  app.post<{ Body: NewCarrierRequest }>(
    "/carriers",
    {
      schema: {
        body: {
          type: "object",
          required: ["name", "host"],
          additionalProperties: false,
          properties: { name: { type: "string", minLength: 1, maxLength: 100 }, ...carrierFields },
        },
        response: { 201: carrierSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await ops.carriers.add(req.actor, req.body)),
  );

  app.patch<{ Params: { name: string }; Body: CarrierUpdate }>(
    "/carriers/:name",
    {
      schema: {
        params: nameParams,
        body: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: { ...carrierFields, enabled: { type: "boolean" } },
        },
        response: { 200: carrierSchema, ...errors },
      },
    },
    async (req) => ops.carriers.update(req.actor, req.params.name, req.body),
  );

  app.delete<{ Params: { name: string } }>(
    "/carriers/:name",
    { schema: { params: nameParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      await ops.carriers.remove(req.actor, req.params.name);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { name: string }; Body: { prefix: string } }>(
    "/carriers/:name/routes",
    {
      schema: {
        params: nameParams,
        body: { type: "object", required: ["prefix"], additionalProperties: false, properties: { prefix } },
        response: { 201: carrierSchema, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ops.carriers.addRoute(req.actor, req.params.name, req.body.prefix)),
  );

  app.delete<{ Params: { name: string; prefix: string } }>(
    "/carriers/:name/routes/:prefix",
    {
      schema: {
        params: {
          type: "object",
          required: ["name", "prefix"],
          properties: { name: nameParams.properties.name, prefix },
        },
        response: { 200: carrierSchema, ...errors },
      },
    },
    async (req) => ops.carriers.removeRoute(req.actor, req.params.name, req.params.prefix),
  );
}
