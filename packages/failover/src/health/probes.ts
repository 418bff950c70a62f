import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { isIPv6 } from "node:net";
import type { FailoverRole, HealthProbe, ProbeResult } from "./types.js";

const ROLES: ReadonlySet<string> = new Set(["primary", "standby", "fenced"]);

/**
 * Probes the peer's health endpoint. Reachable when it answers a JSON status (200 or 503);
 * role and epoch come from the body, which is how a stale primary learns it was replaced.
 */
export function httpHealthProbe(opts: { url: string; timeoutMs?: number; name?: string }): HealthProbe {
  const timeoutMs = opts.timeoutMs ?? 1000;
  return {
    name: opts.name ?? `http ${opts.url}`,
    probe: () =>
      new Promise<ProbeResult>((resolve) => {
        const started = performance.now();
        let settled = false;
        const done = (r: ProbeResult): void => {
          if (settled) return;
          settled = true;
          resolve(r);
        };
        const req = request(opts.url, { method: "GET", timeout: timeoutMs, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            try {
              const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
                role?: unknown;
                epoch?: unknown;
                node?: unknown;
                stalled?: unknown;
                loopLagMs?: unknown;
              };
              // The endpoint answers from a worker thread: the process is up, but its main loop
              // has been silent too long to count as a serving node.
              if (body.stalled === true) {
                done({ reachable: false, error: `main loop silent for ${String(body.loopLagMs)} ms` });
                return;
              }
              const r: ProbeResult = { reachable: true, rttMs: performance.now() - started };
              if (typeof body.node === "string") r.node = body.node;
              if (typeof body.role === "string" && ROLES.has(body.role)) r.role = body.role as FailoverRole;
              if (typeof body.epoch === "number") r.epoch = body.epoch;
              done(r);
            } catch {
              done({ reachable: false, error: `HTTP ${res.statusCode} without a JSON status` });
            }
          });
          res.on("error", (err) => done({ reachable: false, error: err.message }));
        });
        req.on("timeout", () => {
          req.destroy();
          done({ reachable: false, error: "timeout" });
        });
        req.on("error", (err) => done({ reachable: false, error: err.message }));
        req.end();
      }),
  };
}

/**
 * Sends a SIP OPTIONS over UDP and waits for any response with our Call-ID: any status (200, 404,
 * 483…) proves the SIP stack is alive. Retransmits every 250 ms within the timeout (RFC 3261
 * Timer E would start at 500 ms; a health probe wants an answer sooner than Timer F's 32 s).
 */
export function sipOptionsProbe(opts: {
  host: string;
  port: number;
  timeoutMs?: number;
  name?: string;
}): HealthProbe {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const v6 = isIPv6(opts.host);
  const hostPart = v6 ? `[${opts.host}]` : opts.host;
  return {
    name: opts.name ?? `sip ${hostPart}:${opts.port}`,
    probe: () =>
      new Promise<ProbeResult>((resolve) => {
        const sock = createSocket(v6 ? "udp6" : "udp4");
        const callId = `${randomBytes(12).toString("hex")}@centrex-failover`;
        const started = performance.now();
        let resend: NodeJS.Timeout | undefined;
        let timer: NodeJS.Timeout | undefined;
        let settled = false;
        const done = (r: ProbeResult): void => {
          if (settled) return;
          settled = true;
          clearInterval(resend);
          clearTimeout(timer);
          sock.close();
          resolve(r);
        };
        sock.on("error", (err) => done({ reachable: false, error: err.message }));
        sock.on("message", (msg) => {
          const text = msg.toString("latin1");
          if (text.startsWith("SIP/2.0 ") && text.includes(callId))
            done({ reachable: true, rttMs: performance.now() - started });
        });
        // Connecting first makes the kernel pick the local address, so Via names a real one.
        sock.connect(opts.port, opts.host, () => {
          if (settled) return;
          const local = sock.address();
          const localHost = v6 ? `[${local.address}]` : local.address;
          const branch = `z9hG4bK${randomBytes(8).toString("hex")}`;
          const msg = Buffer.from(
            `OPTIONS sip:${hostPart}:${opts.port} SIP/2.0\r\n` +
              `Via: SIP/2.0/UDP ${localHost}:${local.port};branch=${branch};rport\r\n` +
              "Max-Forwards: 70\r\n" +
              `From: <sip:failover-probe@${localHost}>;tag=${randomBytes(6).toString("hex")}\r\n` +
              `To: <sip:${hostPart}:${opts.port}>\r\n` +
              `Call-ID: ${callId}\r\n` +
              "CSeq: 1 OPTIONS\r\n" +
              "Accept: application/sdp\r\n" +
              "Content-Length: 0\r\n\r\n",
            "latin1",
          );
          const send = (): void => sock.send(msg);
          send();
          resend = setInterval(send, 250);
          timer = setTimeout(() => done({ reachable: false, error: "timeout" }), timeoutMs);
        });
      }),
  };
}
