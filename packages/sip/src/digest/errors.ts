/**
 * A WWW-Authenticate / Authorization header value we cannot make sense of. The registrar
 * answers the request with `400` and this reason.
 */
export class AuthHeaderError extends Error {
  override readonly name = "AuthHeaderError";
  readonly status = 400;
  constructor(message: string) {
    super(message);
  }
}
