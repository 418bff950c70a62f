/**
 * SIP messages on the wire (RFC 3261 §7, §20, §25) and URIs (§19).
 *
 * `parseMessage(bytes)` indexes the header lines and checks what every element needs (start
 * line, Call-ID, CSeq, From, To, Via present, Max-Forwards, Content-Length, single-valued
 * headers not repeated); everything else decodes on first access and throws `SipParseError`
 * (status 400, reason naming the header) if malformed. `msg.validate()` decodes it all at once:
 * call it where a message must be fully checked before acting on it (RFC 4475 strictness).
 * `toBuffer()` copies untouched header lines byte for byte.
 */
export * from "../uri/index.js";
export { badRequest, type PartialMessage, SipParseError } from "./errors.js";
export { headerKey } from "./header-names.js";
export { splitList } from "./lex.js";
export { parseNameAddr } from "./name-addr.js";
export { parseMessage } from "./parse.js";
export { reasonPhrase } from "./reason-phrases.js";
export { createRequest, type RequestHead } from "./request.js";
export {
  createErrorResponse,
  createResponse,
  isAckOfLocalResponse,
  newTag,
  type ResponseOptions,
  responseTag,
} from "./response.js";
export type {
  Credentials,
  CSeq,
  NameAddr,
  OtherUri,
  Params,
  SipMessage,
  SipRequest,
  SipResponse,
  SipUri,
  TelUri,
  TransportName,
  Uri,
  Via,
} from "./types.js";
export { parseVia } from "./via.js";
