import type { Ban } from "@centrex/guard";
import type { Store } from "@centrex/store";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../errors.js";
import { errors } from "../schemas.js";

/** What the routes need of the SIP side's guard. */
export interface BanControl {
  list(): Ban[];
  clear(address?: string): number;
  banManually(address: string, minutes: number, detail?: string): Ban;
}

const banSchema = {
  type: "object",
  properties: {
    address: { type: "string" },
    reason: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    offences: { type: "integer" },
    detail: { type: "string" },
  },
} as const;

const addressParams = {
  type: "object",
  required: ["address"],
  properties: { address: { type: "string", minLength: 2, maxLength: 45 } },
} as const;

function view(b: Ban) {
  return { ...b, since: new Date(b.since).toISOString(), until: new Date(b.until).toISOString() };
}

function checkAddress(address: string): void {
  if (!/^[0-9a-fA-F.:]+$/.test(address)) {
    throw new ApiError(400, "invalid", `not an IP address: ${address}`, "address");
  }
}

/**
 * Sources the SIP side refuses to answer: GET lists the bans in force, DELETE lifts one (or
 * all), POST bans by hand. Changes are audited.
 */
export function securityRoutes(app: FastifyInstance, bans: BanControl, store: Store): void {
  app.get(
    "/security/bans",
    { schema: { response: { 200: { type: "array", items: banSchema }, ...errors } } },
    async () => bans.list().map(view),
  );

  app.delete(
    "/security/bans",
    {
      schema: {
        response: { 200: { type: "object", properties: { cleared: { type: "integer" } } }, ...errors },
      },
    },
    async (req) => {
      const cleared = bans.clear();
      await store.audit.append({
        actor: req.actor,
        action: "security.ban-clear",
        customerId: null,
        detail: { cleared },
      });
      return { cleared };
    },
  );

  app.delete<{ Params: { address: string } }>(
    "/security/bans/:address",
    {
      schema: {
        params: addressParams,
        response: { 200: { type: "object", properties: { cleared: { type: "integer" } } }, ...errors },
      },
    },
    async (req) => {
      checkAddress(req.params.address);
      const cleared = bans.clear(req.params.address);
      if (cleared === 0) throw new ApiError(404, "not_found", `no ban on ${req.params.address}`);
      await store.audit.append({
        actor: req.actor,
        action: "security.ban-clear",
        customerId: null,
        detail: { address: req.params.address },
      });
      return { cleared };
    },
  );

  app.post<{ Params: { address: string }; Body: { minutes: number } }>(
    "/security/bans/:address",
    {
      schema: {
        params: addressParams,
        body: {
          type: "object",
          required: ["minutes"],
          additionalProperties: false,
          properties: { minutes: { type: "integer", minimum: 1, maximum: 525_600 } },
        },
        response: { 201: banSchema, ...errors },
      },
    },
    async (req, reply) => {
      checkAddress(req.params.address);
      const ban = bans.banManually(req.params.address, req.body.minutes);
      await store.audit.append({
        actor: req.actor,
        action: "security.ban",
        customerId: null,
        detail: { address: ban.address, minutes: req.body.minutes },
      });
      return reply.code(201).send(view(ban));
    },
  );
}
