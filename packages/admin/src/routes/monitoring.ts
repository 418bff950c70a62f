import type { FastifyInstance } from "fastify";
import type { OpenApiCollector } from "../openapi.js";
import { errors } from "../schemas.js";

/** One thing /health looked at. */
export interface HealthCheck {
  readonly ok: boolean;
  readonly detail?: string;
  readonly [extra: string]: unknown;
}

/** What /health answers: `ok` is every check's `ok`; 503 when false. */
export interface HealthReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, HealthCheck>>;
}

/** The running node as the monitoring routes see it (given by the switch). */
export interface NodeMonitor {
  health(): Promise<HealthReport>;
  metrics(): Promise<{ contentType: string; text: string }>;
}

/** The routes that answer without a token (monitoring systems, the console page). */
export const MONITORING_ROUTES = ["GET /health", "HEAD /health", "GET /metrics", "GET /openapi.json"];

const healthSchema = {
  type: "object",
  required: ["ok", "checks"],
  properties: {
    ok: { type: "boolean" },
    checks: {
      type: "object",
      additionalProperties: {
        type: "object",
        required: ["ok"],
        properties: { ok: { type: "boolean" }, detail: { type: "string" } },
        additionalProperties: true,
      },
    },
  },
} as const;

/**
 * GET /health (what was checked, 503 when something is wrong), GET /metrics (Prometheus text),
 * GET /openapi.json (this API, from the route schemas). Without a monitor (the API alone, in
 * tests), /health checks only that the API answers and /metrics is 404.
 */
export function monitoringRoutes(
  app: FastifyInstance,
  monitor: NodeMonitor | undefined,
  openapi: OpenApiCollector,
): void {
  app.get(
    "/health",
    { schema: { response: { 200: healthSchema, 503: healthSchema, ...errors } } },
    async (_req, reply) => {
      const report: HealthReport = monitor
        ? await monitor.health()
        : { ok: true, checks: { api: { ok: true, detail: "answering" } } };
      return reply.code(report.ok ? 200 : 503).send(report);
    },
  );
  if (monitor !== undefined) {
    app.get(
      "/metrics",
      { schema: { response: { 200: { type: "string" }, ...errors } } },
      async (_req, reply) => {
        const m = await monitor.metrics();
        return reply.type(m.contentType).header("cache-control", "no-store").send(m.text);
      },
    );
  }
  app.get(
    "/openapi.json",
    { schema: { response: { 200: { type: "object" }, ...errors } } },
    async (_req, reply) =>
      reply.type("application/json; charset=utf-8").send(JSON.stringify(openapi.document())),
  );
}
