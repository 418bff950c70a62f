import type { Carrier, CarrierTransport, NumberFormat, Store } from "@centrex/store";
import type { FastifyInstance } from "fastify";
import { audit, type RouteContext } from "../context.js";
import { notFound } from "../errors.js";
import { carrierSchema, errors } from "../schemas.js";

interface NewCarrierBody {
  name: string;
  host: string;
  port?: number;
  transport?: CarrierTransport;
  username?: string;
  password?: string;
  numberFormat?: NumberFormat;
  priority?: number;
  weight?: number;
}

const nameParams = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", minLength: 1, maxLength: 100 } },
} as const;

/** The carrier as shown: its password stays in the store (only whether one is set). */
async function view(store: Store, c: Carrier) {
  const routes = (await store.carriers.listRoutes(c.id)).map((r) => ({ id: r.id, prefix: r.prefix }));
  return { ...c, password: undefined, hasPassword: c.password !== null, routes };
}

async function byName(store: Store, name: string): Promise<Carrier> {
  const c = await store.carriers.findByName(name);
  if (c === undefined) throw notFound(`carrier ${name}`);
  return c;
}

/** SIP trunks to PSTN carriers and the prefixes each takes (the trunk reloads them on its own). */
export function carrierRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.get(
    "/carriers",
    { schema: { response: { 200: { type: "array", items: carrierSchema }, ...errors } } },
    async () => {
      const out = [];
      for (const c of await store.carriers.list()) out.push(await view(store, c));
      return out;
    },
  );

  app.post<{ Body: NewCarrierBody }>(
    "/carriers",
    {
      schema: {
        body: {
          type: "object",
          required: ["name", "host"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 100 },
            host: { type: "string", minLength: 1, maxLength: 253 },
            port: { type: "integer", minimum: 1, maximum: 65535 },
            transport: { type: "string", enum: ["udp", "tcp", "tls"] },
            username: { type: "string", maxLength: 200 },
            password: { type: "string", maxLength: 200 },
            numberFormat: { type: "string", enum: ["e164", "national"] },
            priority: { type: "integer", minimum: 0, maximum: 65535 },
            weight: { type: "integer", minimum: 0, maximum: 65535 },
          },
        },
        response: { 201: carrierSchema, ...errors },
      },
    },
    async (req, reply) => {
      const c = await store.carriers.create(req.body);
      await audit(ctx, req, "carrier.add", null, {
        name: c.name,
        host: c.host,
        port: c.port,
        transport: c.transport,
      });
      return reply.code(201).send(await view(store, c));
    },
  );

  app.delete<{ Params: { name: string } }>(
    "/carriers/:name",
    { schema: { params: nameParams, response: { 204: { type: "null" }, ...errors } } },
    async (req, reply) => {
      const c = await byName(store, req.params.name);
      await store.carriers.delete(c.id);
      await audit(ctx, req, "carrier.remove", null, { name: c.name });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { name: string }; Body: { prefix: string } }>(
    "/carriers/:name/routes",
    {
      schema: {
        params: nameParams,
        body: {
          type: "object",
          required: ["prefix"],
          additionalProperties: false,
          // E.164 digits, an optional "+", or "any"/"" for every destination.
          properties: { prefix: { type: "string", pattern: "^(any|\\+?[0-9]{0,15})$" } },
        },
        response: { 201: carrierSchema, ...errors },
      },
    },
    async (req, reply) => {
      const c = await byName(store, req.params.name);
      const prefix = req.body.prefix === "any" ? "" : req.body.prefix.replace(/^\+/, "");
      await store.carriers.addRoute(c.id, prefix);
      await audit(ctx, req, "carrier.route", null, { name: c.name, prefix });
      return reply.code(201).send(await view(store, c));
    },
  );
}
