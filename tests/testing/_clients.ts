// Real Discord clients (discordeno 21, discord.js 14) wired to a local server, for the testing/ tests.
import {
  type Bot,
  type CompleteDesiredProperties,
  createBot,
  type DesiredPropertiesBehavior,
} from "@discordeno/bot";
import { BRIDGE_INTENTS } from "../../_discord/gateway.ts";
import type { DiscordServer } from "../../testing/mod.ts";

export { waitFor } from "../_assert.ts";

/** A gateway event as a client saw it. */
export interface SeenEvent {
  t: string;
  d: Record<string, unknown>;
}

/** The intents of the discordeno client: the bridge's. */
export const DISCORDENO_INTENTS: number = BRIDGE_INTENTS;

/** The fields discordeno's transformers keep (every field the tests read). */
const DESIRED_PROPERTIES = {
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

type DiscordenoBot = Bot<
  CompleteDesiredProperties<typeof DESIRED_PROPERTIES>,
  DesiredPropertiesBehavior.RemoveKey
>;

/**
 * Starts a whole discordeno bot (`@discordeno/bot`: gateway, REST helpers, transformers)
 * against the server: `rest.proxy.baseUrl` is the server's API, `spawnShardDelay: 0` lets
 * `start()` resolve right after READY; `seen` records every dispatch (snake_case).
 */
export async function startDiscordeno(server: DiscordServer, opts: { intents?: number } = {}) {
  const seen: SeenEvent[] = [];
  const quiet = { debug() {}, info() {}, warn() {}, error() {}, fatal() {} };
  const bot = createBot({
    token: server.token,
    intents: opts.intents ?? DISCORDENO_INTENTS,
    rest: { token: server.token, proxy: { baseUrl: server.apiUrl } },
    gateway: { token: server.token, spawnShardDelay: 0 },
    desiredProperties: DESIRED_PROPERTIES,
    loggerFactory: () => quiet,
    events: {
      raw(payload) {
        const p = payload as unknown as { t?: string | null; d?: unknown };
        if (p.t) seen.push({ t: p.t, d: p.d as Record<string, unknown> });
      },
    },
  }) as DiscordenoBot;
  // One guild, one shard: no resharding checks.
  bot.gateway.resharding.enabled = false;
  await bot.start();
  return {
    bot,
    seen,
    /** Dispatches of one type. */
    events(t: string): Record<string, unknown>[] {
      return seen.filter((e) => e.t === t).map((e) => e.d);
    },
    async stop(): Promise<void> {
      try {
        await bot.shutdown();
      } finally {
        // discordeno leaves its 60 s leaky-bucket timer and the heartbeat behind.
        for (const shard of bot.gateway.shards.values()) {
          clearTimeout((shard.bucket as unknown as { timeoutId?: number }).timeoutId);
          shard.stopHeartbeating();
        }
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
