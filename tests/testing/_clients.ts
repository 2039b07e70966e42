// Real Discord clients (discordeno 21, discord.js 14) wired to a local server, for the testing/ tests.
import { BRIDGE_INTENTS, createDiscordBot, stopDiscordBot } from "../../_discord/gateway.ts";
import type { DiscordServer } from "../../testing/mod.ts";

export { waitFor } from "../_assert.ts";

/** A gateway event as a client saw it. */
export interface SeenEvent {
  t: string;
  d: Record<string, unknown>;
}

/** The intents of the discordeno client: the bridge's. */
export const DISCORDENO_INTENTS: number = BRIDGE_INTENTS;

/**
 * Starts a discordeno bot against the server, made as the bridge makes its own
 * (_discord/gateway.ts `createDiscordBot`); `seen` records every dispatch (snake_case).
 */
export async function startDiscordeno(server: DiscordServer, opts: { intents?: number } = {}) {
  const seen: SeenEvent[] = [];
  const bot = createDiscordBot({
    token: server.token,
    apiUrl: server.apiUrl,
    intents: opts.intents ?? DISCORDENO_INTENTS,
    onDispatch: (t, d) => seen.push({ t, d: d as Record<string, unknown> }),
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
      await stopDiscordBot(bot);
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
