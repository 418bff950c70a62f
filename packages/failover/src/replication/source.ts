import type { AddressInfo, Server, Socket } from "node:net";
import { createServer } from "node:net";
import type { SqliteDatabase } from "@centrex/store";
import type { DnsLogger as FailoverLogger } from "../dns/logger.js";
import { silentLogger } from "../dns/logger.js";
import { ReplicationError, ReplicationProtocolError } from "./errors.js";
import { ensureReplTables, readEpoch, rotateGeneration } from "./meta.js";
import type { Message } from "./protocol.js";
import { FrameReader, MAX_FRAME, mac, macEqual, newNonce, writeFrame } from "./protocol.js";
import type { TableInfo } from "./tables.js";
import { dropCaptureTriggers, installCaptureTriggers, readBatch, readSnapshotTables } from "./tables.js";

const SNAPSHOT_CHUNK_ROWS = 5000;

export interface ReplicationSourceOptions {
  /** The primary's store connection (`sqliteHandle(store)`). */
  db: SqliteDatabase;
  /** Shared secret; the standby must hold the same one. */
  secret: string;
  /** Listen address (the replication link; loopback in tests). Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** How often the changelog is checked for new changes. Default 50 ms. */
  pollMs?: number;
  /** Heartbeat period: carries head seq and epoch so the standby can compute its lag. Default 1000 ms. */
  heartbeatMs?: number;
  /** Changelog entries per batch. Default 2000. */
  batchLimit?: number;
  /** Changelog entries kept for a standby that is away; beyond that it resyncs from a snapshot. Default 1e6. */
  maxLogEntries?: number;
  /** The fencing epoch this node serves under. Default: read from the database at each use. */
  epoch?: () => number;
  /** A standby presented a higher epoch: this node was replaced and must stop serving. */
  onFenced?: (peerEpoch: number) => void;
  now?: () => number;
  logger?: FailoverLogger;
}

export interface SourceLag {
  /** Authenticated standbys connected now. */
  sinks: number;
  /** Changelog entries not yet acknowledged by the furthest-behind standby. */
  changes: number;
  /** Age of the oldest change that standby has not acknowledged (0 when caught up). */
  seconds: number;
}

interface Conn {
  socket: Socket;
  reader: FrameReader;
  nonce: string;
  authed: boolean;
  inFlight: boolean;
  sentSeq: number;
  ackedSeq: number;
  authTimer: NodeJS.Timeout | undefined;
}

/**
 * The primary's side of replication: captures every change to every user table (triggers into
 * `_repl_changelog`) and streams them to authenticated standbys, one batch in flight per standby.
 *
 * Starting rotates the changelog generation and empties the log, so a standby that followed an
 * earlier run (or a database since restored from a backup) resynchronises from a snapshot rather
 * than trusting seq numbers that no longer describe the data.
 */
export class ReplicationSource {
  readonly #o: ReplicationSourceOptions;
  readonly #db: SqliteDatabase;
  readonly #log: FailoverLogger;
  readonly #now: () => number;
  readonly #conns = new Set<Conn>();
  #server: Server | undefined;
  #tables = new Map<string, TableInfo>();
  #schemaVersion = -1;
  #generation = "";
  #poll: NodeJS.Timeout | undefined;
  #beat: NodeJS.Timeout | undefined;
  /** Last position acknowledged by any standby: the lag reference while none is connected. */
  #lastAck: number | undefined;

  constructor(opts: ReplicationSourceOptions) {
    this.#o = opts;
    this.#db = opts.db;
    this.#log = opts.logger ?? silentLogger;
    this.#now = opts.now ?? Date.now;
  }

  /** The bound replication listener (after `start`). */
  get address(): AddressInfo {
    const a = this.#server?.address();
    if (a === undefined || a === null || typeof a === "string")
      throw new ReplicationError("source not started");
    return a;
  }

  get generation(): string {
    return this.#generation;
  }

  /** Installs capture and listens; resolves with the bound address. */
  async start(): Promise<AddressInfo> {
    const db = this.#db;
    ensureReplTables(db);
    db.transaction(() => {
      db.prepare("DELETE FROM _repl_changelog").run();
      this.#generation = rotateGeneration(db);
    })();
    this.#refreshTables(true);
    const server = createServer((s) => this.#accept(s));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#o.port ?? 0, this.#o.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#poll = setInterval(() => this.#pump(), this.#o.pollMs ?? 50);
    this.#beat = setInterval(() => this.#heartbeat(), this.#o.heartbeatMs ?? 1000);
    const addr = server.address() as AddressInfo;
    this.#log.info(
      { address: addr.address, port: addr.port, tables: this.#tables.size },
      "replication source up",
    );
    return addr;
  }

  /** Stops listening, closes standby connections and removes the capture triggers. */
  async stop(): Promise<void> {
    clearInterval(this.#poll);
    clearInterval(this.#beat);
    for (const c of this.#conns) this.#drop(c);
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
    if (this.#db.open) dropCaptureTriggers(this.#db);
  }

  /** Last changelog seq assigned. */
  headSeq(): number {
    const v = this.#db
      .prepare("SELECT seq FROM sqlite_sequence WHERE name = '_repl_changelog'")
      .pluck()
      .get();
    return typeof v === "number" ? v : 0;
  }

  lag(): SourceLag {
    let worst: Conn | undefined;
    let sinks = 0;
    for (const c of this.#conns) {
      if (!c.authed) continue;
      sinks++;
      if (worst === undefined || c.ackedSeq < worst.ackedSeq) worst = c;
    }
    const acked = worst?.ackedSeq ?? this.#lastAck;
    if (acked === undefined) return { sinks, changes: 0, seconds: 0 };
    const head = this.headSeq();
    const since = this.#pendingSince(acked);
    return {
      sinks,
      changes: Math.max(0, head - acked),
      seconds: since === null ? 0 : Math.max(0, (this.#now() - since) / 1000),
    };
  }

  #pendingSince(afterSeq: number): number | null {
    const v = this.#db
      .prepare("SELECT at FROM _repl_changelog WHERE seq > ? ORDER BY seq LIMIT 1")
      .pluck()
      .get(afterSeq);
    return typeof v === "number" ? v : null;
  }

  #epoch(): number {
    return this.#o.epoch?.() ?? readEpoch(this.#db);
  }

  /** (Re)installs triggers when the schema changed (a migration added the CDR tables, say). */
  #refreshTables(force: boolean): void {
    const v = this.#db.pragma("schema_version", { simple: true }) as number;
    if (!force && v === this.#schemaVersion) return;
    const tables = installCaptureTriggers(this.#db);
    this.#tables = new Map(tables.map((t) => [t.name, t]));
    this.#schemaVersion = this.#db.pragma("schema_version", { simple: true }) as number;
  }

  #accept(socket: Socket): void {
    socket.setNoDelay(true);
    const c: Conn = {
      socket,
      reader: new FrameReader(),
      nonce: newNonce(),
      authed: false,
      inFlight: false,
      sentSeq: 0,
      ackedSeq: 0,
      authTimer: undefined,
    };
    this.#conns.add(c);
    c.authTimer = setTimeout(() => this.#drop(c), 5000);
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const m of c.reader.push(chunk)) this.#onMessage(c, m);
      } catch (err) {
        this.#log.warn({ err, peer: socket.remoteAddress }, "replication peer dropped");
        this.#drop(c);
      }
    });
    socket.on("error", () => this.#drop(c));
    socket.on("close", () => this.#drop(c));
    writeFrame(socket, { t: "hello", nonce: c.nonce });
  }

  #drop(c: Conn): void {
    clearTimeout(c.authTimer);
    this.#conns.delete(c);
    c.socket.destroy();
  }

  #deny(c: Conn, reason: string, epoch?: number): void {
    clearTimeout(c.authTimer);
    this.#conns.delete(c);
    const msg: Message = epoch === undefined ? { t: "denied", reason } : { t: "denied", reason, epoch };
    writeFrame(c.socket, msg);
    c.socket.end();
  }

  #onMessage(c: Conn, m: Message): void {
    if (!c.authed) {
      if (m.t !== "auth") throw new ReplicationProtocolError(`expected auth, got ${m.t}`);
      if (
        typeof m.nonce !== "string" ||
        typeof m.mac !== "string" ||
        !macEqual(m.mac, mac(this.#o.secret, "sink", c.nonce, m.nonce))
      ) {
        this.#log.warn({ peer: c.socket.remoteAddress }, "replication standby failed authentication");
        this.#deny(c, "authentication failed");
        return;
      }
      const own = this.#epoch();
      if (m.epoch > own) {
        this.#log.error({ own, peer: m.epoch }, "standby carries a higher epoch: this primary is fenced");
        this.#deny(c, "fenced", own);
        this.#o.onFenced?.(m.epoch);
        return;
      }
      clearTimeout(c.authTimer);
      c.authed = true;
      c.reader.maxFrame = MAX_FRAME;
      this.#refreshTables(false);
      const head = this.headSeq();
      writeFrame(c.socket, {
        t: "welcome",
        mac: mac(this.#o.secret, "source", m.nonce, c.nonce),
        generation: this.#generation,
        epoch: own,
        head,
      });
      const first = this.#db.prepare("SELECT min(seq) FROM _repl_changelog").pluck().get() as number | null;
      const firstAvailable = first ?? head + 1;
      if (m.generation === this.#generation && m.seq <= head && m.seq >= firstAvailable - 1) {
        c.sentSeq = c.ackedSeq = m.seq;
        this.#log.info({ from: m.seq, head }, "standby resumes from the changelog");
        this.#pumpConn(c);
      } else {
        this.#sendSnapshot(c);
      }
      return;
    }
    if (m.t === "ack") {
      if (typeof m.seq !== "number") throw new ReplicationProtocolError("ack without seq");
      c.ackedSeq = m.seq;
      this.#lastAck = m.seq;
      c.inFlight = false;
      this.#prune();
      this.#pumpConn(c);
      return;
    }
    if (m.t === "ping") {
      // Answered with the head as of now: the standby's proof of what it must reach.
      this.#pumpConn(c);
      writeFrame(c.socket, { ...this.#beatFor(c), pong: Number(m.id) });
      return;
    }
    throw new ReplicationProtocolError(`unexpected ${m.t} from a standby`);
  }

  #sendSnapshot(c: Conn): void {
    const db = this.#db;
    const epoch = this.#epoch();
    const snap = db.transaction(() => {
      const head = this.headSeq();
      const lastAt = (db.prepare("SELECT max(at) FROM _repl_changelog").pluck().get() as number | null) ?? 0;
      return { head, lastAt, tables: readSnapshotTables(db, [...this.#tables.values()]) };
    })();
    writeFrame(c.socket, { t: "snap-begin", generation: this.#generation, seq: snap.head, epoch });
    // Chunked so no frame grows with the table (six months of call records).
    for (const table of snap.tables) {
      for (let i = 0; i === 0 || i < table.rows.length; i += SNAPSHOT_CHUNK_ROWS)
        writeFrame(c.socket, {
          t: "snap-rows",
          table: { ...table, rows: table.rows.slice(i, i + SNAPSHOT_CHUNK_ROWS) },
        });
    }
    writeFrame(c.socket, { t: "snap-end", seq: snap.head, lastAt: snap.lastAt });
    c.sentSeq = snap.head;
    c.inFlight = true;
    this.#log.info({ seq: snap.head, tables: snap.tables.length }, "snapshot sent to standby");
  }

  #pump(): void {
    if (this.#conns.size === 0) return;
    this.#refreshTables(false);
    for (const c of this.#conns) this.#pumpConn(c);
  }

  #pumpConn(c: Conn): void {
    if (!c.authed || c.inFlight || c.socket.destroyed) return;
    const batch = readBatch(this.#db, this.#tables, c.sentSeq, this.#o.batchLimit ?? 2000);
    if (batch === undefined) return;
    c.inFlight = true;
    c.sentSeq = batch.toSeq;
    writeFrame(c.socket, {
      t: "batch",
      epoch: this.#epoch(),
      head: this.headSeq(),
      headAt: batch.lastAt,
      ...batch,
    });
  }

  #beatFor(c: Conn): Extract<Message, { t: "heartbeat" }> {
    return {
      t: "heartbeat",
      epoch: this.#epoch(),
      head: this.headSeq(),
      headAt: this.#now(),
      pendingSince: this.#pendingSince(c.ackedSeq),
    };
  }

  #heartbeat(): void {
    const head = this.headSeq();
    for (const c of this.#conns) if (c.authed) writeFrame(c.socket, this.#beatFor(c));
    const max = this.#o.maxLogEntries ?? 1_000_000;
    if (head > max) this.#db.prepare("DELETE FROM _repl_changelog WHERE seq <= ?").run(head - max);
  }

  /** Entries every connected standby acknowledged are no longer needed. */
  #prune(): void {
    let min = Number.POSITIVE_INFINITY;
    for (const c of this.#conns) if (c.authed) min = Math.min(min, c.ackedSeq);
    if (Number.isFinite(min)) this.#db.prepare("DELETE FROM _repl_changelog WHERE seq <= ?").run(min);
  }
}
