import { execFile } from "node:child_process";
import { requireBinary } from "./binary.js";

export interface KdigResult {
  status: string;
  flags: string[];
  answers: string[];
  authority: string[];
  additional: string[];
  raw: string;
}

/**
 * Queries a loopback server with kdig (Knot's dig: an independent DNS implementation) and splits its
 * `+nocomments`-free output into sections of "name ttl class type rdata" lines.
 */
export function kdig(
  port: number,
  name: string,
  type: string,
  extra: readonly string[] = [],
): Promise<KdigResult> {
  const bin = requireBinary("kdig", "knot-dnsutils");
  const args = ["@127.0.0.1", "-p", String(port), name, type, "+retry=0", "+time=3", ...extra];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: "utf8", timeout: 10_000 }, (err, stdout, stderr) => {
      if (err !== null && stdout === "") {
        reject(new Error(`kdig ${args.join(" ")} failed: ${stderr || err.message}`));
        return;
      }
      resolve(parseKdig(stdout));
    });
  });
}

function parseKdig(out: string): KdigResult {
  const status = /status: (\w+)/.exec(out)?.[1] ?? "";
  const flags = (/;; Flags: ([^;]*);/.exec(out)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
  const sections: Record<string, string[]> = { answer: [], authority: [], additional: [] };
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    const header = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header !== null) {
      current = sections[header[1]!.toLowerCase()];
      continue;
    }
    if (line.startsWith(";;") || line.trim() === "") {
      if (line.trim() === "" || line.startsWith(";; ")) current = line.trim() === "" ? undefined : current;
      continue;
    }
    current?.push(line.trim().replace(/\s+/g, " "));
  }
  return {
    status,
    flags,
    answers: sections.answer ?? [],
    authority: sections.authority ?? [],
    additional: sections.additional ?? [],
    raw: out,
  };
}
