/**
 * Entry point of a relay worker process (forked by startRelayWorkers). It runs one MediaRelay
 * over its slice of the port range and takes control requests over the IPC channel; the
 * packets themselves never cross processes.
 */
import { handleRequest } from "./control-dispatch.js";
import type { ControlEvent } from "./control-protocol.js";
import { MediaRelay, type MediaRelayOptions } from "./relay.js";

const options = JSON.parse(process.env.CENTREX_MEDIA_WORKER ?? "{}") as MediaRelayOptions;
const relay = new MediaRelay({
  ...options,
  delegate: {
    onMediaTimeout(callId) {
      process.send?.({ event: "media-timeout", callId } satisfies ControlEvent);
    },
  },
});

process.on("message", (msg: unknown) => {
  void handleRequest(relay, msg).then((r) => process.send?.(r));
});
// The parent went away: a worker must not outlive it holding ports.
process.on("disconnect", () => {
  void relay.close().then(() => process.exit(0));
});
process.send?.({ event: "ready" });
