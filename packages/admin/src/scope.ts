import type { FastifyRequest } from "fastify";
import { ApiError } from "./errors.js";

/*
 * What a customer administrator's token may do (service terms): read everything about its own
 * customer (extensions, numbers, policy, PIN labels, call records — rule 12 "the customer can
 * obtain the detail of their calls"), manage its users (extensions), ask for PIN codes (rule
 * 18), give its fallback number (rule 22) and declare its location for emergency calls (rule
 * 15), and end its own customer's calls in progress. Barring (rule 19: the operator opens a
 * barred class on written request), suspension, numbers, carriers, bans, invoices and the
 * audit log stay with the operator.
 */
const CUSTOMER_ROUTES = new Set([
  "GET /customers",
  "GET /console/session",
  "GET /console/classes",
  "GET /console/state",
  "GET /console/events",
  "GET /console/calls-per-hour",
  "GET /cdrs/search",
  "GET /customers/:domain",
  "GET /customers/:domain/summary",
  "GET /customers/:domain/policy",
  "GET /customers/:domain/extensions",
  "POST /customers/:domain/extensions",
  "PATCH /customers/:domain/extensions/:number",
  "PUT /customers/:domain/extensions/:number/password",
  "DELETE /customers/:domain/extensions/:number",
  "GET /customers/:domain/numbers",
  "GET /customers/:domain/pins",
  "POST /customers/:domain/pins",
  "PUT /customers/:domain/pins/:label",
  "DELETE /customers/:domain/pins/:label",
  "PUT /customers/:domain/fallback",
  "PUT /customers/:domain/emergency",
  "GET /customers/:domain/cdrs",
  "POST /calls/:callId/hangup",
]);

/**
 * Refuses (403) a customer token's request for another customer or for an operator's route.
 * Runs before validation, so another customer's data is refused whatever the body says.
 */
export function checkCustomerScope(req: FastifyRequest, customer: string): void {
  const route = req.routeOptions.url;
  if (route === undefined) return; // no such route: the 404 handler answers
  if (
    !CUSTOMER_ROUTES.has(`${req.method} ${route}`) &&
    !(req.method === "HEAD" && CUSTOMER_ROUTES.has(`GET ${route}`))
  ) {
    throw new ApiError(
      403,
      "forbidden",
      `this token administers ${customer} only: ${req.method} ${route} is the operator's`,
    );
  }
  const domain = (req.params as { domain?: unknown }).domain;
  if (typeof domain === "string" && domain.toLowerCase() !== customer) {
    throw new ApiError(403, "forbidden", `this token administers ${customer} only, not ${domain}`, "domain");
  }
}
