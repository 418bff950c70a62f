import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.js";
import { ApiError } from "../errors.js";
import { errors } from "../schemas.js";
import { loadConsoleAssets } from "./assets.js";
import { callsPerHour } from "./calls-per-hour.js";
import type { LiveFeed } from "./live-feed.js";
import type { LiveState } from "./live-state.js";

/** The console's files: public (the page asks for a token and sends it with every API call). */
export const CONSOLE_PUBLIC_ROUTES = [
  "GET /",
  "HEAD /",
  "GET /console/console.js",
  "HEAD /console/console.js",
  "GET /console/console.css",
  "HEAD /console/console.css",
];

/**
 * GET / and its script and style; GET /console/state (the live state once, JSON) and
 * GET /console/events (the same pushed as server-sent events whenever it changes). A customer
 * administrator's token gets its own customer's state only.
 */
export function consoleRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
  state: LiveState,
  feed: LiveFeed,
): void {
  const assets = loadConsoleAssets();
  const serve = (path: string, name: string): void => {
    const a = assets.get(name)!;
    app.get(path, { schema: { response: errors } }, async (_req, reply) =>
      reply
        .type(a.type)
        .header("cache-control", "no-store")
        // The page loads nothing from anywhere else and runs no inline script.
        .header(
          "content-security-policy",
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
        .header("x-content-type-options", "nosniff")
        .send(a.body),
    );
  };
  serve("/", "index.html");
  serve("/console/console.js", "console.js");
  serve("/console/console.css", "console.css");

  /** The customer id a scoped token sees, or undefined for the operator. */
  const scopeOf = async (domain: string | null): Promise<number | undefined> =>
    domain === null ? undefined : (await ctx.ops.customer(domain)).id;

  app.get(
    "/console/session",
    {
      schema: {
        response: {
          200: {
            type: "object",
            properties: { actor: { type: "string" }, customer: { type: ["string", "null"] } },
          },
          ...errors,
        },
      },
    },
    async (req) => ({ actor: req.actor, customer: req.customerScope }),
  );

  /** The destination classes with their label and default access (rule 19), for the barring table. */
  app.get(
    "/console/classes",
    {
      schema: {
        response: {
          200: {
            type: "array",
            items: {
              type: "object",
              properties: {
                class: { type: "string" },
                label: { type: "string" },
                defaultAccess: { type: "string" },
              },
            },
          },
          ...errors,
        },
      },
    },
    async () =>
      Object.entries(ctx.ops.plan.classes).map(([cls, info]) => ({
        class: cls,
        label: info.label,
        defaultAccess: info.defaultAccess,
      })),
  );

  app.get(
    "/console/state",
    { schema: { response: { 200: { type: "object", additionalProperties: true }, ...errors } } },
    async (req) => state.snapshot(await scopeOf(req.customerScope)),
  );

  /** The calls-per-hour chart: the last 24 UTC hours from the call records (a customer's own). */
  app.get(
    "/console/calls-per-hour",
    {
      schema: {
        response: {
          200: {
            type: "array",
            items: {
              type: "object",
              required: ["hour", "calls", "answered"],
              properties: {
                hour: { type: "string" },
                calls: { type: "integer" },
                answered: { type: "integer" },
              },
            },
          },
          ...errors,
        },
      },
    },
    async (req) => callsPerHour(ctx.store, Date.now(), await scopeOf(req.customerScope)),
  );

  app.get("/console/events", { schema: { response: errors } }, async (req, reply) => {
    const customerId = await scopeOf(req.customerScope);
    if (feed.full) throw new ApiError(503, "busy", "too many live consoles open; retry later");
    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
    feed.subscribe(reply.raw, customerId);
  });
}
