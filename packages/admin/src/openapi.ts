import type { FastifyInstance, RouteOptions } from "fastify";

/**
 * The OpenAPI 3.1 document of the admin API, generated from the JSON schemas every route
 * already declares (params, querystring, body, responses), so it cannot drift from what the
 * server validates. Collected by an onRoute hook: `collectOpenApi` must be called before the
 * routes are added. OpenAPI 3.1 schemas are JSON Schema, so each schema goes in unchanged.
 */
export interface OpenApiCollector {
  document(): OpenApiDocument;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  components: { securitySchemes: Record<string, unknown> };
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, unknown>>;
}

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

interface Collected {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

export function collectOpenApi(
  app: FastifyInstance,
  info: { version: string; publicRoutes: ReadonlySet<string> },
): OpenApiCollector {
  const routes: Collected[] = [];
  app.addHook("onRoute", (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD" || route.url.includes("*")) continue;
      routes.push({ method, url: route.url, schema: (route.schema ?? {}) as Record<string, unknown> });
    }
  });
  return {
    document: () => build(routes, info),
  };
}

function build(routes: Collected[], info: { version: string; publicRoutes: ReadonlySet<string> }) {
  const doc: OpenApiDocument = {
    openapi: "3.1.0",
    info: {
      title: "centrex admin API",
      version: info.version,
      description:
        "The operator's HTTP API. Every route but the public ones needs `Authorization: Bearer <token>` " +
        "(admin.tokens in the configuration). Errors are JSON: { error: { code, message, field? } }.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths: {},
  };
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    };
    if (info.publicRoutes.has(`${r.method} ${r.url}`)) op.security = [];
    const parameters = [
      ...toParameters(r.schema.params as JsonSchema | undefined, "path"),
      ...toParameters(r.schema.querystring as JsonSchema | undefined, "query"),
    ];
    if (parameters.length > 0) op.parameters = parameters;
    if (r.schema.body !== undefined) {
      op.requestBody = { required: true, content: { "application/json": { schema: r.schema.body } } };
    }
    op.responses = toResponses(r.schema.response as Record<string, unknown> | undefined);
    doc.paths[path] ??= {};
    doc.paths[path][r.method.toLowerCase()] = op;
  }
  return doc;
}

function toParameters(schema: JsonSchema | undefined, where: "path" | "query") {
  if (schema?.properties === undefined) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: s,
  }));
}

function toResponses(response: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(response ?? {})) {
    const code = status.toUpperCase(); // OpenAPI writes ranges as 4XX
    out[code] = {
      description: code.startsWith("2") ? "success" : "error",
      content: { "application/json": { schema } },
    };
  }
  if (Object.keys(out).length === 0) out.default = { description: "see the route" };
  return out;
}
