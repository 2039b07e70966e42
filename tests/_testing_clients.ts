// Real Discord clients (discordeno 21, discord.js 14) wired to a local server, for the testing/ tests.
import { createBot, Intents } from "@discordeno/bot";
import type { DiscordServer } from "../testing/mod.ts";

/** Waits until `check` returns a truthy value, polling; fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  ms = 8000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A gateway event as a client saw it. */
export interface SeenEvent {
  t: string;
  d: Record<string, unknown>;
}

const quiet = () => ({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
});

export const DISCORDENO_INTENTS = Intents.Guilds | Intents.GuildMessages | Intents.MessageContent |
  Intents.GuildMessageReactions;

/** Starts a discordeno bot against the server; `raw` records every dispatch (snake_case). */
export async function startDiscordeno(
  server: DiscordServer,
  opts: { intents?: number; onMessage?: (m: { id: bigint; content?: string }) => void } = {},
) {
  const seen: SeenEvent[] = [];
  const bot = createBot({
    token: server.token,
    intents: opts.intents ?? DISCORDENO_INTENTS,
    rest: { proxy: { baseUrl: server.apiUrl } },
    gateway: { spawnShardDelay: 0 },
    loggerFactory: quiet,
    desiredProperties: {
      message: {
        id: true,
        content: true,
        author: true,
        channelId: true,
        guildId: true,
        messageReference: true,
        webhookId: true,
        components: true,
        attachments: true,
      },
      user: { id: true, username: true, toggles: true },
      interaction: {
        id: true,
        type: true,
        token: true,
        data: true,
        user: true,
        member: true,
        channelId: true,
      },
      channel: { id: true, name: true, parentId: true, type: true },
      member: { id: true, user: true },
    },
    events: {
      raw(data) {
        const p = data as unknown as { t: string | null; d: Record<string, unknown> };
        if (p.t) seen.push({ t: p.t, d: p.d });
      },
      messageCreate(m) {
        opts.onMessage?.(m);
      },
    },
  });
  await bot.start();
  return {
    bot,
    seen,
    /** Dispatches of one type. */
    events(t: string): Record<string, unknown>[] {
      return seen.filter((e) => e.t === t).map((e) => e.d);
    },
    async stop(): Promise<void> {
      await bot.shutdown();
      for (const shard of bot.gateway.shards.values()) {
        // discordeno leaves its 60 s leaky-bucket timer alive after shutdown.
        clearTimeout((shard.bucket as unknown as { timeoutId?: number }).timeoutId);
        shard.stopHeartbeating();
      }
    },
  };
}

/** Starts a discord.js client against the server and waits for it to be ready. */
export async function startDiscordJs(server: DiscordServer, opts: { intents?: number[] } = {}) {
  const { Client, GatewayIntentBits, Events } = await import("discord.js");
  const client = new Client({
    intents: opts.intents ?? [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.GuildMessageReactions,
    ],
    rest: { api: server.apiUrl },
  });
  const seen: SeenEvent[] = [];
  client.on(Events.Raw, (p: { t?: string; d: Record<string, unknown> }) => {
    if (p.t) seen.push({ t: p.t, d: p.d });
  });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(server.token);
  await ready;
  return {
    client,
    seen,
    events(t: string): Record<string, unknown>[] {
      return seen.filter((e) => e.t === t).map((e) => e.d);
    },
    async stop(): Promise<void> {
      await client.destroy();
    },
  };
}
