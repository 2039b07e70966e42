// _discord/rest.ts against the local Discord server: the REST client (paging order, 429, 5xx,
// errors without secrets) and the snowflake helpers.
import { compareIds, DiscordRest, snowflakeAt, timeOfSnowflake } from "../../_discord/rest.ts";
import { DiscordApiError } from "../../errors.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals } from "../_assert.ts";

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

Deno.test("snowflakes: compare numerically, and convert to and from time", () => {
  assert(compareIds("99", "100") < 0);
  assert(compareIds("1100000000000000002", "1100000000000000001") > 0);
  assertEquals(compareIds("5", "5"), 0);
  const t = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
  assertEquals(timeOfSnowflake(snowflakeAt(t)), t);
  assert(compareIds(snowflakeAt(t), snowflakeAt(t + 1)) < 0);
});
