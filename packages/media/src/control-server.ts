import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import { handleLine } from "./control-dispatch.js";
import { type ControlEvent, LineSplitter } from "./control-protocol.js";
import type { MediaController, MediaControllerDelegate } from "./controller.js";

export interface ControlServerOptions {
  /** The controller requests are applied to (usually a MediaRelay); its delegate is taken over. */
  controller: MediaController;
  address?: string;
  /** 0 picks a free port; read it back with `address()`. */
  port?: number;
  logger?: Logger;
}

export interface ControlServer {
  address(): { address: string; port: number };
  close(): Promise<void>;
}

/** Serves the control API as JSON lines over TCP (see control-protocol.ts and the README). */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { controller, logger } = options;
  const clients = new Set<Socket>();
  const delegate: MediaControllerDelegate = {
    onMediaTimeout(callId) {
      const line = `${JSON.stringify({ event: "media-timeout", callId } satisfies ControlEvent)}\n`;
      for (const c of clients) c.write(line);
    },
  };
  controller.delegate = delegate;

  const server: Server = createServer((socket) => {
    clients.add(socket);
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    const splitter = new LineSplitter();
    socket.on("data", (chunk: string) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (err) {
        logger?.warn({ err }, "control client sent an oversized line");
        socket.destroy();
        return;
      }
      for (const line of lines) {
        void handleLine(controller, line).then(
          (r) => socket.writable && socket.write(`${JSON.stringify(r)}\n`),
        );
      }
    });
    socket.on("error", (err) => logger?.debug({ err }, "control connection error"));
    socket.on("close", () => clients.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.address ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  logger?.info({ address: server.address() }, "media control server listening");

  return {
    address() {
      const a = server.address();
      if (a === null || typeof a === "string") throw new Error("control server is not listening");
      return { address: a.address, port: a.port };
    },
    close() {
      if (controller.delegate === delegate) controller.delegate = undefined;
      for (const c of clients) c.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
