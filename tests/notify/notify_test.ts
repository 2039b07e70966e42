// notify.ts against the local Discord server (testing/): threads per session, text-channel
// fallbacks, rate limits, retries, the spool, splitting, mention safety, bad webhooks, CLI.
import { assert, assertEquals, assertMatch, assertNotEquals } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { createNotifier, type NotifierOptions, type StatusInput } from "../../notify.ts";
import { DiscordApiError } from "../../errors.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";

const FAST_RETRY = { budgetMs: 1500, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2000 };

function notifier(server: DiscordServer, dir: string, extra: Partial<NotifierOptions> = {}) {
  return createNotifier({
    webhookUrl: server.webhookUrl,
    stateDir: dir,
    apiUrl: server.apiUrl,
    host: "testhost",
    retry: FAST_RETRY,
    ...extra,
  });
}

function status(text: string, extra: Partial<StatusInput> = {}): StatusInput {
  return { session: { id: "sess-1", name: "refactor-auth" }, state: "done", text, ...extra };
}

/** Descriptions of the embeds in a channel, oldest first. */
function texts(server: DiscordServer, channelId: string): string[] {
  return server.messages(channelId).map((m) =>
    String((m.embeds?.[0] as { description?: string } | undefined)?.description ?? "")
  );
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(path));
}

function spoolCount(dir: string): number {
  try {
    return [...Deno.readDirSync(`${dir}/spool`)].filter((e) => e.name.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

/** A webhook URL pointing at a port where nothing listens (Discord unreachable). */
function deadUrl(url: string): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return url.replace(/127\.0\.0\.1:[0-9]+/, `127.0.0.1:${port}`);
}

Deno.test("forum: the first post creates the session's thread, later posts reuse it", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const seen: [string, string][] = [];
  const n = notifier(server, dir, { onThread: (s, t) => void seen.push([s, t]) });

  const a = await n.status(
    status("first", { cwd: "/home/u/shop", startedAt: Date.now() - 65_000 }),
  );
  assertEquals(a.delivered, true);
  assert(a.threadId);
  const b = await n.status(status("second", { state: "waiting" }));
  assertEquals(b.threadId, a.threadId);
  const other = await n.status({ ...status("other"), session: { id: "sess-2", name: "docs" } });
  assertNotEquals(other.threadId, a.threadId);

  const st = server.state();
  const thread = st.threads.find((t) => t.id === a.threadId)!;
  assertEquals(thread.name, "refactor-auth");
  assertEquals(thread.parent_id, server.forumId);
  const ex = st.webhookExecutions;
  assertEquals(ex.length, 3);
  assertEquals(ex[0].query.wait, "true");
  assertEquals((ex[0].body as { thread_name?: string }).thread_name, "refactor-auth");
  assertEquals(ex[1].query.thread_id, a.threadId);
  assertEquals((ex[1].body as { thread_name?: string }).thread_name, undefined);
  assertEquals(texts(server, a.threadId!), ["first", "second"]);

  const first = server.messages(a.threadId!)[0];
  const embed = first.embeds![0] as { color: number; fields: { name: string; value: string }[] };
  assertEquals(embed.color, 0x2ecc71);
  const fields = Object.fromEntries(embed.fields.map((f) => [f.name, f.value]));
  assertEquals(fields.Project, "shop");
  assertEquals(fields.Host, "testhost");
  assertMatch(fields.Duration, /^1m 0[5-9]s$/);

  assertEquals(seen, [["sess-1", a.threadId], ["sess-2", other.threadId]]);
  const saved = readJson(`${dir}/threads.json`) as {
    webhooks: Record<string, { channel: string; sessions: Record<string, { threadId: string }> }>;
  };
  const hook = Object.values(saved.webhooks)[0];
  assertEquals(hook.channel, "forum");
  assertEquals(hook.sessions["sess-1"].threadId, a.threadId);
  assertEquals(Deno.statSync(`${dir}/threads.json`).mode! & 0o777, 0o600);

  // A new notifier (another process) finds the thread on disk.
  const again = await notifier(server, dir).status(status("third"));
  assertEquals(again.threadId, a.threadId);
  assertEquals(server.state().threads.length, 2);
});

Deno.test("a thread that disappeared is recreated transparently", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const threads: string[] = [];
  const n = notifier(server, dir, { onThread: (_s, t) => void threads.push(t) });
  const a = await n.status(status("before"));
  server.reset(); // every thread and message is gone; the webhook stays
  const b = await n.status(status("after"));
  assertEquals(b.delivered, true);
  assertNotEquals(b.threadId, a.threadId);
  assertEquals(threads, [a.threadId, b.threadId]);
  assert(b.warnings.some((w) => /deleted/.test(w)), b.warnings.join());
  assertEquals(texts(server, b.threadId!), ["after"]);
  const ex = server.state().webhookExecutions;
  assertEquals(ex.map((e) => e.status), [404, 200]);
});

Deno.test("text channel with a bot token: the bot starts the session's thread", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const n = notifier(server, dir, { webhookUrl: server.textWebhookUrl, botToken: server.token });
  const a = await n.status(status("one"));
  const b = await n.status(status("two"));
  assert(a.threadId);
  assertEquals(b.threadId, a.threadId);
  const thread = server.state().threads.find((t) => t.id === a.threadId)!;
  assertEquals(thread.parent_id, server.channelId);
  assertEquals(thread.name, "refactor-auth");
  // The first post is the thread's starter in the channel; the second is inside the thread.
  assertEquals(texts(server, server.channelId), ["one"]);
  assertEquals(texts(server, a.threadId!), ["two"]);
  const ex = server.state().webhookExecutions;
  assertEquals(ex.map((e) => e.status), [400, 200, 200]); // 220003, starter, thread post
  assert(
    server.state().requests.some((r) =>
      r.method === "POST" && r.path.endsWith(`/messages/${a.messageIds[0]}/threads`)
    ),
  );
  // The channel kind is remembered: no more 220003 round trips.
  await n.status({ ...status("three"), session: { id: "s3", name: "third" } });
  assertEquals(server.state().webhookExecutions.filter((e) => e.status === 400).length, 1);
});

Deno.test("text channel without a bot: posts go to the channel, prefixed with the session", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const n = notifier(server, dir, { webhookUrl: server.textWebhookUrl });
  const a = await n.status(status("one"));
  const b = await n.status({ ...status("two"), session: { id: "x", name: "@everyone docs" } });
  assertEquals(a.threadId, undefined);
  assertEquals(b.delivered, true);
  const msgs = server.messages(server.channelId);
  assertEquals(msgs.map((m) => m.content), [
    "**[refactor-auth]**",
    "**[@\u200beveryone docs]**",
  ]);
  assertEquals(server.state().threads.length, 0);
});

Deno.test("429 storm: every post arrives once, in order", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const n = notifier(server, dir, { retry: { ...FAST_RETRY, budgetMs: 5000 } });
  await n.status(status("p0"));
  server.fault({ kind: "http", status: 429, count: 6, route: "/webhooks/", retryAfter: 0.05 });
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => n.status(status(`p${i + 1}`))),
  );
  assert(results.every((r) => r.delivered && !r.spooled));
  const thread = results[0].threadId!;
  assertEquals(texts(server, thread), ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
  assertEquals(server.state().requests.filter((r) => r.status === 429).length, 6);
});

Deno.test("rate limit 5 per 2 s: a burst waits for the window instead of hitting 429", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: { webhookChannel: false } });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const n = notifier(server, dir, { retry: { ...FAST_RETRY, budgetMs: 10_000 } });
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: 11 }, (_, i) => n.status(status(`b${i}`))),
  );
  const ms = performance.now() - t0;
  const thread = results[0].threadId!;
  assertEquals(texts(server, thread), Array.from({ length: 11 }, (_, i) => `b${i}`));
  assertEquals(server.state().requests.filter((r) => r.status === 429).length, 0);
  assert(ms >= 4000, `11 posts under 5/2 s took only ${ms} ms`);
});

Deno.test("5xx answers are retried; nothing is posted twice", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const n = notifier(server, dir);
  server.fault({ kind: "http", status: 500, count: 3, route: "/webhooks/" });
  const r = await n.status(status("after 500s"));
  assertEquals(r.delivered, true);
  assertEquals(texts(server, r.threadId!), ["after 500s"]);
  assertEquals(server.state().requests.filter((x) => x.status === 500).length, 3);
});

Deno.test("Discord unreachable: posts are spooled in order and sent first by the next call", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const up = notifier(server, dir);
  const down = notifier(server, dir, { webhookUrl: deadUrl(server.webhookUrl) });
  const first = await up.status(status("m1"));
  const s2 = await down.status(status("m2"));
  const s3 = await down.status(status("x".repeat(5000) + " m3")); // two parts
  assertEquals(s2.spooled, true);
  assertEquals(s2.delivered, false);
  assertEquals(s3.spooled, true);
  assertEquals(spoolCount(dir), 2);
  for (const e of Deno.readDirSync(`${dir}/spool`)) {
    assertEquals(Deno.statSync(`${dir}/spool/${e.name}`).mode! & 0o777, 0o600);
  }
  assertEquals(Deno.statSync(`${dir}/spool`).mode! & 0o777, 0o700);
  const json = Deno.readTextFileSync(
    `${dir}/spool/${[...Deno.readDirSync(`${dir}/spool`)][0].name}`,
  );
  assert(
    !json.includes(new URL(server.webhookUrl).pathname.split("/").pop()!),
    "token in spool",
  );

  const r = await up.status(status("m4"));
  assertEquals(r.flushed, 2);
  assertEquals(r.delivered, true);
  assertEquals(spoolCount(dir), 0);
  const got = texts(server, first.threadId!);
  assertEquals(got.length, 5);
  assertEquals([got[0], got[1], got[4]], ["m1", "m2", "m4"]);
  assert(got[3].endsWith("m3"));
  assertEquals(server.state().threads.length, 1);
});

Deno.test("server closed: the post is spooled; flushSpool delivers it once Discord is back", async () => {
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const server = await startDiscordServer({ port: 0 });
  const n = notifier(server, dir);
  await n.status(status("before"));
  await server.close();
  const r = await n.status(status("during"));
  assertEquals(r.spooled, true);
  assertEquals(spoolCount(dir), 1);
  assertEquals(await n.flushSpool(), 0); // still down: kept

  await using back = await startDiscordServer({ port: 0 });
  const m = notifier(back, dir);
  assertEquals(await m.flushSpool(), 1);
  assertEquals(spoolCount(dir), 0);
  const thread = back.state().threads[0];
  assertEquals(texts(back, thread.id), ["during"]);
  assertEquals(await m.flushSpool(), 0);
});

Deno.test("long text: split across messages in order, each within Discord's limits", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const n = notifier(server, dir, { maxMessages: 10, retry: { ...FAST_RETRY, budgetMs: 5000 } });
  const words = Array.from({ length: 3000 }, (_, i) => `word${i}`);
  const r = await n.status(status(words.join(" ")));
  assert(r.messageIds.length >= 6, `${r.messageIds.length} messages`);
  assertEquals(r.delivered, true);
  const got = texts(server, r.threadId!).join(" ").split(/\s+/);
  assertEquals(got, words);
  assert(server.state().webhookExecutions.every((e) => e.status === 200));
});

Deno.test("mentions: nothing pings unless asked, and then only that user", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const stranger = server.users.stranger.id;
  const n = notifier(server, dir, { mentionUserId: server.ownerId });
  const quiet = await n.status({
    ...status(`hey <@${stranger}> @everyone @here`),
    session: { id: "m", name: `<@${stranger}> @everyone` },
  });
  const loud = await n.status({
    ...status("need you", { state: "waiting", mention: true }),
    session: { id: "m", name: `<@${stranger}> @everyone` },
  });
  const msgs = server.messages(quiet.threadId!);
  assertEquals(msgs[0].mentions, []);
  assertEquals(msgs[1].mentions.map((u) => u.id), [server.ownerId]);
  assertEquals(loud.messageIds.length, 1);
  for (const e of server.state().webhookExecutions) {
    const body = e.body as { content?: string; allowed_mentions: { parse: string[] } };
    assertEquals(body.allowed_mentions.parse, []);
    assert(!/@everyone|@here/.test(body.content ?? ""));
  }
});

Deno.test("bad webhook: one clear error naming the fix, no secret, the post kept", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  const token = server.webhookUrl.split("/").pop()!;
  const wrongToken = server.webhookUrl.replace(/\/[^/]+$/, "/wrong-token");
  const unknown = server.webhookUrl.replace(/webhooks\/[0-9]+/, "webhooks/1100000000000000999");
  for (
    const [url, said] of [[wrongToken, "401 Invalid Webhook Token"], [
      unknown,
      "404 Unknown Webhook",
    ]]
  ) {
    const err = await notifier(server, dir, { webhookUrl: url }).status(status("lost?")).then(
      () => undefined,
      (e) => e,
    );
    assert(err instanceof DiscordApiError, String(err));
    assertMatch(
      err.message,
      new RegExp(
        `^Cannot send status to thread "refactor-auth": Discord answered ${said}: run setup to create a new webhook`,
      ),
    );
    assert(!err.message.includes(token) && !err.message.includes("wrong-token"));
  }
  assertEquals(spoolCount(dir), 2);
  // After setup fixed the webhook, both kept posts go out first, in order.
  const r = await notifier(server, dir).status(status("fixed"));
  assertEquals(r.flushed, 2);
  assertEquals(texts(server, r.threadId!), ["lost?", "lost?", "fixed"]);
});

Deno.test("two notifiers on one state dir (two processes) share one thread, in order", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  // Six posts pass the 5 per 2 s limit only if the sixth may wait ~2 s.
  const a = notifier(server, dir, { retry: { ...FAST_RETRY, budgetMs: 5000 } });
  const b = notifier(server, dir, { retry: { ...FAST_RETRY, budgetMs: 5000 } });
  const posts = [];
  for (let i = 0; i < 6; i++) posts.push((i % 2 ? b : a).status(status(`c${i}`)));
  const results = await Promise.all(posts);
  assert(results.every((r) => r.delivered), JSON.stringify(results));
  const threads = new Set(results.map((r) => r.threadId));
  assertEquals(threads.size, 1);
  assertEquals(server.state().threads.length, 1);
  assertEquals(texts(server, results[0].threadId!).sort(), [
    "c0",
    "c1",
    "c2",
    "c3",
    "c4",
    "c5",
  ]);
});

Deno.test("a spooled post Discord refuses for good is set aside in spool/failed, the rest flow", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-test-");
  const dir = tmp.path;
  Deno.mkdirSync(`${dir}/spool`, { recursive: true, mode: 0o700 });
  const session = { id: "sess-1", name: "refactor-auth" };
  const entry = (content: string) =>
    JSON.stringify({
      version: 1,
      createdAt: Date.now(),
      session,
      payloads: [{ content, allowed_mentions: { parse: [] } }],
    });
  Deno.writeTextFileSync(`${dir}/spool/000000000001-1-aa.json`, entry("x".repeat(2001)));
  Deno.writeTextFileSync(`${dir}/spool/000000000002-1-bb.json`, "{ torn");
  Deno.writeTextFileSync(`${dir}/spool/000000000003-1-cc.json`, entry("kept and sent"));
  const r = await notifier(server, dir).status(status("new"));
  assertEquals(r.flushed, 1);
  assert(
    r.warnings.some((w) => /refused and moved to spool\/failed/.test(w)),
    r.warnings.join(),
  );
  assertEquals(spoolCount(dir), 0);
  const failed = [...Deno.readDirSync(`${dir}/spool/failed`)].map((e) => e.name).sort();
  assertEquals(failed, [
    "000000000001-1-aa.json",
    "000000000001-1-aa.json.reason",
    "000000000002-1-bb.json",
    "000000000002-1-bb.json.reason",
  ]);
  assertMatch(
    Deno.readTextFileSync(`${dir}/spool/failed/000000000001-1-aa.json.reason`),
    /Discord answered 400 Invalid Form Body/,
  );
  const msgs = server.messages(r.threadId!);
  assertEquals(msgs.map((m) => m.content || m.embeds?.[0]?.description), [
    "kept and sent",
    "new",
  ]);
});
