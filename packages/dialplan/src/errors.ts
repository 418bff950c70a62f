/** A data file (numbering plan, emergency table) is malformed; `path` names the offending key. */
export class DialplanDataError extends Error {
  override readonly name = "DialplanDataError";
  constructor(
    readonly source: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${source}: ${path ? `${path}: ` : ""}${problem}`);
  }
}

/** An administrator operation on a customer policy was rejected (bad PIN, forbidden transition…). */
export class PolicyChangeError extends Error {
  override readonly name = "PolicyChangeError";
}
