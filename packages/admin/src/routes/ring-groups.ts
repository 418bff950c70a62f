import type { NewRingGroupRequest, RingGroupUpdate } from "@centrex/operations";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { domainParams, errors } from "../schemas.js";

interface GroupParams {
  domain: string;
  number: string;
}

const groupParams = {
  type: "object",
  required: ["domain", "number"],
  properties: {
    domain: domainParams.properties.domain,
    number: { type: "string", minLength: 1, maxLength: 16 },
  },
} as const;

const memberParams = {
  type: "object",
  required: ["domain", "number", "extension"],
  properties: { ...groupParams.properties, extension: { type: "string", minLength: 1, maxLength: 16 } },
} as const;

/** A ring group as the API shows it: members by extension number, in hunt order. */
export const ringGroupSchema = {
  type: "object",
  properties: {
    number: { type: "string" },
    name: { type: "string" },
    strategy: { type: "string", enum: ["simultaneous", "sequential"] },
    members: { type: "array", items: { type: "string" } },
    memberSeconds: { type: "integer" },
    timeoutSeconds: { type: "integer" },
    overflow: { type: ["string", "null"] },
  },
} as const;

/** The settings a group is created or changed with; the operations layer checks their values. */
const settings = {
  name: { type: "string", minLength: 1, maxLength: 200 },
  strategy: { type: "string", enum: ["simultaneous", "sequential"] },
  members: { type: "array", maxItems: 200, items: { type: "string", minLength: 1, maxLength: 16 } },
  memberSeconds: { type: "integer" },
  timeoutSeconds: { type: "integer" },
  overflow: { type: ["string", "null"], maxLength: 40 },
} as const;

/** A customer's ring groups (README "Ring groups"); every change audited. */
export function ringGroupRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { ops } = ctx;

  app.get<{ Params: { domain: string } }>(
    "/customers/:domain/groups",
    {
      schema: {
        params: domainParams,
        response: { 200: { type: "array", items: ringGroupSchema }, ...errors },
      },
    },
    async (req) => ops.ringGroups.list(req.params.domain),
  );

  app.get<{ Params: GroupParams }>(
    "/customers/:domain/groups/:number",
    { schema: { params: groupParams, response: { 200: ringGroupSchema, ...errors } } },
    async (req) => ops.ringGroups.show(req.params.domain, req.params.number),
  );

  app.post<{ Params: { domain: string }; Body: NewRingGroupRequest }>(
    "/customers/:domain/groups",
    {
      schema: {
        params: domainParams,
        body: {
          type: "object",
          required: ["number", "name"],
          additionalProperties: false,
          properties: { number: { type: "string", minLength: 1, maxLength: 16 }, ...settings },
        },
        response: { 201: ringGroupSchema, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await ops.ringGroups.add(req.actor, req.params.domain, req.body)),
  );

  app.patch<{ Params: GroupParams; Body: RingGroupUpdate }>(
    "/customers/:domain/groups/:number",
    {
      schema: {
        params: groupParams,
        body: { type: "object", additionalProperties: false, minProperties: 1, properties: settings },
        response: { 200: ringGroupSchema, ...errors },
      },
    },
    async (req) => ops.ringGroups.update(req.actor, req.params.domain, req.params.number, req.body),
  );

  app.delete<{ Params: GroupParams }>(
    "/customers/:domain/groups/:number",
    { schema: { params: groupParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      await ops.ringGroups.remove(req.actor, req.params.domain, req.params.number);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: GroupParams; Body: { extension: string; position?: number } }>(
    "/customers/:domain/groups/:number/members",
    {
      schema: {
        params: groupParams,
        body: {
          type: "object",
          required: ["extension"],
          additionalProperties: false,
          properties: {
            extension: { type: "string", minLength: 1, maxLength: 16 },
            position: { type: "integer" },
          },
        },
        response: { 200: ringGroupSchema, ...errors },
      },
    },
    async (req) =>
      ops.ringGroups.addMember(
        req.actor,
        req.params.domain,
        req.params.number,
        req.body.extension,
        req.body.position,
      ),
  );

  app.delete<{ Params: GroupParams & { extension: string } }>(
    "/customers/:domain/groups/:number/members/:extension",
    { schema: { params: memberParams, response: { 200: ringGroupSchema, ...errors } } },
    async (req) =>
      ops.ringGroups.removeMember(req.actor, req.params.domain, req.params.number, req.params.extension),
  );
}
