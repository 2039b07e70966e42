// _discord/gateway.ts against the local Discord server: the bot factory and the gateway guard
// (fatal closes, backoff).
import {
  createDiscordBot,
  fatalCloseMessage,
  guardGateway,
  stopDiscordBot,
} from "../../_discord/gateway.ts";
import { createLogger } from "../../log.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

Deno.test("bot: the factory reaches the gateway through DISCORD_API_URL and hands over raw dispatches", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using dir = await tempDir("gateway-test-");
  const home = dir.path;
  const log = createLogger(`${home}/x.log`);
  const seen: string[] = [];
  const bot = createDiscordBot({
    token: server.token,
    apiUrl: server.apiUrl,
    log,
    onDispatch(t, d) {
      if (t === "MESSAGE_CREATE") {
        seen.push((d as { content: string }).content);
        throw new Error("a handler that throws");
      }
    },
  });
  const guard = guardGateway(bot, { onFatal: () => {} });
  try {
    await bot.start();
    guard.healthy();
    await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "one",
    });
    await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "two",
    });
    await waitFor("two messages", () => seen.length === 2);
    assertEquals(seen, ["one", "two"]);
    assert(Deno.readTextFileSync(`${home}/x.log`).includes("handler for MESSAGE_CREATE failed"));
  } finally {
    guard.stop();
    await stopDiscordBot(bot);
  }
});

Deno.test("guard: a fatal close calls onFatal once and stops reconnecting", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const bot = createDiscordBot({ token: server.token, apiUrl: server.apiUrl });
  const fatal: Array<[number, string]> = [];
  const guard = guardGateway(bot, { onFatal: (code, message) => fatal.push([code, message]) });
  try {
    await bot.start();
    guard.healthy();
    server.fault({ kind: "close", code: 4004 });
    await waitFor("onFatal", () => fatal.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(fatal, [[4004, fatalCloseMessage(4004)]]);
    const identifies = server.state().gatewayConnections.length;
    assertEquals(identifies, 1, "no reconnect after a fatal close");
  } finally {
    guard.stop();
    await stopDiscordBot(bot);
  }
});

Deno.test("guard: failed reconnects back off exponentially (capped) instead of spinning", async () => {
  const server = await startDiscordServer({ port: 0 });
  const bot = createDiscordBot({ token: server.token, apiUrl: server.apiUrl });
  const delays: number[] = [];
  const guard = guardGateway(bot, {
    onFatal: () => {},
    baseDelayMs: 100,
    maxDelayMs: 400,
    random: () => 1 - Number.EPSILON,
    onBackoff: (ms) => delays.push(ms),
  });
  try {
    await bot.start();
    guard.healthy();
    await server.close();
    const t0 = performance.now();
    await waitFor("four delayed attempts", () => delays.length >= 4, 10_000);
    // 100 + 200 + 400 ms of waiting at least: no tight loop.
    assert(performance.now() - t0 >= 700, `${delays.length} attempts: ${delays}`);
    assertEquals(delays.slice(0, 4), [100, 200, 400, 400]);
    assert(guard.failures >= 3);
  } finally {
    guard.stop();
    await stopDiscordBot(bot);
    await server.close();
  }
});

Deno.test("fatal close messages name the fix", () => {
  assert(fatalCloseMessage(4004).startsWith("Discord rejected the token (4004): run setup"));
  assert(fatalCloseMessage(4014).includes("Privileged Gateway Intents"));
  assertEquals(
    fatalCloseMessage(4010, "Invalid shard."),
    "Discord closed the gateway with code 4010 (Invalid shard.): the bridge cannot continue",
  );
});
