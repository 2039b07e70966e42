// Gateway v10 over WebSocket: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE (several
// sessions per token, sharded or not; the IDENTIFY budget of `_identify_budget.ts`), RESUME
// with a per-session replay buffer, INVALID_SESSION, and fault injection.
import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from "discord-api-types/v10";
import type { DiscordState, DispatchInfo } from "./_state.ts";
import type { Message } from "./_types.ts";
import type { ConnectionRecord, SessionRecord } from "./_gateway_types.ts";
import {
  type GatewayStats,
  IdentifyBudget,
  type IdentifyBudgetOptions,
} from "./_identify_budget.ts";

export type { ConnectionRecord, SessionRecord } from "./_gateway_types.ts";

const PRIVILEGED = GatewayIntentBits.MessageContent | GatewayIntentBits.GuildMembers |
  GatewayIntentBits.GuildPresences;
const VALID_INTENTS = (1 << 26) - 1;
const SESSION_INVALIDATING_CLOSE = new Set([4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014]);

interface Frame {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

interface Session {
  id: string;
  intents: number;
  shard: [number, number];
  seq: number;
  buffer: Frame[];
  conn?: Conn;
  invalid: boolean;
  disconnectedAt?: number;
  record: SessionRecord;
}

interface Conn {
  ws: WebSocket;
  session?: Session;
  zombie: boolean;
  drop?: () => void;
  record: ConnectionRecord;
}

/** Options of {@linkcode Gateway}. */
export interface GatewayOptions {
  state: DiscordState;
  heartbeatIntervalMs: number;
  /** The `resume_gateway_url` sent in READY. */
  resumeUrl: () => string;
  /** How long a disconnected session stays resumable. Default 5 minutes. */
  resumeWindowMs?: number;
  /** Replay buffer size per session. Default 5000 events. */
  bufferSize?: number;
  /** The IDENTIFY budget (see `_identify_budget.ts`). */
  identifyBudget?: IdentifyBudgetOptions;
  /** Clock of the budget. Default `Date.now`. */
  now?: () => number;
}

/** The gateway half of the server. */
export class Gateway {
  readonly #opts: GatewayOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #conns = new Set<Conn>();
  #connId = 0;
  connections: ConnectionRecord[] = [];
  /** The token's IDENTIFY budget and what each token did. */
  readonly budget: IdentifyBudget;

  constructor(opts: GatewayOptions) {
    this.#opts = opts;
    this.budget = new IdentifyBudget(opts.identifyBudget, opts.now);
    opts.state.dispatch = (t, d, info) => this.dispatch(t, d, info);
  }

  get #state(): DiscordState {
    return this.#opts.state;
  }

  /** Upgrades an HTTP request to a gateway connection. */
  upgrade(req: Request, drop?: () => void): Response {
    const url = new URL(req.url);
    const { socket, response } = Deno.upgradeWebSocket(req);
    const record: ConnectionRecord = {
      id: ++this.#connId,
      path: url.pathname + url.search,
      openedAt: new Date().toISOString(),
      identified: false,
      resumed: false,
      heartbeats: 0,
    };
    this.connections.push(record);
    const conn: Conn = { ws: socket, zombie: false, drop, record };
    socket.onopen = () => {
      this.#conns.add(conn);
      const v = url.searchParams.get("v");
      if (v !== null && v !== "10" && v !== "9") {
        return this.#close(conn, GatewayCloseCodes.InvalidAPIVersion, "Invalid API version.");
      }
      const enc = url.searchParams.get("encoding");
      if (enc !== null && enc !== "json") {
        return this.#close(conn, GatewayCloseCodes.DecodeError, "Error while decoding payload.");
      }
      this.#send(conn, {
        op: GatewayOpcodes.Hello,
        d: { heartbeat_interval: this.#opts.heartbeatIntervalMs, _trace: ["local-discord"] },
        s: null,
        t: null,
      });
    };
    socket.onmessage = (ev) => this.#onMessage(conn, ev.data);
    socket.onclose = (ev) => this.#onClose(conn, ev.code);
    socket.onerror = () => {};
    return response;
  }

  #send(conn: Conn, frame: Frame): void {
    if (conn.zombie || conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(JSON.stringify(frame));
  }

  #close(conn: Conn, code: number, reason: string): void {
    if (conn.record.closedBy === undefined) conn.record.closedBy = "server";
    // The code the server chose is the record's, even while the client has not answered the
    // close frame yet (a client that drops the socket instead never completes the handshake).
    conn.record.closeCode ??= code;
    if (conn.session && SESSION_INVALIDATING_CLOSE.has(code)) this.#invalidate(conn.session);
    try {
      conn.ws.close(code, reason);
    } catch {
      // Any failure: the socket is closing or closed already.
    }
  }

  #invalidate(session: Session): void {
    session.invalid = true;
    session.record.invalidated = true;
  }

  #onClose(conn: Conn, code: number): void {
    this.#conns.delete(conn);
    conn.record.closedAt = new Date().toISOString();
    conn.record.closeCode ??= code;
    conn.record.closedBy ??= "client";
    const s = conn.session;
    if (s && s.conn === conn) {
      s.conn = undefined;
      s.record.connected = false;
      s.disconnectedAt = Date.now();
      // A client that closes with 1000/1001 ends its session, as on Discord.
      if (conn.record.closedBy === "client" && (code === 1000 || code === 1001)) {
        this.#invalidate(s);
      }
    }
  }

  #onMessage(conn: Conn, raw: unknown): void {
    if (conn.zombie) return;
    let frame: { op?: unknown; d?: unknown };
    try {
      if (typeof raw !== "string") throw new SyntaxError("binary frame");
      frame = JSON.parse(raw);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      return this.#close(conn, GatewayCloseCodes.DecodeError, "Error while decoding payload.");
    }
    switch (frame.op) {
      case GatewayOpcodes.Heartbeat:
        conn.record.heartbeats++;
        return this.#send(conn, { op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
      case GatewayOpcodes.Identify:
        return this.#identify(conn, frame.d as Record<string, unknown>);
      case GatewayOpcodes.Resume:
        return this.#resume(conn, frame.d as Record<string, unknown>);
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestGuildMembers:
      case GatewayOpcodes.RequestSoundboardSounds:
        if (!conn.session) {
          return this.#close(conn, GatewayCloseCodes.NotAuthenticated, "Not authenticated.");
        }
        return;
      default:
        return this.#close(conn, GatewayCloseCodes.UnknownOpcode, "Unknown opcode.");
    }
  }

  #tokenOk(token: unknown): boolean {
    if (typeof token !== "string") return false;
    return token.replace(/^Bot /, "") === this.#state.token;
  }

  #identify(conn: Conn, d: Record<string, unknown> | undefined): void {
    if (conn.session) {
      return this.#close(conn, GatewayCloseCodes.AlreadyAuthenticated, "Already authenticated.");
    }
    if (!d || !this.#tokenOk(d.token)) {
      return this.#close(conn, GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
    }
    const intents = d.intents;
    if (
      typeof intents !== "number" || !Number.isInteger(intents) || (intents & ~VALID_INTENTS) !== 0
    ) {
      return this.#close(conn, GatewayCloseCodes.InvalidIntents, "Invalid intent(s).");
    }
    if ((intents & GatewayIntentBits.MessageContent) && !this.#state.messageContentIntent) {
      return this.#close(conn, GatewayCloseCodes.DisallowedIntents, "Disallowed intent(s).");
    }
    void PRIVILEGED;
    const shard = shardOf(d.shard);
    if (!shard) return this.#close(conn, GatewayCloseCodes.InvalidShard, "Invalid shard.");
    const verdict = this.budget.identify(shard[0]);
    if (verdict === "tooFast") {
      return this.#send(conn, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
    }
    if (verdict === "exhausted") return this.#exhausted(conn);
    const st = this.#state;
    const id = crypto.randomUUID().replaceAll("-", "");
    const record: SessionRecord = {
      sessionId: id,
      intents,
      shard,
      seq: 0,
      connected: true,
      invalidated: false,
      identifies: 1,
      resumes: 0,
      replayed: 0,
      bufferedEvents: [],
    };
    const session: Session = {
      id,
      intents,
      shard,
      seq: 0,
      buffer: [],
      conn,
      invalid: false,
      record,
    };
    this.#sessions.set(id, session);
    conn.session = session;
    conn.record.identified = true;
    conn.record.sessionId = id;
    this.#dispatchTo(session, "READY", {
      v: 10,
      user: { ...st.bot, verified: true, mfa_enabled: false, flags: 0, email: null },
      guilds: onShard(st.guildId, shard) ? [{ id: st.guildId, unavailable: true }] : [],
      session_id: id,
      session_type: "normal",
      resume_gateway_url: this.#opts.resumeUrl(),
      shard,
      application: { id: st.applicationId, flags: this.appFlags() },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      user_settings: {},
      geo_ordered_rtc_regions: [],
      auth: {},
      _trace: ["local-discord"],
    });
    if ((intents & GatewayIntentBits.Guilds) && onShard(st.guildId, shard)) {
      this.#dispatchTo(session, "GUILD_CREATE", st.guildCreate());
    }
  }

  /**
   * An IDENTIFY found the budget spent: every session of the token ends (close 4004) and the
   * token is reset, as Discord documents it (see `_identify_budget.ts`).
   */
  #exhausted(conn: Conn): void {
    this.#close(conn, GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
    for (const s of this.#sessions.values()) this.#invalidate(s);
    for (const c of [...this.#conns]) {
      if (c.session) {
        this.#close(c, GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
      }
    }
    this.#state.resetToken();
    this.budget.tokenReset();
  }

  /** The budget, sessions and what each token did, for the control API. */
  stats(): GatewayStats {
    const alive = [...this.#sessions.values()].filter((s) => !s.invalid);
    return {
      sessionStartLimit: this.budget.sessionStartLimit(),
      sessionsConnected: alive.filter((s) => s.conn).length,
      sessionsAlive: alive.length,
      tokenResets: this.budget.tokens.length - 1,
      tokens: structuredClone(this.budget.tokens),
    };
  }

  /** The application flags (message content intent). */
  appFlags(): number {
    return this.#state.messageContentIntent ? 1 << 19 : 0;
  }

  #resume(conn: Conn, d: Record<string, unknown> | undefined): void {
    if (!d || !this.#tokenOk(d.token)) {
      return this.#close(conn, GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
    }
    const session = typeof d.session_id === "string" ? this.#sessions.get(d.session_id) : undefined;
    const window = this.#opts.resumeWindowMs ?? 300_000;
    const expired = session?.disconnectedAt !== undefined && !session.conn &&
      Date.now() - session.disconnectedAt > window;
    const seq = typeof d.seq === "number" ? d.seq : 0;
    const oldest = session?.buffer[0]?.s ?? (session ? session.seq + 1 : 0);
    if (!session || session.invalid || expired || seq > session.seq || seq + 1 < oldest) {
      if (session && expired) this.#invalidate(session);
      this.budget.resume(false);
      return this.#send(conn, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
    }
    if (session.conn && session.conn !== conn) {
      const old = session.conn;
      session.conn = undefined;
      this.#close(old, GatewayCloseCodes.UnknownError, "Session resumed elsewhere.");
    }
    this.budget.resume(true);
    session.conn = conn;
    session.disconnectedAt = undefined;
    session.record.connected = true;
    session.record.resumes++;
    conn.session = session;
    conn.record.resumed = true;
    conn.record.sessionId = session.id;
    for (const f of session.buffer) {
      if ((f.s ?? 0) > seq) {
        this.#send(conn, f);
        session.record.replayed++;
      }
    }
    this.#dispatchTo(session, "RESUMED", { _trace: ["local-discord"] });
  }

  #dispatchTo(session: Session, t: string, d: unknown): void {
    const frame: Frame = { op: GatewayOpcodes.Dispatch, d, s: ++session.seq, t };
    session.record.seq = session.seq;
    session.buffer.push(frame);
    const max = this.#opts.bufferSize ?? 5000;
    if (session.buffer.length > max) session.buffer.splice(0, session.buffer.length - max);
    session.record.bufferedEvents.push(t);
    if (session.record.bufferedEvents.length > 200) session.record.bufferedEvents.shift();
    if (session.conn) this.#send(session.conn, frame);
  }

  /**
   * Sends an event to every session that may receive it: each session of the token (several
   * may have the same shard) whose intents take it and whose shard the event's guild falls in
   * (`(guild_id >> 22) % num_shards`; events without a guild go to shard 0).
   */
  dispatch(t: string, d: Record<string, unknown>, info: DispatchInfo): void {
    const guild = typeof d.guild_id === "string" ? d.guild_id : undefined;
    for (const s of this.#sessions.values()) {
      if (s.invalid) continue;
      if (info.intent && !(s.intents & info.intent)) continue;
      if (!onShard(guild, s.shard)) continue;
      let data: Record<string, unknown> = d;
      if (info.message && !this.#mayReadContent(s, info.message)) {
        data = { ...d, content: "", embeds: [], attachments: [], components: [] };
      }
      this.#dispatchTo(s, t, data);
    }
  }

  #mayReadContent(s: Session, m: Message): boolean {
    const botId = this.#state.bot.id;
    if ((s.intents & GatewayIntentBits.MessageContent) && this.#state.messageContentIntent) {
      return true;
    }
    return m.author.id === botId || m.mentions.some((u) => u.id === botId);
  }

  /** Number of live, identified connections. */
  liveSessions(): number {
    return [...this.#conns].filter((c) => c.session && !c.zombie).length;
  }

  /** Session records (for the state). */
  sessions(): SessionRecord[] {
    return [...this.#sessions.values()].map((s) => ({
      ...s.record,
      bufferedEvents: [...s.record.bufferedEvents],
    }));
  }

  /** Closes every live connection with `code` (default 4000). */
  closeAll(code = 4000, reason = "Closed by the local server."): number {
    const conns = [...this.#conns];
    for (const c of conns) this.#close(c, code, reason);
    return conns.length;
  }

  /** Cuts every live connection at the TCP level (no close frame: the client sees 1006). */
  dropAll(): number {
    const conns = [...this.#conns];
    for (const c of conns) {
      c.record.closedBy = "drop";
      if (c.drop) c.drop();
      else this.#close(c, GatewayCloseCodes.UnknownError, "dropped");
    }
    return conns.length;
  }

  /** Sends op 7 Reconnect to every live connection. */
  requestReconnect(): number {
    const conns = [...this.#conns];
    for (const c of conns) {
      this.#send(c, { op: GatewayOpcodes.Reconnect, d: null, s: null, t: null });
    }
    return conns.length;
  }

  /** Sends op 9 to every identified connection; a non-resumable one ends the session. */
  invalidateSessions(resumable: boolean): number {
    const conns = [...this.#conns].filter((c) => c.session);
    for (const c of conns) {
      const s = c.session!;
      if (!resumable) this.#invalidate(s);
      this.#send(c, { op: GatewayOpcodes.InvalidSession, d: resumable, s: null, t: null });
      // The connection is no longer authenticated: events wait in the session
      // buffer until the client resumes (or identifies) on this or a new connection.
      c.session = undefined;
      if (s.conn === c) {
        s.conn = undefined;
        s.disconnectedAt = Date.now();
        s.record.connected = false;
      }
    }
    return conns.length;
  }

  /** Makes every live connection a zombie: no ACKs, nothing sent (events stay buffered). */
  stopAcks(): number {
    const conns = [...this.#conns];
    for (const c of conns) c.zombie = true;
    return conns.length;
  }

  /** Invalidates every session silently (their next RESUME is refused with op 9). */
  expireSessions(): number {
    let n = 0;
    for (const s of this.#sessions.values()) {
      if (!s.invalid) n++;
      this.#invalidate(s);
    }
    return n;
  }

  /** Forgets closed connection records; live sessions stay (a connected bot keeps working). */
  reset(): void {
    this.connections = this.connections.filter((c) => c.closedAt === undefined);
  }
}

/** `[shard_id, num_shards]` of an IDENTIFY (`[0, 1]` without one), or undefined when invalid. */
function shardOf(raw: unknown): [number, number] | undefined {
  if (raw === undefined || raw === null) return [0, 1];
  if (!Array.isArray(raw) || raw.length !== 2) return undefined;
  const [id, n] = raw;
  if (!Number.isInteger(id) || !Number.isInteger(n) || n < 1 || id < 0 || id >= n) {
    return undefined;
  }
  return [id, n];
}

/**
 * Whether a guild's events go to a shard: `(guild_id >> 22) % num_shards` (Sharding
 * Formula); events without a guild go to shard 0.
 */
function onShard(guildId: string | undefined, [id, shards]: [number, number]): boolean {
  if (guildId === undefined) return id === 0;
  return Number((BigInt(guildId) >> 22n) % BigInt(shards)) === id;
}
