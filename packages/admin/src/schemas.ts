/*
 * JSON schemas shared by the routes. Bodies reject unknown properties (a typo must not be
 * silently ignored); responses list their fields, so nothing else (a PIN hash, an HA1, a
 * carrier password) can leak into an answer even if the store starts returning it.
 */

export const errorResponse = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, field: { type: "string" } },
    },
  },
} as const;

/** The 4xx answers a route may give, all of the same shape. */
export const errors = { "4xx": errorResponse, "5xx": errorResponse } as const;

const nullable = (type: string) => ({ type: [type, "null"] }) as const;

export const domainParams = {
  type: "object",
  required: ["domain"],
  properties: { domain: { type: "string", minLength: 1, maxLength: 253 } },
} as const;

/** "suspended" as soon as any suspension is in force; `suspensions` says which, why, since when. */
export const customerSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    domain: { type: "string" },
    status: { type: "string" },
    suspensions: {
      type: "array",
      items: {
        type: "object",
        properties: { kind: { type: "string" }, reason: nullable("string"), since: nullable("integer") },
      },
    },
    createdAt: { type: "integer" },
  },
} as const;

export const extensionSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    customerId: { type: "integer" },
    number: { type: "string" },
    displayName: { type: "string" },
    enabled: { type: "boolean" },
    hasPassword: { type: "boolean" },
    registered: { type: "integer" },
    createdAt: { type: "integer" },
  },
} as const;

export const numberSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    e164: { type: "string" },
    target: {
      type: ["object", "null"],
      properties: { kind: { type: "string" }, id: { type: "integer" }, number: { type: "string" } },
    },
    isMain: { type: "boolean" },
    createdAt: { type: "integer" },
  },
} as const;

export const policySchema = {
  type: "object",
  properties: {
    customerId: { type: "integer" },
    emergencyDepartment: nullable("string"),
    emergencyCommune: nullable("string"),
    barringOverrides: { type: "object", additionalProperties: { type: "string" } },
    pstnSuspension: { type: "string" },
    pstnSuspensionReason: nullable("string"),
    pstnSuspendedAt: nullable("integer"),
    nonPaymentSince: nullable("integer"),
    nonPaymentReason: nullable("string"),
    fallbackNumber: nullable("string"),
    telecomProfessional: { type: "boolean" },
    deliveryDate: nullable("string"),
    updatedAt: { type: "integer" },
  },
} as const;

export const customerDetailSchema = {
  type: "object",
  properties: {
    customer: customerSchema,
    policy: policySchema,
    extensions: { type: "integer" },
    numbers: { type: "integer" },
    pins: { type: "array", items: { type: "string" } },
  },
} as const;

export const pinSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    label: { type: "string" },
    createdAt: { type: "integer" },
    updatedAt: { type: "integer" },
  },
} as const;

export const carrierSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    host: { type: "string" },
    port: { type: "integer" },
    transport: { type: "string" },
    username: nullable("string"),
    hasPassword: { type: "boolean" },
    numberFormat: { type: "string" },
    priority: { type: "integer" },
    weight: { type: "integer" },
    enabled: { type: "boolean" },
    register: { type: "boolean" },
    routes: {
      type: "array",
      items: { type: "object", properties: { id: { type: "integer" }, prefix: { type: "string" } } },
    },
    /** How each running node sees the carrier (written by the switch as it changes). */
    health: {
      type: "array",
      items: {
        type: "object",
        properties: {
          node: { type: "string" },
          state: { type: "string", enum: ["up", "demoted"] },
          reason: nullable("string"),
          since: { type: "integer" },
          registration: nullable("string"),
        },
      },
    },
    createdAt: { type: "integer" },
  },
} as const;

export const auditSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    at: { type: "integer" },
    actor: { type: "string" },
    action: { type: "string" },
    customerId: nullable("integer"),
    detail: {},
  },
} as const;

export const E164 = "^\\+[1-9][0-9]{6,14}$";
export const DAY = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
export const MONTH = "^[0-9]{4}-(0[1-9]|1[0-2])$";
