/** A node's role in the pair. `fenced`: a former primary that saw a higher epoch and must not serve. */
export type FailoverRole = "primary" | "standby" | "fenced";

/** What a node says about itself on its health endpoint (and what probes read back). */
export interface HealthStatus {
  node: string;
  role: FailoverRole;
  epoch: number;
  /** Anything else worth exposing (replication lag, uptime…). */
  [extra: string]: unknown;
}

/** One probe's view of the peer. `role`/`epoch` are known only from probes that carry them (HTTP). */
export interface ProbeResult {
  reachable: boolean;
  /** The peer's node name (HTTP): breaks a tie between two primaries of the same epoch. */
  node?: string;
  role?: FailoverRole;
  epoch?: number;
  rttMs?: number;
  error?: string;
}

/**
 * One vantage on the peer: a way to ask "is it alive?" from somewhere. The controller treats a
 * round as missed only when no vantage saw a serving primary, so a standby whose own link is
 * down does not take over alone when another vantage (a probe relayed from a third host) still
 * sees the primary.
 */
export interface HealthProbe {
  readonly name: string;
  probe(): Promise<ProbeResult>;
}
