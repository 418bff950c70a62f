import type { Socket } from "node:net";
import { connect } from "node:net";
import type { SqliteDatabase } from "@centrex/store";
import type { DnsLogger as FailoverLogger } from "../dns/logger.js";
import { silentLogger } from "../dns/logger.js";
import { FencedError, ReplicationAuthError, ReplicationError, ReplicationProtocolError } from "./errors.js";
import type { SinkState } from "./meta.js";
import {
  ensureReplTables,
  readEpoch,
  readSinkState,
  rotateGeneration,
  writeEpoch,
  writeSinkState,
} from "./meta.js";
import type { Message } from "./protocol.js";
import { FrameReader, MAX_FRAME, mac, macEqual, newNonce, writeFrame } from "./protocol.js";
import type { TableInfo, WireTableChanges } from "./tables.js";
import { applyTableChanges, dropCaptureTriggers, listUserTables } from "./tables.js";

export interface ReplicationSinkOptions {
  /** The standby's store connection (`sqliteHandle(store)`). */
  db: SqliteDatabase;
  secret: string;
  /** The primary's replication listener. */
  host: string;
  port: number;
  /** Delay between reconnection attempts. Default 500 ms. */
  reconnectMs?: number;
  /** Called after each applied batch or snapshot (seq applied). */
  onApplied?: (seq: number) => void;
  /** A connection failed (auth refused, stale source, protocol error); the sink keeps retrying. */
  onError?: (err: Error) => void;
  now?: () => number;
  logger?: FailoverLogger;
}

export interface SinkLag {
  connected: boolean;
  /** Last source seq applied here. */
  appliedSeq: number;
  /** Last source seq known to exist. */
  headSeq: number;
  /** headSeq − appliedSeq. */
  changes: number;
  /**
   * Seconds behind: the age of the oldest change not applied yet; while disconnected, at least
   * the time since the source was last heard from (its changes since then are unknown).
   */
  seconds: number;
}

/**
 * The standby's side of replication: connects to the primary, authenticates (mutual HMAC),
 * resumes from the last applied seq or takes a snapshot, and applies each batch in one
 * transaction together with its position, so a crash never leaves data and position apart.
 * Reconnects until stopped.
 */
export class ReplicationSink {
  readonly #o: ReplicationSinkOptions;
  readonly #db: SqliteDatabase;
  readonly #log: FailoverLogger;
  readonly #now: () => number;
  #socket: Socket | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = true;
  #connected = false;
  #tables = new Map<string, TableInfo>();
  #order: string[] = [];
  #state: SinkState | undefined;
  #head = 0;
  #pendingSince: number | null = null;
  #lastHeard = 0;
  #snapshot: { generation: string; epoch: number; tables: WireTableChanges[] } | undefined;
  #waiters = new Set<() => void>();
  #lastError: Error | undefined;
  #pingId = 0;
  readonly #pongs = new Map<number, number>();

  constructor(opts: ReplicationSinkOptions) {
    this.#o = opts;
    this.#db = opts.db;
    this.#log = opts.logger ?? silentLogger;
    this.#now = opts.now ?? Date.now;
  }

  /** Last connection error (e.g. `ReplicationAuthError` on a wrong secret), if any. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Epoch stored in this node's database (raised by what the primary carries). */
  get epoch(): number {
    return readEpoch(this.#db);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const db = this.#db;
    ensureReplTables(db);
    // Changes applied here are not logged, so anything that followed this database before must
    // resync: drop capture and change our own changelog identity.
    dropCaptureTriggers(db);
    rotateGeneration(db);
    this.#state = readSinkState(db);
    this.#head = this.#state?.seq ?? 0;
    this.#lastHeard = this.#now();
    this.#refreshTables();
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const s = this.#socket;
    this.#socket = undefined;
    this.#connected = false;
    if (s !== undefined && !s.destroyed) {
      await new Promise<void>((r) => {
        s.once("close", () => r());
        s.destroy();
      });
    }
  }

  lag(): SinkLag {
    const applied = this.#state?.seq ?? 0;
    const changes = Math.max(0, this.#head - applied);
    const now = this.#now();
    let seconds = changes > 0 && this.#pendingSince !== null ? (now - this.#pendingSince) / 1000 : 0;
    if (!this.#connected) seconds = Math.max(seconds, (now - this.#lastHeard) / 1000);
    return {
      connected: this.#connected,
      appliedSeq: applied,
      headSeq: this.#head,
      changes,
      seconds: Math.max(0, seconds),
    };
  }

  /**
   * Resolves once this node has applied everything the source had committed when the call was
   * made: asks the source for its head (ping/pong over the link, so no in-flight heartbeat can
   * carry an older head) and waits until that seq is applied. Retries across reconnections.
   */
  waitCaughtUp(timeoutMs: number): Promise<SinkLag> {
    const id = ++this.#pingId;
    let target: number | undefined;
    let askedOn: Socket | undefined;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const s = this.#socket;
        if (!this.#connected || s === undefined) return;
        if (askedOn !== s) {
          askedOn = s;
          target = undefined;
          writeFrame(s, { t: "ping", id });
          return;
        }
        const pong = this.#pongs.get(id);
        if (pong !== undefined) target = pong;
        if (target !== undefined && (this.#state?.seq ?? 0) >= target) {
          done();
          resolve(this.lag());
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new ReplicationError(`standby not caught up after ${timeoutMs} ms (${JSON.stringify(this.lag())})`),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        this.#pongs.delete(id);
      };
      this.#waiters.add(check);
      check();
    });
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  #refreshTables(): void {
    const tables = listUserTables(this.#db);
    this.#tables = new Map(tables.map((t) => [t.name, t]));
    this.#order = tables.map((t) => t.name);
  }

  #fail(err: Error): void {
    this.#lastError = err;
    this.#log.warn({ err }, "replication connection failed");
    this.#o.onError?.(err);
    this.#socket?.destroy();
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = connect({ host: this.#o.host, port: this.#o.port });
    this.#socket = socket;
    socket.setNoDelay(true);
    const reader = new FrameReader();
    let nonce = "";
    let helloNonce = "";
    let authed = false;
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const m of reader.push(chunk)) {
          if (!authed) {
            if (m.t === "hello") {
              helloNonce = String(m.nonce);
              nonce = newNonce();
              const st = this.#state;
              writeFrame(socket, {
                t: "auth",
                nonce,
                mac: mac(this.#o.secret, "sink", m.nonce, nonce),
                generation: st?.generation ?? null,
                seq: st?.seq ?? 0,
                epoch: readEpoch(this.#db),
              });
              continue;
            }
            if (m.t === "denied") {
              const own = readEpoch(this.#db);
              throw m.reason === "fenced"
                ? new FencedError(m.epoch ?? 0, own)
                : new ReplicationAuthError(`primary refused us: ${m.reason}`);
            }
            if (m.t !== "welcome") throw new ReplicationProtocolError(`expected welcome, got ${m.t}`);
            if (
              typeof m.mac !== "string" ||
              !macEqual(m.mac, mac(this.#o.secret, "source", nonce, helloNonce))
            )
              throw new ReplicationAuthError("primary failed authentication");
            this.#checkEpoch(m.epoch);
            authed = true;
            reader.maxFrame = MAX_FRAME;
            this.#connected = true;
            this.#lastHeard = this.#now();
            this.#head = Math.max(this.#head, m.head);
            this.#log.info({ head: m.head, epoch: m.epoch }, "replicating from primary");
            this.#notify();
            continue;
          }
          this.#onMessage(socket, m);
        }
      } catch (err) {
        this.#fail(err as Error);
      }
    });
    socket.on("error", (err) => {
      this.#lastError ??= err;
    });
    socket.on("close", () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#connected = false;
      this.#snapshot = undefined;
      if (!this.#stopped) this.#retry = setTimeout(() => this.#connect(), this.#o.reconnectMs ?? 500);
    });
  }

  /** A source with a lower epoch than ours is a replaced primary: never apply its data. */
  #checkEpoch(sourceEpoch: number): void {
    const own = readEpoch(this.#db);
    if (sourceEpoch < own) throw new FencedError(sourceEpoch, own);
    if (sourceEpoch > own) writeEpoch(this.#db, sourceEpoch);
  }

  #onMessage(socket: Socket, m: Message): void {
    this.#lastHeard = this.#now();
    switch (m.t) {
      case "heartbeat":
        this.#checkEpoch(m.epoch);
        this.#head = Math.max(this.#head, m.head);
        this.#pendingSince = m.pendingSince;
        if (typeof m.pong === "number") this.#pongs.set(m.pong, m.head);
        break;
      case "batch": {
        this.#checkEpoch(m.epoch);
        const st = this.#state;
        if (st === undefined) throw new ReplicationProtocolError("batch before any snapshot");
        if (m.fromSeq !== st.seq)
          throw new ReplicationProtocolError(`batch from ${m.fromSeq}, applied ${st.seq}`);
        this.#apply(m.tables, false, { generation: st.generation, seq: m.toSeq, epoch: m.epoch });
        this.#head = Math.max(this.#head, m.head);
        if (this.#head <= m.toSeq) this.#pendingSince = null;
        writeFrame(socket, { t: "ack", seq: m.toSeq });
        break;
      }
      case "snap-begin":
        this.#checkEpoch(m.epoch);
        this.#snapshot = { generation: m.generation, epoch: m.epoch, tables: [] };
        break;
      case "snap-rows":
        if (this.#snapshot === undefined)
          throw new ReplicationProtocolError("snapshot rows outside a snapshot");
        this.#snapshot.tables.push(m.table);
        break;
      case "snap-end": {
        const snap = this.#snapshot;
        if (snap === undefined) throw new ReplicationProtocolError("snapshot end outside a snapshot");
        this.#snapshot = undefined;
        this.#apply(snap.tables, true, { generation: snap.generation, seq: m.seq, epoch: snap.epoch });
        this.#head = Math.max(this.#head, m.seq);
        this.#pendingSince = null;
        this.#log.info({ seq: m.seq, tables: snap.tables.length }, "snapshot applied");
        writeFrame(socket, { t: "ack", seq: m.seq });
        break;
      }
      default:
        throw new ReplicationProtocolError(`unexpected ${m.t} from the primary`);
    }
    this.#notify();
  }

  #apply(tables: WireTableChanges[], truncate: boolean, next: SinkState): void {
    const db = this.#db;
    if (tables.some((t) => !this.#tables.has(t.tbl))) this.#refreshTables();
    const fk = db.pragma("foreign_keys", { simple: true }) as number;
    db.pragma("foreign_keys = OFF");
    try {
      db.transaction(() => {
        applyTableChanges(db, this.#tables, this.#order, tables, truncate);
        writeSinkState(db, next, this.#now());
      }).immediate();
    } finally {
      if (fk === 1) db.pragma("foreign_keys = ON");
    }
    this.#state = next;
    this.#o.onApplied?.(next.seq);
  }
}
