/**
 * The gateway half of the Discord plumbing: one gateway session over discordeno's shard
 * (`@discordeno/gateway`, not the whole bot package: no REST manager, no transformers, no
 * caches), made safe to run unattended. Only the bridge (and tests) load this module; the REST
 * half (`rest.ts`) never imports discordeno, so the hooks, setup and the MCP server stay light.
 *
 * What {@linkcode Gateway} adds to the shard (ARCHITECTURE.md, The gateway session):
 * - dispatches as Discord sends them (snake_case, with their sequence number), nothing
 *   camelised or transformed;
 * - a RESUME of a session saved by an earlier process (`connect(session)`), else an IDENTIFY;
 * - every IDENTIFY goes through `beforeIdentify` (the caller's budget check and the URL of
 *   `GET /gateway/bot`) and is reported by `onIdentify` when its frame goes out;
 * - reconnects after failed attempts wait a capped exponential backoff with jitter (the shard
 *   alone retries in a tight loop while the server is gone), and a connection that never
 *   opened does not turn a pending RESUME into an IDENTIFY;
 * - a fatal close (4004 bad token, 4014 disallowed intent, …) calls `onFatal` instead of
 *   becoming an unhandled rejection that kills the process;
 * - `stop()` closes with a code other than 1000/1001, so Discord keeps the session resumable
 *   for a few minutes, and clears the timers the shard leaves behind.
 *
 * @module
 */
import { DiscordenoShard, ShardState } from "@discordeno/gateway";
// Type-only: Discord's numbers are typed by their enum members (`deno check` holds them to it)
// without loading the package into the bridge (see numbers.ts).
import type { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from "discord-api-types/v10";
import type { Logger } from "../log.ts";

const IDENTIFY: GatewayOpcodes.Identify = 2;
const Close: {
  readonly AuthenticationFailed: GatewayCloseCodes.AuthenticationFailed;
  readonly InvalidShard: GatewayCloseCodes.InvalidShard;
  readonly ShardingRequired: GatewayCloseCodes.ShardingRequired;
  readonly InvalidAPIVersion: GatewayCloseCodes.InvalidAPIVersion;
  readonly InvalidIntents: GatewayCloseCodes.InvalidIntents;
  readonly DisallowedIntents: GatewayCloseCodes.DisallowedIntents;
} = {
  AuthenticationFailed: 4004,
  InvalidShard: 4010,
  ShardingRequired: 4011,
  InvalidAPIVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
};
const Intent: {
  readonly Guilds: GatewayIntentBits.Guilds;
  readonly GuildMessages: GatewayIntentBits.GuildMessages;
  readonly GuildMessageReactions: GatewayIntentBits.GuildMessageReactions;
  readonly MessageContent: GatewayIntentBits.MessageContent;
} = { Guilds: 1, GuildMessages: 512, GuildMessageReactions: 1024, MessageContent: 32768 };

/**
 * The intents the bridge connects with: guilds (channels, threads), their messages and
 * reactions, and message content (privileged: without it, content is empty).
 */
export const BRIDGE_INTENTS: number = Intent.Guilds | Intent.GuildMessages |
  Intent.GuildMessageReactions | Intent.MessageContent;

/**
 * How long after its connection was last open a session is worth a RESUME. Discord keeps a
 * session whose connection ended without a 1000/1001 close "a few minutes"; a RESUME it refuses
 * costs 1 to 5 s and then an IDENTIFY, the same as not trying.
 */
export const RESUME_WINDOW_MS = 10 * 60_000;

/** What a later process needs to RESUME a gateway session. */
export interface GatewaySession {
  /** READY's `session_id`. */
  sessionId: string;
  /** The sequence number of the last dispatch handled. */
  sequence: number;
  /** READY's `resume_gateway_url`. */
  resumeGatewayUrl: string;
  /** When the session's connection was last open (epoch ms). Default: now. */
  aliveAt?: number;
}

/** Options of {@linkcode Gateway}. */
export interface GatewayOptions {
  /** Bot token. */
  token: string;
  /** Gateway intents. Default {@linkcode BRIDGE_INTENTS}. */
  intents?: number;
  /**
   * Called before every IDENTIFY; resolves to the URL to connect to (`GET /gateway/bot`'s
   * `url`). Throwing refuses the IDENTIFY: the gateway stops and `onFatal` gets the error.
   */
  beforeIdentify: () => Promise<string>;
  /** Told when an IDENTIFY frame goes out. */
  onIdentify?: () => void;
  /** Every dispatch, snake_case as sent, with its sequence number. Errors are logged. */
  onDispatch?: (t: string, d: unknown, sequence: number | null) => void;
  /** Told about op 9 Invalid Session (`resumable` is its `d`). */
  onInvalidSession?: (resumable: boolean) => void;
  /** Called once on a fatal close or a refused IDENTIFY; nothing reconnects afterwards. */
  onFatal: (error: Error, closeCode?: number) => void;
  /** Told about every closed connection (before it reconnects). */
  onClose?: (code: number, reason: string) => void;
  /** Told about each delayed reconnect. */
  onBackoff?: (delayMs: number, failures: number) => void;
  /** First reconnect delay after a failed attempt, ms. Default 500. */
  baseDelayMs?: number;
  /** Delay cap, ms. Default 30000. */
  maxDelayMs?: number;
  /** Randomness in [0, 1), for jitter. Default `Math.random`. */
  random?: () => number;
  /**
   * How long after its connection was last open a session is RESUMEd while new connections
   * fail to open; later the shard may IDENTIFY. Default {@linkcode RESUME_WINDOW_MS}.
   */
  resumeWindowMs?: number;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
  /** Receives discordeno's warnings and errors (debug and info are dropped). */
  log?: Logger;
}

/** Close codes after which reconnecting is pointless (ARCHITECTURE.md, Discord facts). */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  Close.AuthenticationFailed,
  Close.InvalidShard,
  Close.ShardingRequired,
  Close.InvalidAPIVersion,
  Close.InvalidIntents,
  Close.DisallowedIntents,
]);

/** The error of a fatal gateway close. */
export class GatewayClosedError extends Error {
  /** The close code. */
  readonly code: number;

  /**
   * Creates the error.
   *
   * @param code The close code.
   * @param reason The close reason Discord gave.
   */
  constructor(code: number, reason = "") {
    super(fatalCloseMessage(code, reason));
    this.name = "GatewayClosedError";
    this.code = code;
  }
}

/** A promise that never settles: a stopped gateway's pending steps wait on it forever. */
const NEVER = new Promise<never>(() => {});

/**
 * One gateway session (one shard of one), connected with {@linkcode Gateway.connect} and ended
 * with {@linkcode Gateway.stop}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Gateway } from "./gateway.ts";
 * import { startDiscordServer } from "../testing/mod.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * const seen: string[] = [];
 * const gateway = new Gateway({
 *   token: server.token,
 *   beforeIdentify: () => Promise.resolve(server.gatewayUrl),
 *   onDispatch: (t) => seen.push(t),
 *   onFatal: (err) => console.error(err),
 * });
 * gateway.connect();
 * while (!seen.includes("GUILD_CREATE")) await new Promise((r) => setTimeout(r, 10));
 * await gateway.stop();
 * assert.deepEqual(seen.slice(0, 2), ["READY", "GUILD_CREATE"]);
 * ```
 */
export class Gateway {
  readonly #o: GatewayOptions;
  readonly #shard: DiscordenoShard;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #failures = 0;
  #healthySinceConnect = false;
  #opened = false;
  /** When a connection of the session was last open (epoch ms). */
  #aliveAt = 0;
  #stopped = false;
  #fatal = false;

  /**
   * Makes the shard (nothing connects before {@linkcode Gateway.connect}).
   *
   * @param options Token, intents, the IDENTIFY hook, listeners, backoff tunables.
   */
  constructor(options: GatewayOptions) {
    this.#o = options;
    const log = options.log;
    const sink = (level: "warn" | "error") => (...args: unknown[]) =>
      log?.[level](`discordeno: ${args.map(describe).join(" ")}`);
    const shard: DiscordenoShard = new DiscordenoShard({
      id: 0,
      connection: {
        compress: false,
        transportCompression: null,
        intents: options.intents ?? BRIDGE_INTENTS,
        properties: { os: Deno.build.os, browser: "claude-discord", device: "claude-discord" },
        token: options.token,
        totalShards: 1,
        url: "",
        version: 10,
      },
      events: {
        connecting: () => void (this.#opened = false),
        connected: () => {
          this.#opened = true;
          this.#aliveAt = this.#now();
        },
        invalidSession: (_shard, resumable) => this.#onInvalidSession(resumable),
      },
      logger: {
        debug: () => {},
        info: () => {},
        warn: sink("warn"),
        error: sink("error"),
        fatal: sink("error"),
      },
      requestIdentify: (): Promise<void> => this.#shard.identify(),
    });
    this.#shard = shard;
    this.#patch(shard);
  }

  /** Consecutive failed connection attempts. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Connects: RESUMEs `session` when given (a refused RESUME, op 9 with `d: false`, becomes an
   * IDENTIFY through `beforeIdentify`), else IDENTIFYs. Returns at once; READY or RESUMED
   * arrive through `onDispatch`.
   *
   * @param session A session saved by an earlier process.
   */
  connect(session?: GatewaySession): void {
    const shard = this.#shard;
    const run = session
      ? (() => {
        this.#aliveAt = session.aliveAt ?? this.#now();
        shard.sessionId = session.sessionId;
        shard.previousSequenceNumber = session.sequence;
        shard.resumeGatewayUrl = session.resumeGatewayUrl;
        return shard.resume();
      })()
      : shard.identify();
    run.catch((err) => this.#fail(err instanceof Error ? err : new Error(String(err))));
  }

  /**
   * Closes the connection (code 3000: Discord keeps the session resumable for a few minutes),
   * stops reconnecting and clears the shard's timers, so the process can exit. Idempotent.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const id of this.#timers) clearTimeout(id);
    this.#timers.clear();
    const shard = this.#shard;
    try {
      await Promise.race([
        shard.shutdown(),
        new Promise((resolve) => setTimeout(resolve, 2000)),
      ]);
    } finally {
      clearTimeout((shard.bucket as unknown as { timeoutId?: number }).timeoutId);
      shard.stopHeartbeating();
    }
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #fail(err: Error, code?: number): void {
    if (this.#fatal || this.#stopped) return;
    this.#fatal = true;
    this.#o.onFatal(err, code);
  }

  #onInvalidSession(resumable: boolean): void {
    try {
      this.#o.onInvalidSession?.(resumable);
    } catch (err) {
      this.#o.log?.error("invalid-session listener failed", err);
    }
  }

  #onPacket(packet: { t?: string | null; s?: number | null; d?: unknown }): void {
    const t = packet.t;
    if (!t) return;
    if (t === "READY" || t === "RESUMED") {
      this.#healthySinceConnect = true;
      this.#failures = 0;
    }
    if (!this.#o.onDispatch) return;
    try {
      this.#o.onDispatch(t, packet.d, packet.s ?? null);
    } catch (err) {
      this.#o.log?.error(`handler for ${t} failed`, err);
    }
  }

  #patch(shard: DiscordenoShard): void {
    const o = this.#o;
    // Raw packets, as sent: the shard would camelise each one for the bot package.
    shard.forwardToBot = (packet) => this.#onPacket(packet as { t?: string; s?: number });

    const identify = shard.identify.bind(shard);
    shard.identify = async () => {
      let url: string;
      try {
        url = await o.beforeIdentify();
      } catch (err) {
        this.#fail(err instanceof Error ? err : new Error(String(err)));
        return await NEVER;
      }
      if (this.#stopped || this.#fatal) return await NEVER;
      // A new session starts at the URL of GET /gateway/bot, not at the old resume URL.
      shard.connection.url = url;
      shard.resumeGatewayUrl = "";
      shard.sessionId = undefined;
      return await identify();
    };

    const send = shard.send.bind(shard);
    shard.send = (message, highPriority) => {
      if ((message.op as number) === IDENTIFY) {
        try {
          o.onIdentify?.();
        } catch (err) {
          o.log?.error("identify listener failed", err);
        }
      }
      return send(message, highPriority);
    };

    const connect = shard.connect.bind(shard);
    shard.connect = async () => {
      if (!this.#healthySinceConnect && this.#failures > 0) {
        const base = o.baseDelayMs ?? 500;
        const ceiling = Math.min(o.maxDelayMs ?? 30_000, base * 2 ** (this.#failures - 1));
        const delay = Math.round(ceiling / 2 + (o.random ?? Math.random)() * ceiling / 2);
        o.onBackoff?.(delay, this.#failures);
        await new Promise<void>((resolve) => {
          const id = setTimeout(() => {
            this.#timers.delete(id);
            resolve();
          }, delay);
          this.#timers.add(id);
        });
      }
      if (this.#stopped || this.#fatal) return await NEVER;
      this.#healthySinceConnect = false;
      return await connect();
    };

    const handleClose = shard.handleClose.bind(shard);
    shard.handleClose = async (close: { code: number; reason?: string }) => {
      if (!this.#healthySinceConnect) this.#failures++;
      else this.#failures = 0;
      this.#healthySinceConnect = false;
      const fatal = FATAL_CLOSE_CODES.has(close.code);
      if (!this.#stopped) {
        try {
          o.onClose?.(close.code, close.reason ?? "");
        } catch {
          // Any failure: a listener must not break reconnecting.
        }
      }
      if (this.#opened) this.#aliveAt = this.#now();
      // The shard alternates RESUME and IDENTIFY after failures; a connection that never
      // opened tells nothing about the session, so while Discord may still keep it a pending
      // RESUME stays a RESUME (an IDENTIFY would spend the budget and lose the missed events).
      const window = this.#o.resumeWindowMs ?? RESUME_WINDOW_MS;
      if (
        !this.#opened && shard.state === ShardState.Resuming &&
        this.#now() - this.#aliveAt < window
      ) {
        shard.state = ShardState.Disconnected;
      }
      try {
        await handleClose(close as CloseEvent);
      } catch (err) {
        // The shard throws on fatal codes from a socket callback: an unhandled rejection.
        if (!fatal) throw err;
      }
      if (fatal) this.#fail(new GatewayClosedError(close.code, close.reason), close.code);
    };
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // a cycle or a BigInt
    return String(value);
  }
}

/**
 * The one-sentence explanation of a fatal gateway close.
 *
 * @param code The close code.
 * @param reason The close reason Discord gave.
 * @returns A sentence naming the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fatalCloseMessage } from "./gateway.ts";
 * assert(fatalCloseMessage(4004).startsWith("Discord rejected the token"));
 * ```
 */
export function fatalCloseMessage(code: number, reason = ""): string {
  switch (code) {
    case Close.AuthenticationFailed:
      return "Discord rejected the token (4004): run setup (`deno task setup`) with the bot's current token";
    case Close.DisallowedIntents:
      return "Discord refused the Message Content intent (4014): turn on MESSAGE CONTENT INTENT " +
        "in the Developer Portal > your application > Bot > Privileged Gateway Intents, then start the bridge again";
    case Close.InvalidIntents:
      return "Discord rejected the gateway intents (4013 Invalid intents): this is a bug, please report it";
    default:
      return `Discord closed the gateway with code ${code}${reason ? ` (${reason})` : ""}: ` +
        "the bridge cannot continue";
  }
}
