// _discord/rest.ts against the local Discord server: the wrapper around @discordjs/rest (paging
// order, versioned routes, 429 waited out, global limit, 5xx retried, the time budget, errors
// that name the call and hold no secret).
import { DiscordRest, DiscordUnreachableError, REST_LIBRARY } from "../../_discord/rest.ts";
import { DiscordApiError } from "../../errors.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";

const FAST = { baseDelayMs: 10, maxDelayMs: 50, budgetMs: 5000 };

async function rejection(p: Promise<unknown>): Promise<DiscordApiError> {
  const err = await p.then(() => undefined, (e) => e);
  assert(err instanceof DiscordApiError, `expected a DiscordApiError, got ${err}`);
  return err;
}

/** A loopback URL where nothing listens (Discord unreachable). */
function deadApi(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}/api`;
}

Deno.test("rest: the runtime specifier is the version deno.json pins", () => {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));
  assertEquals(config.imports["@discordjs/rest"], REST_LIBRARY);
});

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
  const waits: string[] = [];
  const rest = new DiscordRest({
    token: server.token,
    apiUrl: server.apiUrl,
    retry: FAST,
    onWait: (what) => waits.push(what),
  });
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
  assert(waits.some((w) => /rate limited/.test(w)), waits.join("\n"));
  assert(waits.some((w) => /Discord answered 500/.test(w)), waits.join("\n"));
});

Deno.test("rest: a global 429 holds back every route until it resets", async () => {
  await using server = await startDiscordServer({
    port: 0,
    rateLimits: { global: { limit: 3, windowMs: 2000 } },
  });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl, retry: FAST });
  await rest.getChannel(server.channelId);
  await rest.getChannel(server.forumId);
  await rest.getMessages(server.forumId, { after: "0" });
  const limited = rest.getMessages(server.channelId, { after: "0" });
  await waitFor("the global 429", () => server.state().requests.some((r) => r.status === 429));
  // Another route, while the global limit holds: sent only once it has reset.
  const other = rest.getActiveThreads(server.guildId);
  await Promise.all([limited, other]);
  const requests = server.state().requests;
  assertEquals(requests.map((r) => r.status), [200, 200, 200, 429, 200, 200]);
  const refusedAt = Date.parse(requests[3].time);
  for (const r of requests.slice(4)) {
    assert(Date.parse(r.time) - refusedAt >= 1000, `${r.path} sent during the global limit`);
  }
});

Deno.test("rest: a shared 429 without bucket headers waits its Retry-After", async () => {
  await using server = await startDiscordServer({
    port: 0,
    rateLimits: { webhook: false, webhookChannel: { limit: 2, windowMs: 1000 } },
  });
  const rest = new DiscordRest({ apiUrl: server.apiUrl, retry: FAST });
  const [, id, token] = server.webhookUrl.match(/webhooks\/([0-9]+)\/(.+)$/)!;
  for (let i = 0; i < 3; i++) {
    const res = await rest.answer("POST", `/webhooks/${id}/${token}`, {
      what: "post through the webhook",
      body: { content: `w${i}`, thread_name: `t${i}` },
      query: { wait: "true" },
      auth: false,
    });
    assert(res.ok);
  }
  const posts = server.state().requests.filter((r) => r.method === "POST");
  assertEquals(posts.map((r) => r.status), [200, 200, 429, 200]);
  const gap = Date.parse(posts[3].time) - Date.parse(posts[2].time);
  assert(gap >= 1000, `retried after ${gap} ms, before Retry-After: 1`);
});

Deno.test("rest: an attempt without an answer in timeoutMs is abandoned and retried", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({
    token: server.token,
    apiUrl: server.apiUrl,
    retry: { ...FAST, timeoutMs: 150, maxAttempts: 2 },
  });
  server.fault({ kind: "latency", ms: 600 });
  const slow = await rejection(rest.getChannel(server.channelId));
  server.fault({ kind: "latency", ms: 0 });
  assertEquals(slow.status, 0);
  assertEquals(
    slow.message,
    `Cannot read channel ${server.channelId}: Discord is unreachable (no answer within 150 ms) after 2 attempts: check DISCORD_API_URL and the network`,
  );
  assertEquals(server.state().requests.length, 2);
});

Deno.test("rest: 5xx in a row and refused connections give up with a sentence", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({
    token: server.token,
    apiUrl: server.apiUrl,
    retry: { ...FAST, maxAttempts: 3 },
  });
  server.fault({ kind: "http", status: 500, count: 3, route: "/channels/" });
  const failed = await rejection(rest.getChannel(server.channelId));
  assert(failed instanceof DiscordUnreachableError);
  assertEquals(failed.status, 500);
  assertEquals(
    failed.message,
    `Cannot read channel ${server.channelId}: Discord answered 500 Internal Server Error 3 times in a row: try again later`,
  );
  const gone = new DiscordRest({
    token: server.token,
    apiUrl: deadApi(),
    retry: { ...FAST, maxAttempts: 3 },
  });
  const refused = await rejection(gone.getChannel(server.channelId));
  assert(refused instanceof DiscordUnreachableError);
  assertEquals(refused.status, 0);
  assertMatch(
    refused.message,
    /^Cannot read channel [0-9]+: Discord is unreachable \(.+\) after 3 attempts: check DISCORD_API_URL and the network$/,
  );
});

Deno.test("rest: past the budget the call fails with status 0, saying Discord is unreachable", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({
    token: server.token,
    apiUrl: server.apiUrl,
    retry: { ...FAST, budgetMs: 300, timeoutMs: 5000 },
  });
  server.fault({ kind: "latency", ms: 1000 });
  const t0 = performance.now();
  const slow = await rejection(rest.getChannel(server.channelId));
  const ms = performance.now() - t0;
  server.fault({ kind: "latency", ms: 0 });
  assert(slow instanceof DiscordUnreachableError);
  assertEquals(slow.status, 0);
  assertEquals(
    slow.message,
    `Cannot read channel ${server.channelId}: Discord is unreachable (no answer within the 0.3 s budget): check DISCORD_API_URL and the network, or try again later`,
  );
  assert(ms < 1000, `gave up after ${ms} ms, not at the budget`);

  // A rate limit asking for longer than the whole budget fails at once, without a retry.
  server.fault({ kind: "http", status: 429, count: 1, route: "/messages", retryAfter: 5 });
  const t1 = performance.now();
  const limited = await rejection(rest.getMessages(server.channelId, { after: "0" }));
  assert(performance.now() - t1 < 1000, "waited for the rate limit");
  assert(limited instanceof DiscordUnreachableError);
  assertEquals(limited.status, 429);
  assertMatch(limited.message, /asks to wait [56] s, longer than the 0\.3 s budget: try again/);
  assertEquals(server.state().requests.filter((r) => r.path.endsWith("/messages")).length, 1);
});

Deno.test("rest: errors name the call and Discord's answer, never a token", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl, retry: FAST });
  const missing = await rejection(rest.getMessages("1100000000000000999", { after: "0" }));
  assertEquals(missing.status, 404);
  assertEquals(missing.code, 10003);
  assertEquals(
    missing.message,
    "Cannot read the messages of channel 1100000000000000999: Discord answered 404 Unknown Channel (code 10003)",
  );
  assert(missing.cause instanceof Error, "the library's error is the cause");
  const badToken = `${server.token.split(".")[0]}.AAAAAA.not-the-secret-at-all`;
  const bad = new DiscordRest({ token: badToken, apiUrl: server.apiUrl, retry: FAST });
  const unauthorized = await rejection(bad.getChannel(server.channelId));
  assertEquals(unauthorized.status, 401);
  assert(!unauthorized.message.includes(badToken));
  // The library forgets a token after a 401; the next call still asks Discord.
  assertEquals((await rejection(bad.getChannel(server.channelId))).status, 401);

  // A webhook URL's token stays out of a network error (which quotes the URL).
  const hookToken = server.webhookUrl.split("/").pop()!;
  const deadHook = server.webhookUrl.replace(/^http:\/\/[^/]+\/api/, deadApi());
  const gone = new DiscordRest({ token: server.token, apiUrl: deadApi(), retry: FAST });
  const unreachable = await rejection(gone.getWebhook(deadHook));
  assertEquals(unreachable.status, 0);
  assert(!unreachable.message.includes(hookToken), unreachable.message);
  assert(!unreachable.message.includes(server.token), unreachable.message);
});

Deno.test("rest: answer returns Discord's refusal with its code and field errors", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl, retry: FAST });
  const res = await rest.answer("POST", `/channels/${server.channelId}/messages`, {
    what: "post",
    body: { content: "x".repeat(2001) },
  });
  assert(!res.ok);
  assertEquals([res.status, res.code, res.message], [400, 50035, "Invalid Form Body"]);
  assertMatch(res.fields, /^content: /);
});

Deno.test("rest: webhook channel (versioned, no bot token), threads, posting and editing a prompt", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const urls: { url: string; auth: string | null }[] = [];
  const rest = new DiscordRest({
    token: server.token,
    apiUrl: server.apiUrl,
    fetch: (input, init) => {
      urls.push({ url: String(input), auth: new Headers(init?.headers).get("authorization") });
      return fetch(input, init);
    },
  });
  const hook = await rest.getWebhook(server.webhookUrl);
  assertEquals(hook.channel_id, server.forumId);
  const { id } = new URL(server.webhookUrl).pathname.match(/webhooks\/(?<id>[0-9]+)\//)!.groups!;
  assertEquals(
    urls[0].url,
    `${server.apiUrl}/v10/webhooks/${id}/${server.webhookUrl.split("/").pop()}`,
  );
  assertEquals(urls[0].auth, null);
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
  assert(urls.every((u) => u.url.startsWith(`${server.apiUrl}/v10/`)), "every call is versioned");
});
