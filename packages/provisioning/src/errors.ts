/** Provisioning's typed errors; each names what the operator must fix. */

export class ProvisioningError extends Error {
  override name = "ProvisioningError";
}

/**
 * A template or a family manifest is wrong, or a value cannot be written into it: names the
 * template (family/file) and the key, so the fix is a one-line edit of a data file.
 */
export class TemplateError extends ProvisioningError {
  override name = "TemplateError";
  readonly template: string;
  readonly key: string;
  constructor(template: string, key: string, problem: string) {
    super(`template ${template}: key "${key}": ${problem}`);
    this.template = template;
    this.key = key;
  }
}

/**
 * Bad operator input (unknown model, malformed MAC…): `field` names the argument; `status` is
 * the HTTP status an API answers with (400 bad value, 404 unknown name, 409 already assigned).
 */
export class PhoneInputError extends ProvisioningError {
  override name = "PhoneInputError";
  readonly field: string;
  readonly status: 400 | 404 | 409;
  constructor(field: string, message: string, status: 400 | 404 | 409 = 400) {
    super(message);
    this.field = field;
    this.status = status;
  }
}
