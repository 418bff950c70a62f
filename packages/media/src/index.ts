export { ControlClient, type ControlFields } from "./control-client.js";
export type { ControlCommand, ControlEvent, ControlRequest, ControlResponse } from "./control-protocol.js";
export { type ControlServer, type ControlServerOptions, startControlServer } from "./control-server.js";
export type {
  CallStats,
  EndpointAddress,
  LatchingMode,
  LegStats,
  MediaController,
  MediaControllerDelegate,
  MediaOptions,
  StreamStats,
} from "./controller.js";
export {
  ControlProtocolError,
  MediaError,
  MediaNodeUnavailableError,
  OfferAnswerError,
  PortsExhaustedError,
  RemoteMediaError,
  SdpParseError,
  UnknownCallError,
} from "./errors.js";
export { ownerComment, ownerStatement, removeStaleTables, staleTables } from "./nft-owner.js";
export { MediaNodePool, type MediaNodePoolOptions } from "./node-pool.js";
export { type BoundPair, bindPair, PortPool } from "./port-pool.js";
export { MediaRelay, type MediaRelayOptions } from "./relay.js";
export { RemoteMediaController, type RemoteMediaControllerOptions } from "./remote-controller.js";
export {
  type Direction,
  isHold,
  parseSdp,
  type RewritePlan,
  rewriteSdp,
  type Sdp,
  type SdpMedia,
} from "./sdp.js";
export {
  type RelayWorkers,
  type RelayWorkersOptions,
  startRelayWorkers,
  WorkerMediaController,
} from "./worker-relay.js";
