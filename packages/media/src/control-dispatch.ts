import type { ControlRequest, ControlResponse } from "./control-protocol.js";
import type { MediaController } from "./controller.js";
import { ControlProtocolError, MediaError } from "./errors.js";

/** Parses one JSON line and applies it; never throws: failures become error responses. */
export async function handleLine(controller: MediaController, line: string): Promise<ControlResponse> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { id: 0, ok: false, code: "protocol", error: "request is not JSON" };
  }
  return handleRequest(controller, value);
}

/** Applies one decoded request (from a socket line or an IPC message). */
export async function handleRequest(controller: MediaController, value: unknown): Promise<ControlResponse> {
  let id = 0;
  try {
    const req = checkRequest(value);
    id = req.id;
    return { id, ok: true, result: await dispatch(controller, req) };
  } catch (err) {
    const code = err instanceof MediaError ? err.code : "internal";
    return { id, ok: false, code, error: err instanceof Error ? err.message : String(err) };
  }
}

function checkRequest(value: unknown): ControlRequest {
  if (typeof value !== "object" || value === null) throw new ControlProtocolError("request is not an object");
  const req = value as Partial<ControlRequest>;
  if (typeof req.id !== "number") throw new ControlProtocolError("request has no numeric id");
  if (typeof req.command !== "string") throw new ControlProtocolError("request has no command");
  return req as ControlRequest;
}

function need(req: ControlRequest, key: "callId" | "tag" | "sdp"): string {
  const v = req[key];
  if (typeof v !== "string") throw new ControlProtocolError(`${req.command}: "${key}" must be a string`);
  return v;
}

function dispatch(controller: MediaController, req: ControlRequest): Promise<unknown> {
  switch (req.command) {
    case "offer":
      return controller.offer(need(req, "callId"), need(req, "tag"), need(req, "sdp"), req.options);
    case "answer":
      return controller.answer(need(req, "callId"), need(req, "tag"), need(req, "sdp"), req.options);
    case "delete":
      return controller.delete(need(req, "callId"));
    case "query":
      return controller.query(need(req, "callId"));
    case "list":
      return controller.list();
    case "ping":
      return controller.ping().then(() => null);
    default:
      throw new ControlProtocolError(`unknown command ${JSON.stringify(req.command)}`);
  }
}
