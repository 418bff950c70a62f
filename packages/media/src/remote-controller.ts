import { connect, type Socket } from "node:net";
import type { Logger } from "pino";
import { ControlClient, type ControlFields } from "./control-client.js";
import { type ControlCommand, LineSplitter } from "./control-protocol.js";
import { ControlProtocolError, MediaNodeUnavailableError, RemoteMediaError } from "./errors.js";

export interface RemoteMediaControllerOptions {
  host: string;
  port: number;
  /** Per request, connection included. Default 2000 ms. */
  timeoutMs?: number;
  logger?: Logger;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The control API of a media node on another process or machine, over its control server.
 * Connects on first use and again after a loss; a refused connection, a lost one or a
 * request without answer in time rejects with MediaNodeUnavailableError.
 */
export class RemoteMediaController extends ControlClient {
  readonly host: string;
  readonly port: number;
  #timeoutMs: number;
  #log: Logger | undefined;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #closed = false;

  constructor(options: RemoteMediaControllerOptions) {
    super();
    this.host = options.host;
    this.port = options.port;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#log = options.logger;
  }

  get name(): string {
    return `${this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#drop(new MediaNodeUnavailableError(`${this.name}: controller closed`));
  }

  protected async request(command: ControlCommand, fields: ControlFields): Promise<unknown> {
    if (this.#closed) throw new MediaNodeUnavailableError(`${this.name}: controller closed`);
    const id = this.#nextId++;
    const line = `${JSON.stringify({ id, command, ...fields })}\n`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new MediaNodeUnavailableError(`${this.name}: no answer to ${command} in ${this.#timeoutMs} ms`),
        );
        // A node that stops answering is not trusted with the rest of the stream either.
        this.#socket?.destroy();
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#connect().then(
        (socket) => {
          if (this.#pending.has(id)) socket.write(line);
        },
        (err: Error) => this.#settle(id, err),
      );
    });
  }

  #settle(id: number, err: Error | undefined, value?: unknown): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(value);
  }

  #connect(): Promise<Socket> {
    if (this.#socket !== undefined && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    if (this.#connecting !== undefined) return this.#connecting;
    this.#connecting = new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port });
      socket.setEncoding("utf8");
      socket.setNoDelay(true);
      const splitter = new LineSplitter();
      socket.once("connect", () => {
        this.#socket = socket;
        this.#connecting = undefined;
        resolve(socket);
      });
      socket.on("data", (chunk: string) => {
        let lines: string[];
        try {
          lines = splitter.push(chunk);
        } catch (err) {
          socket.destroy(err as Error);
          return;
        }
        for (const l of lines) this.#onLine(l);
      });
      socket.on("error", (err) => {
        this.#log?.warn({ err, node: this.name }, "media control connection error");
        if (this.#connecting !== undefined && this.#socket !== socket) {
          this.#connecting = undefined;
          reject(new MediaNodeUnavailableError(`${this.name}: ${err.message}`));
        }
      });
      socket.on("close", () => {
        if (this.#socket === socket) this.#socket = undefined;
        this.#drop(new MediaNodeUnavailableError(`${this.name}: connection lost`));
      });
    });
    return this.#connecting;
  }

  #drop(err: Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, err);
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #onLine(line: string): void {
    let msg: {
      id?: number;
      ok?: boolean;
      result?: unknown;
      code?: string;
      error?: string;
      event?: string;
      callId?: string;
    };
    try {
      msg = JSON.parse(line);
    } catch {
      this.#log?.warn({ node: this.name }, "media node sent a non-JSON line");
      return;
    }
    if (msg.event === "media-timeout" && typeof msg.callId === "string") {
      this.delegate?.onMediaTimeout(msg.callId);
      return;
    }
    if (typeof msg.id !== "number") return;
    if (msg.ok === true) this.#settle(msg.id, undefined, msg.result);
    else if (msg.ok === false)
      this.#settle(msg.id, new RemoteMediaError(msg.code ?? "internal", msg.error ?? ""));
    else this.#settle(msg.id, new ControlProtocolError("response without ok"));
  }
}
