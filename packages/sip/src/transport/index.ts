export {
  CONTENT_LENGTH_INVALID,
  CONTENT_LENGTH_MISSING,
  readContentLength,
} from "./content-length.js";
export { FramingError, type FramingFault, TransportError } from "./errors.js";
export { buildMinimalResponse } from "./minimal-response.js";
export { responseTarget, type ViaForRouting } from "./response-target.js";
export { DEFAULT_MAX_MESSAGE_SIZE, type FramerSink, StreamFramer } from "./stream-framer.js";
export { type TlsClientOptions, TransportLayer, type TransportOptions } from "./transport-layer.js";
export type {
  BoundAddress,
  InboundSource,
  LayerTransport,
  ListenSpec,
  SendTarget,
  StreamTransport,
  TlsMaterial,
  TransportDelegate,
  TransportStats,
} from "./types.js";
