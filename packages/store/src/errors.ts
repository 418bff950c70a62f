/**
 * Typed store errors. Callers (admin API, CLI, registrar) map them to their own surface:
 * NotFoundError → 404, ConflictError → 409, ValidationError → 400. Each names the field at
 * fault so a message can point at it without parsing text.
 */

export class StoreError extends Error {
  override name = "StoreError";
}

/** The row asked for does not exist (`entity` is the table's concept, `key` what was looked up). */
export class NotFoundError extends StoreError {
  override name = "NotFoundError";
  readonly entity: string;
  readonly key: string;
  constructor(entity: string, key: string | number) {
    super(`${entity} ${String(key)} not found`);
    this.entity = entity;
    this.key = String(key);
  }
}

/** A uniqueness (or other consistency) rule would be broken; `field` names the input field. */
export class ConflictError extends StoreError {
  override name = "ConflictError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** An input value is malformed; `field` names the input field. */
export class ValidationError extends StoreError {
  override name = "ValidationError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * The database file was written by a newer centrex (schema version above what this code
 * knows). Opening it anyway could silently misread or corrupt data, so we refuse.
 */
export class SchemaVersionError extends StoreError {
  override name = "SchemaVersionError";
  readonly found: number;
  readonly supported: number;
  constructor(found: number, supported: number) {
    super(
      `database schema version ${found} is newer than this centrex supports (${supported}); ` +
        "upgrade centrex or open a matching backup",
    );
    this.found = found;
    this.supported = supported;
  }
}
