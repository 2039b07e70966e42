/**
 * The gateway half of the Discord plumbing: a discordeno bot factory wired to
 * `DISCORD_API_URL`, and a guard against discordeno's reconnect spin and fatal-close
 * rejections. Only the bridge (and tests) load this module; the REST half (`rest.ts`)
 * never imports discordeno, so the hooks, setup and the MCP server stay light.
 *
 * @module
 */
import {
  type Bot,
  type CompleteDesiredProperties,
  createBot,
  type DesiredPropertiesBehavior,
} from "@discordeno/bot";
import { GatewayCloseCodes, GatewayIntentBits } from "discord-api-types/v10";
import type { Logger } from "../log.ts";

/**
 * The intents the bridge connects with: guilds (channels, threads), their messages and
 * reactions, and message content (privileged: without it, content is empty).
 */
export const BRIDGE_INTENTS: number = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages |
  GatewayIntentBits.GuildMessageReactions | GatewayIntentBits.MessageContent;

/** The fields discordeno's transformers keep (every field this package reads). */
export const DESIRED_PROPERTIES = {
  message: {
    id: true,
    content: true,
    author: true,
    channelId: true,
    guildId: true,
    attachments: true,
    messageReference: true,
    webhookId: true,
    timestamp: true,
    editedTimestamp: true,
    type: true,
    components: true,
  },
  user: { id: true, username: true, globalName: true, toggles: true },
  attachment: { id: true, filename: true, size: true, contentType: true, url: true },
  interaction: {
    id: true,
    type: true,
    token: true,
    data: true,
    user: true,
    member: true,
    channelId: true,
    guildId: true,
    message: true,
  },
  channel: { id: true, name: true, parentId: true, type: true, guildId: true },
  member: { id: true, user: true, nick: true },
} as const;

/** The discordeno bot type {@linkcode createDiscordBot} returns. */
export type DiscordBot = Bot<
  CompleteDesiredProperties<typeof DESIRED_PROPERTIES>,
  DesiredPropertiesBehavior.RemoveKey
>;

/** Options of {@linkcode createDiscordBot}. */
export interface DiscordBotOptions {
  /** Bot token. */
  token: string;
  /** REST base without version (`DISCORD_API_URL`). */
  apiUrl: string;
  /** Gateway intents. Default {@linkcode BRIDGE_INTENTS}. */
  intents?: number;
  /** Every gateway dispatch, snake_case as sent. Must not throw (errors are logged). */
  onDispatch?: (t: string, d: unknown) => void;
  /** Receives discordeno's warnings and errors (debug and info are dropped). */
  log?: Logger;
}

/**
 * Creates a discordeno bot wired to `apiUrl` (`rest.proxy.baseUrl`), with
 * `spawnShardDelay: 0` (so `start()` resolves right after READY), the fields of
 * {@linkcode DESIRED_PROPERTIES}, and discordeno's own logging routed to `log`.
 *
 * @param options Token, API base, intents, raw dispatch listener, logger.
 * @returns The bot (not started).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDiscordBot } from "./gateway.ts";
 *
 * const bot = createDiscordBot({
 *   token: btoa("1100000000000000001") + ".x.y",
 *   apiUrl: "http://127.0.0.1:1/api",
 *   onDispatch: (t) => console.log(t),
 * });
 * assert(bot.id === 1100000000000000001n);
 * ```
 */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
  const log = options.log;
  const sink = (level: "warn" | "error") => (...args: unknown[]) =>
    log?.[level](`discordeno: ${args.map(describe).join(" ")}`);
  const logger = {
    debug: () => {},
    info: () => {},
    warn: sink("warn"),
    error: sink("error"),
    fatal: sink("error"),
  };
  const onDispatch = options.onDispatch;
  const bot = createBot({
    token: options.token,
    intents: options.intents ?? BRIDGE_INTENTS,
    rest: { token: options.token, proxy: { baseUrl: options.apiUrl } },
    gateway: { token: options.token, spawnShardDelay: 0 },
    desiredProperties: DESIRED_PROPERTIES,
    loggerFactory: () => logger,
    events: onDispatch
      ? {
        raw(payload) {
          const p = payload as unknown as { t?: string | null; d?: unknown };
          if (!p.t) return;
          try {
            onDispatch(p.t, p.d);
          } catch (err) {
            log?.error(`handler for ${p.t} failed`, err);
          }
        },
      }
      : {},
  }) as DiscordBot;
  // One guild, one shard: no resharding checks (they would call /gateway/bot every 8 h).
  bot.gateway.resharding.enabled = false;
  return bot;
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

/** Close codes after which reconnecting is pointless (ARCHITECTURE.md, Discord facts). */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  GatewayCloseCodes.AuthenticationFailed,
  GatewayCloseCodes.InvalidShard,
  GatewayCloseCodes.ShardingRequired,
  GatewayCloseCodes.InvalidAPIVersion,
  GatewayCloseCodes.InvalidIntents,
  GatewayCloseCodes.DisallowedIntents,
]);

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
    case GatewayCloseCodes.AuthenticationFailed:
      return "Discord rejected the token (4004): run setup (`deno task setup`) with the bot's current token";
    case GatewayCloseCodes.DisallowedIntents:
      return "Discord refused the Message Content intent (4014): turn on MESSAGE CONTENT INTENT " +
        "in the Developer Portal > your application > Bot > Privileged Gateway Intents, then start the bridge again";
    case GatewayCloseCodes.InvalidIntents:
      return "Discord rejected the gateway intents (4013 Invalid intents): this is a bug, please report it";
    default:
      return `Discord closed the gateway with code ${code}${reason ? ` (${reason})` : ""}: ` +
        "the bridge cannot continue";
  }
}

/** Options of {@linkcode guardGateway}. */
export interface GatewayGuardOptions {
  /** Called once on a fatal close (4004, 4010–4014); reconnecting stops. */
  onFatal: (code: number, message: string) => void;
  /** First reconnect delay after a failed attempt, ms. Default 500. */
  baseDelayMs?: number;
  /** Delay cap, ms. Default 30000. */
  maxDelayMs?: number;
  /** Randomness in [0, 1), for jitter. Default `Math.random`. */
  random?: () => number;
  /** Told about each delayed reconnect. */
  onBackoff?: (delayMs: number, failures: number) => void;
  /** Told about every closed connection (before discordeno reconnects). */
  onClose?: (code: number, reason: string) => void;
}

/** What {@linkcode guardGateway} returns. */
export interface GatewayGuard {
  /** Tell the guard the connection works (call on READY and RESUMED). */
  healthy(): void;
  /** Stops pending reconnects (call before `bot.shutdown()`). */
  stop(): void;
  /** Consecutive failed connection attempts. */
  readonly failures: number;
}

/**
 * Makes discordeno's gateway safe to run unattended:
 *
 * - reconnects after failed attempts wait a capped exponential backoff with jitter
 *   (discordeno alone retries in a tight loop while the server is gone);
 * - a fatal close (4004 bad token, 4014 disallowed intent, …) calls `onFatal` instead of
 *   becoming an unhandled rejection that kills the process.
 *
 * Install it before `bot.start()`.
 *
 * @param bot A bot from {@linkcode createDiscordBot}.
 * @param options Fatal-close handler and backoff tunables.
 * @returns Controls: mark healthy, stop.
 *
 * @example
 * ```ts
 * import { createDiscordBot, guardGateway } from "./gateway.ts";
 *
 * const bot = createDiscordBot({ token: btoa("1100000000000000001") + ".x.y", apiUrl: "http://127.0.0.1:1/api" });
 * const guard = guardGateway(bot, { onFatal: (code, message) => console.error(code, message) });
 * guard.stop();
 * ```
 */
export function guardGateway(bot: DiscordBot, options: GatewayGuardOptions): GatewayGuard {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  let failures = 0;
  let connectedSinceOpen = false;
  let stopped = false;
  let fatal = false;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const patched = new WeakSet<object>();
  const events = bot.gateway.events as Record<string, unknown>;
  const previousConnecting = events.connecting as ((shard: unknown) => void) | undefined;

  const patch = (shard: ShardLike) => {
    if (patched.has(shard)) return;
    patched.add(shard);
    const connect = shard.connect.bind(shard);
    shard.connect = async () => {
      if (!connectedSinceOpen && failures > 0) {
        const ceiling = Math.min(max, base * 2 ** (failures - 1));
        const delay = Math.round(ceiling / 2 + random() * ceiling / 2);
        options.onBackoff?.(delay, failures);
        await new Promise<void>((resolve) => {
          const id = setTimeout(() => {
            timers.delete(id);
            resolve();
          }, delay);
          timers.add(id);
        });
      }
      if (stopped || fatal) return await new Promise<never>(() => {});
      connectedSinceOpen = false;
      return await connect();
    };
    const handleClose = shard.handleClose.bind(shard);
    shard.handleClose = async (close: { code: number; reason?: string }) => {
      if (!connectedSinceOpen) failures++;
      else failures = 0;
      connectedSinceOpen = false;
      if (FATAL_CLOSE_CODES.has(close.code)) fatal = true;
      if (!stopped) {
        try {
          options.onClose?.(close.code, close.reason ?? "");
        } catch {
          // Any failure: a listener must not break reconnecting.
        }
      }
      try {
        await handleClose(close);
      } catch (err) {
        // discordeno throws on fatal codes from a socket callback: an unhandled rejection.
        if (!fatal) throw err;
      }
      if (fatal && !stopped) {
        stopped = true;
        options.onFatal(close.code, fatalCloseMessage(close.code, close.reason));
      }
    };
  };

  events.connecting = (shard: ShardLike) => {
    patch(shard);
    previousConnecting?.(shard);
  };
  return {
    healthy() {
      connectedSinceOpen = true;
      failures = 0;
    },
    stop() {
      stopped = true;
      for (const id of timers) clearTimeout(id);
      timers.clear();
    },
    get failures() {
      return failures;
    },
  };
}

interface ShardLike {
  connect(): Promise<unknown>;
  handleClose(close: { code: number; reason?: string }): Promise<void>;
}

/**
 * Shuts a bot down and clears the timers discordeno leaves behind (the 60 s leaky-bucket
 * refill timer and heartbeats), so the process can exit.
 *
 * @param bot The bot.
 *
 * @example
 * ```ts
 * import { createDiscordBot, stopDiscordBot } from "./gateway.ts";
 * const bot = createDiscordBot({ token: btoa("1100000000000000001") + ".x.y", apiUrl: "http://127.0.0.1:1/api" });
 * await stopDiscordBot(bot);
 * ```
 */
export async function stopDiscordBot(bot: DiscordBot): Promise<void> {
  try {
    await bot.shutdown();
  } finally {
    for (const shard of bot.gateway.shards.values()) {
      clearTimeout((shard.bucket as unknown as { timeoutId?: number }).timeoutId);
      shard.stopHeartbeating();
    }
    clearInterval(bot.gateway.resharding.checkIntervalId as number | undefined);
  }
}
