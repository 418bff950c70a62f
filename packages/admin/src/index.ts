/**
 * @centrex/admin — the operator's HTTP API (JSON, bearer tokens) and a minimal web console.
 * Every change goes straight to the store, so the running switch applies it on its next lookup.
 */

export type { ApiToken } from "./auth.js";
export type { ApiErrorBody } from "./errors.js";
export { ApiError } from "./errors.js";
export type { OpenApiDocument } from "./openapi.js";
export type { PhoneKeysInput, PhoneOperations, PhoneView, ResyncView } from "./phone-operations.js";
export type { HealthCheck, HealthReport, NodeMonitor } from "./routes/monitoring.js";
export type { BanControl } from "./routes/security.js";
export type { AdminApi, AdminApiOptions } from "./server.js";
export { buildAdminApp, startAdminApi } from "./server.js";
