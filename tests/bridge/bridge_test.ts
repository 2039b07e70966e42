// The bridge against the local Discord server: what it accepts, where it routes it, and what
// each event line carries. Catch-up and faults: catchup_test.ts; the process:
// bridge_process_test.ts.
import { HELD } from "../../inbox.ts";
import { recordPost } from "../../posts.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import { readBridgeStatus } from "../../daemon.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { startBridge, world } from "./_helpers.ts";

Deno.test("bridge: routes as ARCHITECTURE.md says (broadcast, @name, reply, session thread, forum thread)", async () => {
  await using w = await world({ sessions: ["api", "web"] });
  await using bridge = await startBridge(w);
  const web = w.registry.get("web")!;
  const rest = new DiscordRest({ token: w.server.token, apiUrl: w.server.apiUrl });

  const all = await w.say("status, everyone?");
  const named = await w.say(`@${web.name} run the tests`);
  // A message the api session posted (as the bot), then a reply to it.
  const post = await rest.createMessage(w.server.channelId, { content: "api: done" });
  await recordPost(w.home, "api", post.id);
  const reply = await w.say("thanks", { messageReference: { message_id: post.id } });
  // The web session's thread (started from a chat message).
  const starter = await w.say("thread starter");
  const thread = await w.server.createThread({
    parentId: w.server.channelId,
    name: "web",
    messageId: starter,
  });
  await w.registry.setThread("web", thread.id);
  const inThread = await w.say("only for web", { channelId: thread.id });
  // A forum thread whose starter the api session posted through the webhook (notify does that).
  const forumPost =
    await (await fetch(`${w.server.webhookUrl.replace("/api/", "/api/v10/")}?wait=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "STATUS api", thread_name: "api" }),
    })).json();
  await recordPost(w.home, "api", forumPost.id);
  const inForum = await w.say("for api", { channelId: forumPost.channel_id });

  await waitFor(
    "all events",
    () => w.ids("api").includes(inForum) && w.ids("web").includes(inThread),
  );
  await bridge.idle();
  assertEquals(w.ids("api"), [all, reply, starter, inForum]);
  assertEquals(w.ids("web"), [all, named, starter, inThread]);
  const forumEvent = w.mailbox("api").find((e) => e.id === inForum)!;
  assertEquals(forumEvent.threadId, forumPost.channel_id);
  assertEquals(forumEvent.parentId, w.server.forumId);
  const threadEvent = w.mailbox("web").find((e) => e.id === inThread)!;
  assertEquals([threadEvent.channelId, threadEvent.threadId, threadEvent.parentId], [
    thread.id,
    thread.id,
    w.server.channelId,
  ]);
  assertEquals(w.mailbox(HELD), []);
});

Deno.test("bridge: with no live session, messages wait in the held box", async () => {
  await using w = await world({ sessions: ["gone"] });
  await w.registry.unregister("gone");
  await using bridge = await startBridge(w);
  const id = await w.say("anyone there?");
  await waitFor("the held message", () => w.ids(HELD).includes(id));
  await bridge.idle();
  assertEquals(w.ids("gone"), []);
});

Deno.test("bridge: a config.json others can read is logged and shown as the status warning", async () => {
  await using w = await world();
  Deno.writeTextFileSync(`${w.home}/config.json`, "{}", { mode: 0o600 });
  Deno.chmodSync(`${w.home}/config.json`, 0o644);
  await using _bridge = await startBridge(w);
  const line = /config\.json is readable by other users \(mode 0644\).*: run chmod 600 /;
  assertMatch(w.log(), line);
  assertMatch(readBridgeStatus(w.home)?.warning ?? "", line);
});

Deno.test("bridge: bot, webhook, system and not-allowed messages are dropped and counted", async () => {
  await using w = await world({ sessions: ["s1"] });
  await using bridge = await startBridge(w);
  const { server } = w;
  await server.postAsUser({
    channelId: server.channelId,
    userId: server.users.otherBot.id,
    content: "beep",
  });
  await server.postAsUser({
    channelId: server.channelId,
    userId: server.users.stranger.id,
    content: "hi",
  });
  const hookId = new URL(server.textWebhookUrl).pathname.split("/").at(-2)!;
  await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "w",
    webhookId: hookId,
  });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  await rest.createMessage(server.channelId, { content: "from the bridge's own bot" });
  const ok = await w.say("from the owner");
  await waitFor("the owner's message", () => w.ids("s1").includes(ok));
  await bridge.idle();
  assertEquals(w.ids("s1"), [ok]);
  assertEquals(bridge.stats().dropped, { bot: 2, "not-allowed": 1, webhook: 1 });
  await bridge.stop();
  assertMatch(w.log(), /not delivered so far: .*bot 2/);
  assert(!w.log().includes(server.token), "the token never appears in the log");
});

Deno.test("bridge: an event line carries ids, author, content, time, attachments and the reply reference", async () => {
  await using w = await world({ sessions: ["s1"] });
  await using bridge = await startBridge(w);
  const first = await w.say("see attached");
  const id = await w.say("and this one", {
    messageReference: { message_id: first },
    attachments: [
      { filename: "log.txt", size: 12, content_type: "text/plain" },
      { filename: "shot.png", size: 2048, content_type: "image/png" },
    ],
  });
  await waitFor("the message", () => w.ids("s1").includes(id));
  await bridge.idle();
  const e = w.mailbox("s1").find((x) => x.id === id)!;
  const sent = w.server.messages(w.server.channelId).find((m) => m.id === id)!;
  assertEquals(e.kind, "message");
  assertEquals(e.channelId, w.server.channelId);
  assertEquals(e.guildId, w.server.guildId);
  assertEquals(e.author, {
    id: w.server.ownerId,
    name: w.server.users.owner.global_name ?? "owner",
  });
  assertEquals(e.content, "and this one");
  assertEquals(e.timestamp, sent.timestamp);
  assertEquals(e.replyTo, { messageId: first, channelId: w.server.channelId });
  // Stored before the event was written (the placeholder bytes are text: shot.png gets .txt).
  const dir = `${w.home}/attachments/${id}`;
  assertEquals(
    e.attachments.map(({ url: _url, text: _text, ...a }) => a),
    sent.attachments.map((a, i) => ({
      id: a.id,
      filename: a.filename,
      size: a.size,
      contentType: a.content_type,
      path: `${dir}/${["log.txt", "shot.png.txt"][i]}`,
      detectedType: "text/plain",
    })),
  );
  assertEquals(e.attachments.map((a) => a.filename), ["log.txt", "shot.png"]);
});

Deno.test("bridge: button clicks on a session's prompt reach it and every interaction is answered in 3 s", async () => {
  await using w = await world({ sessions: ["s1", "s2"] });
  await using bridge = await startBridge(w);
  const { server } = w;
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  const button = (custom_id: string) => ({ type: 2, style: 1, label: custom_id, custom_id });
  const prompt = await rest.createMessage(server.channelId, {
    content: "Allow Bash(touch x)?",
    components: [{ type: 1, components: [button("cd:perm:r1:allow"), button("cd:perm:r1:deny")] }],
  });
  await recordPost(w.home, "s2", prompt.id);
  const other = await rest.createMessage(server.channelId, {
    content: "not ours",
    components: [{ type: 1, components: [button("something-else")] }],
  });
  await recordPost(w.home, "s1", other.id);
  // The bot's message no session of this machine posted: another machine's, its bridge answers.
  const elsewhere = await rest.createMessage(server.channelId, {
    content: "another machine's prompt",
    components: [{ type: 1, components: [button("cd:perm:r2:allow")] }],
  });

  const click = await server.clickButton({
    messageId: prompt.id,
    customId: "cd:perm:r1:allow",
    userId: server.ownerId,
  });
  await server.clickButton({
    messageId: prompt.id,
    customId: "cd:perm:r1:deny",
    userId: server.users.stranger.id,
  });
  await server.clickButton({
    messageId: other.id,
    customId: "something-else",
    userId: server.ownerId,
  });
  const foreign = await server.clickButton({
    messageId: elsewhere.id,
    customId: "cd:perm:r2:allow",
    userId: server.ownerId,
  });
  await waitFor("three answers", () => server.state().interactionCallbacks.length >= 3);
  assertEquals(await foreign.answered, false, "another machine's click is not answered here");
  await bridge.idle();

  const events = w.mailbox("s2");
  assertEquals(events.length, 1);
  assertEquals(events[0].kind, "button");
  assertEquals(events[0].id, click.interactionId);
  assertEquals(events[0].customId, "cd:perm:r1:allow");
  assertEquals(events[0].targetMessageId, prompt.id);
  assertEquals(events[0].author.id, server.ownerId);
  assertEquals(w.mailbox("s1"), []);
  const callbacks = server.state().interactionCallbacks;
  assertEquals(callbacks.length, 3);
  for (const cb of callbacks) {
    assert(!cb.late && cb.afterMs < 3000 && cb.status < 300, JSON.stringify(cb));
  }
  assert(await click.answered);
  const types = callbacks.map((cb) => cb.type).sort();
  assertEquals(types, [4, 6, 6]); // the stranger gets an ephemeral "not allowed"
});

Deno.test("bridge: reactions on a session's post reach it; others are ignored", async () => {
  await using w = await world({ sessions: ["s1"] });
  await using bridge = await startBridge(w);
  const { server } = w;
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  const post = await rest.createMessage(server.channelId, { content: "deploy?" });
  await recordPost(w.home, "s1", post.id);
  const plain = await w.say("a normal message");
  await waitFor("the plain message", () => w.ids("s1").includes(plain));
  await server.addReaction({
    channelId: server.channelId,
    messageId: plain,
    userId: server.ownerId,
    emoji: "👀",
  });
  await server.addReaction({
    channelId: server.channelId,
    messageId: post.id,
    userId: server.users.stranger.id,
    emoji: "👎",
  });
  await server.addReaction({
    channelId: server.channelId,
    messageId: post.id,
    userId: server.ownerId,
    emoji: "👍",
  });
  await waitFor("the reaction", () => w.mailbox("s1").some((e) => e.kind === "reaction"));
  await bridge.idle();
  const reactions = w.mailbox("s1").filter((e) => e.kind === "reaction");
  assertEquals(reactions.length, 1);
  assertEquals(reactions[0].emoji, "👍");
  assertEquals(reactions[0].targetMessageId, post.id);
  assertEquals(reactions[0].id, `r:${post.id}:${server.ownerId}:👍`);
});

Deno.test("bridge: threads of other channels are not watched (no webhook: the forum is not ours)", async () => {
  await using w = await world({ sessions: ["s1"] });
  await using bridge = await startBridge(w, { webhookUrl: undefined });
  const thread = await w.server.createThread({
    parentId: w.server.forumId,
    name: "elsewhere",
    content: "x",
  });
  await w.say("in the forum", { channelId: thread.id });
  const ok = await w.say("in the chat");
  await waitFor("the chat message", () => w.ids("s1").includes(ok));
  await bridge.idle();
  assertEquals(w.ids("s1"), [ok]);
});

Deno.test("bridge: a failure while routing keeps the message (held box) and the bridge running", async () => {
  await using w = await world({ sessions: ["s1"] });
  await using bridge = await startBridge(w);
  // A damaged posts index: reading it throws.
  await Deno.mkdir(`${w.home}/posts.txt`);
  const first = await w.say("hello");
  const reply = await w.say("a reply", { messageReference: { message_id: first } });
  await waitFor("the reply in the held box", () => w.ids(HELD).includes(reply));
  await Deno.remove(`${w.home}/posts.txt`);
  const after = await w.say("still alive?");
  await waitFor("the next message", () => w.ids("s1").includes(after));
  await bridge.idle();
  assertEquals(w.ids("s1"), [first, after]);
  assertMatch(w.log(), /cannot route message/);
});
