/**
 * @centrex/admin — the operator's HTTP API (JSON, bearer tokens) and the web console (live state
 * over server-sent events; every action goes through the same API routes).
 * Every change goes straight to the store, so the running switch applies it on its next lookup.
 */

export type { BanControl, BanView, PhoneView, ResyncView } from "@centrex/operations";
export type { ApiToken } from "./auth.js";
export type {
  LiveCallSource,
  LiveCarrier,
  LiveNode,
  LiveSnapshot,
  LiveSources,
} from "./console/live-state.js";
export type { ApiErrorBody } from "./errors.js";
export { ApiError } from "./errors.js";
export type { OpenApiDocument } from "./openapi.js";
export type { PhoneService } from "./phone-service.js";
export type { HealthCheck, HealthReport, NodeMonitor } from "./routes/monitoring.js";
export type { AdminApi, AdminApiOptions } from "./server.js";
export { buildAdminApp, startAdminApi } from "./server.js";
