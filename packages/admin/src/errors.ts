import { BillingError } from "@centrex/billing";
import { OperationError, type OperationErrorKind } from "@centrex/operations";
import { ConflictError, NotFoundError, ValidationError } from "@centrex/store";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** The one error shape every route answers with. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}

/** An error a route raises on purpose, with the HTTP status it maps to. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, "not_found", `${what} not found`);

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** The input field an ajv error is about: "target.kind", "name", "from"… */
function fieldOf(e: AjvError): string {
  const path = e.instancePath.replace(/^\//, "").replaceAll("/", ".");
  const child =
    e.keyword === "required"
      ? e.params.missingProperty
      : e.keyword === "additionalProperties"
        ? e.params.additionalProperty
        : undefined;
  if (typeof child === "string") return path === "" ? child : `${path}.${child}`;
  return path;
}

const BY_STATUS: Record<number, string> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "too_many_requests",
};

/** A rule of the service terms refusing a well-formed request is a 422, not a malformed one (400). */
const OPERATION_STATUS: Record<OperationErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  refused: 422,
};

/** Maps whatever a route threw to `{ error }` JSON; only an unexpected error is a 500, and says nothing of its insides. */
export function toErrorReply(err: unknown, req: FastifyRequest): { status: number; body: ApiErrorBody } {
  const body = (code: string, message: string, field?: string): ApiErrorBody => ({
    error: field === undefined || field === "" ? { code, message } : { code, message, field },
  });
  if (err instanceof ApiError) return { status: err.status, body: body(err.code, err.message, err.field) };
  if (err instanceof OperationError) {
    return { status: OPERATION_STATUS[err.kind], body: body(err.kind, err.message, err.field) };
  }
  if (err instanceof NotFoundError) return { status: 404, body: body("not_found", err.message) };
  if (err instanceof ConflictError) return { status: 409, body: body("conflict", err.message, err.field) };
  if (err instanceof ValidationError) return { status: 400, body: body("invalid", err.message, err.field) };
  if (err instanceof BillingError) return { status: 400, body: body("invalid", err.message, err.field) };
  const fe = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation) && fe.validation.length > 0) {
    const first = fe.validation[0]!;
    const field = fieldOf(first);
    const where = fe.validationContext ?? "request";
    const what = field === "" ? where : `${where} ${field}`;
    return { status: 400, body: body("invalid", `${what}: ${first.message ?? "is invalid"}`, field) };
  }
  const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: body(BY_STATUS[status] ?? "bad_request", fe.message ?? "bad request") };
  }
  req.log.error({ err }, "admin API: unexpected error");
  return { status: 500, body: body("internal", "internal error") };
}

export function sendError(reply: FastifyReply, status: number, body: ApiErrorBody): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}
