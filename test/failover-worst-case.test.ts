import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "./helpers/centrex.js";
import { createPairNetns } from "./helpers/failover-netns.js";
import { requireCommand } from "./helpers/processes.js";

// Issue 13's done-when. A pair on one LAN (each node in its own network namespace, the phones
// in a third, joined by a bridge) shares a service address; baresip phones name the server the
// three ways phones do (`sip:NAME` → NAPTR, `;transport=udp` → SRV, `:5060` → A only). The
// primary is SIGKILLed 200 ms before the phones' next refresh, so that refresh leaves for the
// dead node before anything moved — the case that cost 60–85 s before. Every phone must be
// back, and in a call through the standby, within 10 s; a call to a phone that has not
// re-registered yet must reach it (bindings are replicated). At the moment of the kill a SIPp
// carrier resolves the service name and sends a DID call: its INVITE leaves for the dead node,
// and its retransmission must ring a not yet re-registered phone through the standby. A call
// up through the primary when it dies is closed as interrupted in the standby's records; the
// hang-up after the kill reaches the other phone through the standby, which calls back at once.
//
// The scenario runs inside the phones' namespace (helpers/failover-worst-case-scenario.ts):
// that is where the phones' control sockets and the nodes' addresses are reachable.

test("worst-case kill: phones on NAPTR, SRV and A records all back in calls through the standby within 10 s", async () => {
  requireCommand("baresip", "baresip");
  requireCommand("ip", "iproute2");
  const ns = createPairNetns(`cx13-${process.pid}`);
  const dir = mkdtempSync(join(tmpdir(), "centrex-worst-case-"));
  try {
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns.phones,
        process.execPath,
        "--import",
        "tsx",
        join(ROOT, "test", "helpers", "failover-worst-case-scenario.ts"),
        dir,
        ns.phones,
        ns.a,
        ns.b,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    for (const line of out.split("\n"))
      if (line.startsWith("FIGURE ") || line.startsWith("STEP ")) console.log(`  ${line}`);
    // The scenario's own error first, then the phones' traces it printed after it.
    const at = out.indexOf("SCENARIO FAILED");
    assert.is(code, 0, at >= 0 ? out.slice(at, at + 12_000) : out.slice(-8000));
  } finally {
    ns.delete();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
