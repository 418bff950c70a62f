import type { ControlCommand, ControlRequest } from "./control-protocol.js";
import type { CallStats, MediaController, MediaControllerDelegate, MediaOptions } from "./controller.js";

/** The fields of a control request other than its id and command. */
export type ControlFields = Omit<ControlRequest, "id" | "command">;

/**
 * The control API spoken to a relay that lives elsewhere (another machine over
 * TCP, or a worker process): every method is one request/response; the
 * subclass only says how a request travels.
 */
export abstract class ControlClient implements MediaController {
  delegate: MediaControllerDelegate | undefined;

  protected abstract request(command: ControlCommand, fields: ControlFields): Promise<unknown>;
  abstract close(): Promise<void>;

  offer(callId: string, fromTag: string, sdp: string, opts?: MediaOptions): Promise<string> {
    return this.request("offer", { callId, tag: fromTag, sdp, options: opts }) as Promise<string>;
  }

  answer(callId: string, toTag: string, sdp: string, opts?: MediaOptions): Promise<string> {
    return this.request("answer", { callId, tag: toTag, sdp, options: opts }) as Promise<string>;
  }

  delete(callId: string): Promise<boolean> {
    return this.request("delete", { callId }) as Promise<boolean>;
  }

  query(callId: string): Promise<CallStats> {
    return this.request("query", { callId }) as Promise<CallStats>;
  }

  list(): Promise<string[]> {
    return this.request("list", {}) as Promise<string[]>;
  }

  async ping(): Promise<void> {
    await this.request("ping", {});
  }
}
