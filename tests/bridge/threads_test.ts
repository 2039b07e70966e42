// _bridge/threads.ts against the local Discord server: who made a thread (the bot, from a bot
// message, or a person), and the session threads file the hooks name new sessions by.
import { readSessionThreads } from "../../daemon.ts";
import { createLogger } from "../../log.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import { ThreadFacts } from "../../_bridge/threads.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

Deno.test("thread facts: the bot's threads and threads from its messages are the bot's; others a person's", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using dir = await tempDir("thread-facts-");
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  const facts = new ThreadFacts({
    ours: new Set([server.botId]),
    rest,
    log: createLogger(`${dir.path}/bridge.log`),
    home: dir.path,
    now: Date.now,
  });
  const bots = await server.createThread({
    parentId: server.forumId,
    name: "api-3f2a",
    userId: server.botId,
    content: "STATUS",
  });
  const botMessage = await rest.createMessage(server.channelId, { content: "a session's reply" });
  const fromBot = await server.createThread({
    parentId: server.channelId,
    name: "about the reply",
    messageId: botMessage.id,
  });
  const mine = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "a topic",
  });
  const fromMine = await server.createThread({
    parentId: server.channelId,
    name: "a topic",
    messageId: mine.id,
  });
  const bare = await server.createThread({ parentId: server.channelId, name: "bare" });
  const post = await server.createThread({ parentId: server.forumId, name: "a person's post" });
  const all = [bots, fromBot, fromMine, bare, post];
  facts.listed(all);
  assertEquals(facts.originOf(bots.id), "bot");
  for (const t of all.slice(1)) {
    assertEquals(facts.needsCheck(t.id), true);
    await facts.check(t.id, t.parent_id!, true);
  }
  assertEquals(all.map((t) => facts.originOf(t.id)), ["bot", "bot", "person", "person", "person"]);
  // Read once.
  const reads = () =>
    server.state().requests.filter((r) => r.path.includes(`/messages/${fromBot.id}`)).length;
  await facts.check(fromBot.id, server.channelId, true);
  assertEquals(reads(), 1);

  // The session threads file: the bot's open threads, every machine's.
  assertEquals(readSessionThreads(dir.path), [{ id: bots.id, name: "api-3f2a" }]);
  const other = await server.createThread({
    parentId: server.forumId,
    name: "web-0b8f@desk",
    userId: server.botId,
    content: "STATUS",
  });
  facts.learn(other);
  assertEquals(readSessionThreads(dir.path).map((t) => t.name), ["api-3f2a", "web-0b8f@desk"]);
  facts.learn({ ...bots, thread_metadata: { archived: true } });
  facts.forget(other.id);
  assertEquals(readSessionThreads(dir.path), []);
  assertEquals(Deno.statSync(`${dir.path}/bridge/session_threads.json`).mode! & 0o777, 0o600);
});

Deno.test("thread facts: a starter that cannot be read leaves the origin unknown for a minute, logged", async () => {
  await using dir = await tempDir("thread-facts-");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // nothing answers there
  const clock = { t: Date.now() };
  const facts = new ThreadFacts({
    ours: new Set(["1100000000000000001"]),
    rest: new DiscordRest({
      token: "x.y.z",
      apiUrl: `http://127.0.0.1:${port}/api`,
      retry: { budgetMs: 300, maxAttempts: 1 },
    }),
    log: createLogger(`${dir.path}/bridge.log`),
    home: dir.path,
    now: () => clock.t,
  });
  const thread = "1100000000000000009";
  await assertRejects(() => facts.check(thread, "1100000000000000002", true));
  assertEquals([facts.originOf(thread), facts.needsCheck(thread)], [undefined, false]);
  clock.t += 60_000;
  assertEquals(facts.needsCheck(thread), true);
  await facts.check(thread, "1100000000000000002"); // not strict: logged
  assertMatch(
    Deno.readTextFileSync(`${dir.path}/bridge.log`),
    /cannot read the starter of thread 1100000000000000009; its messages are taken for another machine's/,
  );
});
