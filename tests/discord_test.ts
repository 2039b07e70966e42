// discord.ts against the local Discord server: the REST client (paging order, 429, 5xx,
// errors without secrets), the bot factory, and the gateway guard (fatal closes, backoff).
import {
  compareIds,
  createDiscordBot,
  DiscordRest,
  fatalCloseMessage,
  guardGateway,
  snowflakeAt,
  stopDiscordBot,
  timeOfSnowflake,
} from "../discord.ts";
import { DiscordApiError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { startDiscordServer } from "../testing/mod.ts";
import { assert, assertEquals, waitFor } from "./_bridge_helpers.ts";

const FAST = { baseDelayMs: 10, maxDelayMs: 50, budgetMs: 5000 };

async function rejection(p: Promise<unknown>): Promise<DiscordApiError> {
  const err = await p.then(() => undefined, (e) => e);
  assert(err instanceof DiscordApiError, `expected a DiscordApiError, got ${err}`);
  return err;
}

Deno.test("rest: getMessages pages after an id, oldest first", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    ids.push(
      (await server.postAsUser({
        channelId: server.channelId,
        userId: server.ownerId,
        content: `m${i}`,
      })).id,
    );
  }
  const first = await rest.getMessages(server.channelId, { after: "0", limit: 3 });
  assertEquals(first.map((m) => m.id), ids.slice(0, 3));
  const next = await rest.getMessages(server.channelId, { after: ids[2], limit: 3 });
  assertEquals(next.map((m) => m.content), ["m3", "m4", "m5"]);
  const rest2 = await rest.getMessages(server.channelId, { after: ids[6] });
  assertEquals(rest2, []);
  const req = server.state().requests.find((r) => r.path.endsWith("/messages"));
  assertEquals(req?.query, "?after=0&limit=3");
});

Deno.test("rest: 429 answers are waited out and 5xx answers retried", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl, retry: FAST });
  await server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content: "x" });
  server.fault({ kind: "http", status: 429, count: 2, route: "/messages", retryAfter: 0.05 });
  const t0 = performance.now();
  assertEquals((await rest.getMessages(server.channelId, { after: "0" })).length, 1);
  assert(performance.now() - t0 >= 90, "waited the two retry_after");
  server.fault({ kind: "http", status: 500, count: 2, route: "/messages" });
  assertEquals((await rest.getMessages(server.channelId, { after: "0" })).length, 1);
  const statuses = server.state().requests.filter((r) => r.path.endsWith("/messages")).map((r) =>
    r.status
  );
  assertEquals(statuses, [429, 429, 200, 500, 500, 200]);
});

Deno.test("rest: errors name the call and Discord's answer, never the token", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl, retry: FAST });
  const missing = await rejection(rest.getMessages("1100000000000000999", { after: "0" }));
  assertEquals(missing.status, 404);
  assertEquals(missing.code, 10003);
  assertEquals(
    missing.message,
    "Cannot read the messages of channel 1100000000000000999: Discord answered 404 Unknown Channel (code 10003)",
  );
  const badToken = `${server.token.split(".")[0]}.AAAAAA.not-the-secret-at-all`;
  const bad = new DiscordRest({ token: badToken, apiUrl: server.apiUrl, retry: FAST });
  const unauthorized = await rejection(bad.getChannel(server.channelId));
  assertEquals(unauthorized.status, 401);
  assert(!unauthorized.message.includes(badToken));
  const gone = new DiscordRest({
    token: server.token,
    apiUrl: "http://127.0.0.1:1/api",
    retry: { ...FAST, budgetMs: 300, maxAttempts: 3 },
  });
  const unreachable = await rejection(gone.getChannel(server.channelId));
  assertEquals(unreachable.status, 0);
  assert(
    unreachable.message.startsWith(
      `Cannot read channel ${server.channelId}: Discord is unreachable`,
    ),
  );
});

Deno.test("rest: webhook channel, active threads, posting and editing a prompt", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  const hook = await rest.getWebhook(server.webhookUrl);
  assertEquals(hook.channel_id, server.forumId);
  const webhookRequest = server.state().requests.find((r) => r.path.startsWith("/webhooks/"));
  assert(webhookRequest);
  const thread = await server.createThread({ parentId: server.forumId, name: "s", content: "x" });
  const threads = await rest.getActiveThreads(server.guildId);
  assert(threads.some((t) => t.id === thread.id && t.parent_id === server.forumId));
  const prompt = await rest.createMessage(server.channelId, {
    content: "Allow?",
    components: [{
      type: 1,
      components: [{ type: 2, style: 3, label: "Allow", custom_id: "cd:perm:x:allow" }],
    }],
  });
  const edited = await rest.editMessage(server.channelId, prompt.id, {
    content: "Allowed",
    components: [],
  });
  assertEquals(edited.content, "Allowed");
  assertEquals(server.messages(server.channelId).at(-1)?.content, "Allowed");
});

Deno.test("bot: the factory reaches the gateway through DISCORD_API_URL and hands over raw dispatches", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const home = await Deno.makeTempDir();
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

Deno.test("snowflakes: compare numerically, and convert to and from time", () => {
  assert(compareIds("99", "100") < 0);
  assert(compareIds("1100000000000000002", "1100000000000000001") > 0);
  assertEquals(compareIds("5", "5"), 0);
  const t = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
  assertEquals(timeOfSnowflake(snowflakeAt(t)), t);
  assert(compareIds(snowflakeAt(t), snowflakeAt(t + 1)) < 0);
});
