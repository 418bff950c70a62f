import { DESTINATION_CLASSES, type DestinationClass } from "@centrex/dialplan";
import { type BarringOverride, type NumberTarget, type Store, ValidationError } from "@centrex/store";
import type { FastifyInstance } from "fastify";
import { audit, customerOf, type RouteContext } from "../context.js";
import { ApiError, notFound } from "../errors.js";
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

/** Runs a store write, renaming the store's field names to the API's in a ValidationError. */
async function renamingFields<T>(names: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ValidationError && names[err.field] !== undefined) {
      throw new ApiError(400, "invalid", err.message, names[err.field]);
    }
    throw err;
  }
}

async function describeTarget(store: Store, t: NumberTarget | null) {
  if (t === null) return null;
  const row = t.kind === "extension" ? await store.extensions.get(t.id) : await store.ringGroups.get(t.id);
  return { kind: t.kind, id: t.id, number: row.number };
}

const emptyBody = { type: "object", additionalProperties: false, properties: {} } as const;

/**
 * The operator's rules per customer, as the CLI's policy commands: numbers (DIDs), fallback
 * number, emergency location, barring, PIN codes, suspension. Applied live, all audited.
 */
export function policyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.get<{ Params: DomainParams }>(
    "/customers/:domain/numbers",
    {
      schema: { params: domainParams, response: { 200: { type: "array", items: numberSchema }, ...errors } },
    },
    async (req) => {
      const c = await customerOf(store, req.params.domain);
      const out = [];
      for (const n of await store.numbers.listByCustomer(c.id)) {
        out.push({ ...n, target: await describeTarget(store, n.target) });
      }
      return out;
    },
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
    async (req, reply) => {
      const c = await customerOf(store, req.params.domain);
      let target: NumberTarget | null = null;
      const t = req.body.target;
      if (t !== undefined) {
        const row =
          t.kind === "extension"
            ? await store.extensions.find(c.id, t.number)
            : await store.ringGroups.find(c.id, t.number);
        if (row === undefined) {
          throw new ApiError(404, "not_found", `no ${t.kind} ${t.number} in ${c.domain}`, "target.number");
        }
        target = { kind: t.kind, id: row.id };
      }
      const n = await store.numbers.create({
        e164: req.body.e164,
        customerId: c.id,
        target,
        isMain: req.body.main === true,
      });
      await audit(ctx, req, "did.add", c.id, { e164: n.e164, target, main: n.isMain });
      return reply.code(201).send({ ...n, target: await describeTarget(store, n.target) });
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
    async (req) => {
      const c = await customerOf(store, req.params.domain);
      const p = await renamingFields({ fallbackNumber: "e164" }, () =>
        store.policies.update(c.id, { fallbackNumber: req.body.e164 }),
      );
      await audit(ctx, req, "policy.fallback", c.id, { fallbackNumber: req.body.e164 });
      return p;
    },
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
    async (req) => {
      const c = await customerOf(store, req.params.domain);
      const { department, commune } = req.body;
      const p = await renamingFields({ emergencyDepartment: "department", emergencyCommune: "commune" }, () =>
        store.policies.update(c.id, { emergencyDepartment: department, emergencyCommune: commune }),
      );
      await audit(ctx, req, "policy.emergency", c.id, { department, commune });
      return p;
    },
  );

  app.put<{ Params: DomainParams & { class: DestinationClass }; Body: { access: BarringOverride } }>(
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
          properties: { access: { type: "string", enum: ["allow", "pin", "deny"] } },
        },
        response: { 200: policySchema, ...errors },
      },
    },
    async (req) => {
      const c = await customerOf(store, req.params.domain);
      const cls = req.params.class;
      const before = await store.policies.get(c.id);
      const from = before.barringOverrides[cls] ?? "default";
      const p = await store.policies.update(c.id, {
        barringOverrides: { ...before.barringOverrides, [cls]: req.body.access },
      });
      // Rule 19: opening a barred class is recorded with who and when (the entry's actor and at).
      await audit(ctx, req, "policy.barring", c.id, { class: cls, from, to: req.body.access });
      return p;
    },
  );

  app.get<{ Params: DomainParams }>(
    "/customers/:domain/pins",
    { schema: { params: domainParams, response: { 200: { type: "array", items: pinSchema }, ...errors } } },
    async (req) => store.pins.list((await customerOf(store, req.params.domain)).id),
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
          properties: {
            label: { type: "string", minLength: 1, maxLength: 100 },
            code: { type: "string", pattern: "^[0-9]{4}$" },
          },
        },
        response: { 201: pinSchema, ...errors },
      },
    },
    async (req, reply) => {
      const c = await customerOf(store, req.params.domain);
      const p = await renamingFields({ pin: "code" }, () =>
        store.pins.create(c.id, req.body.label, req.body.code),
      );
      await audit(ctx, req, "pin.add", c.id, { label: p.label });
      return reply.code(201).send(p);
    },
  );

  app.delete<{ Params: DomainParams & { label: string } }>(
    "/customers/:domain/pins/:label",
    {
      schema: {
        params: {
          type: "object",
          required: ["domain", "label"],
          properties: { domain: domainParams.properties.domain, label: { type: "string", minLength: 1 } },
        },
        response: { 204: { type: "null" }, ...errors },
      },
    },
    async (req, reply) => {
      const c = await customerOf(store, req.params.domain);
      const p = (await store.pins.list(c.id)).find((x) => x.label === req.params.label);
      if (p === undefined) throw notFound(`PIN "${req.params.label}" of ${c.domain}`);
      await store.pins.delete(p.id);
      await audit(ctx, req, "pin.remove", c.id, { label: p.label });
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
      const { nonPayment, pstn, reason } = req.body;
      if (nonPayment !== true && pstn === undefined) {
        throw new ApiError(400, "invalid", "say nonPayment: true or pstn: partial|total", "pstn");
      }
      const c = await customerOf(store, req.params.domain);
      if (nonPayment === true) await store.customers.update(c.id, { status: "suspended" });
      if (pstn !== undefined) {
        await store.policies.update(c.id, { pstnSuspension: pstn, pstnSuspensionReason: reason ?? null });
      }
      await audit(ctx, req, "customer.suspend", c.id, { nonPayment: nonPayment === true, pstn, reason });
      return { customer: await store.customers.get(c.id), policy: await store.policies.get(c.id) };
    },
  );

  app.post<{ Params: DomainParams }>(
    "/customers/:domain/resume",
    { schema: { params: domainParams, body: emptyBody, response: { 200: statusResponse, ...errors } } },
    async (req) => {
      const c = await customerOf(store, req.params.domain);
      await store.customers.update(c.id, { status: "active" });
      await store.policies.update(c.id, { pstnSuspension: "none", pstnSuspensionReason: null });
      await audit(ctx, req, "customer.resume", c.id, {});
      return { customer: await store.customers.get(c.id), policy: await store.policies.get(c.id) };
    },
  );
}
