// The bridge's outbox sender in this process, against the local Discord: threads opened (forum
// post, text-channel thread), found again after a lost answer, reopened when deleted; posts with
// their nonce (a resend answers the first message); edits by key; refusals, expiry and outages.
// The whole bridge killed mid-send: outbox_process_test.ts.
import { ChannelType } from "discord-api-types/v10";
import { EntrySender, type StatusChannel } from "../../_bridge/outbox_send.ts";
import { OutboxSender } from "../../_bridge/outbox.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import { createLogger } from "../../log.ts";
import { Outbox, type Outcome } from "../../outbox.ts";
import { PostIndex } from "../../posts.ts";
import { SessionRegistry } from "../../sessions.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

const SID = "0b8f9a52-5e1c-4c6e-9d2e-3f2a00000001";

interface Rig extends AsyncDisposable {
  server: DiscordServer;
  home: string;
  outbox: Outbox;
  registry: SessionRegistry;
  entries: EntrySender;
  sender: OutboxSender;
  log(): string;
}

async function rig(
  options: { status?: "forum" | "text"; rest?: DiscordRest } = {},
): Promise<Rig> {
  const server = await startDiscordServer({ port: 0 });
  const dir = await tempDir("outbox-bridge-");
  const home = dir.path;
  const registry = new SessionRegistry(home);
  await registry.register({ id: SID, cwd: "/work/api", pid: Deno.pid });
  const outbox = new Outbox(home);
  const log = createLogger(`${home}/bridge.log`);
  const rest = options.rest ?? new DiscordRest({
    token: server.token,
    apiUrl: server.apiUrl,
    // Generous: the first call loads the REST library, and a loaded machine is slow.
    retry: { budgetMs: 15_000, maxAttempts: 3, baseDelayMs: 50, timeoutMs: 5000 },
  });
  const status: StatusChannel = options.status === "text"
    ? { id: server.channelId, type: ChannelType.GuildText, guildId: server.guildId }
    : { id: server.forumId, type: ChannelType.GuildForum, guildId: server.guildId };
  const entries = new EntrySender({
    rest,
    outbox,
    registry,
    home,
    botId: server.botId,
    statusChannel: () => Promise.resolve(status),
    now: Date.now,
    log,
  });
  const sender = new OutboxSender({ outbox, sender: entries, log, baseDelayMs: 50 });
  return {
    server,
    home,
    outbox,
    registry,
    entries,
    sender,
    log: () => Deno.readTextFileSync(`${home}/bridge.log`),
    async [Symbol.asyncDispose]() {
      await sender.stop();
      await server.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

const post = (content: string, extra: Record<string, unknown> = {}) => ({
  kind: "post" as const,
  threadName: "api-0b8f",
  body: { content, allowed_mentions: { parse: [] } },
  ...extra,
});

/** The texts in a channel, oldest first. */
const texts = (server: DiscordServer, channelId: string) =>
  server.messages(channelId).map((m) => m.content);

/** Sends a queue to the end, as a worker does, and returns the outcomes. */
async function drain(r: Rig, session = SID): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const entry of await r.outbox.peek(session)) {
    const outcome = await r.entries.send(session, entry);
    await r.outbox.commit(session, entry, outcome);
    out.push(outcome);
  }
  await r.outbox.sweep(session);
  return out;
}

Deno.test("outbox sender: a forum post opens the session's thread with the first entry; the rest follow in order", async () => {
  await using r = await rig();
  await r.outbox.enqueue(SID, [post("one"), post("two"), post("three")]);
  const outcomes = await drain(r);
  assert(outcomes.every((o) => "sent" in o), JSON.stringify(outcomes));
  const thread = r.registry.get(SID)?.threadId;
  assert(thread !== undefined, "the thread is in the registry");
  assertEquals(r.outbox.record(SID).thread?.id, thread);
  const made = r.server.state().threads.find((t) => t.id === thread)!;
  assertEquals([made.parent_id, made.name, made.owner_id], [
    r.server.forumId,
    "api-0b8f",
    r.server.botId,
  ]);
  assertEquals(texts(r.server, thread), ["one", "two", "three"]);
  // The starter message is the thread's own id; each message is in the posts index.
  const index = new PostIndex(r.home);
  for (const m of r.server.messages(thread)) assertEquals(index.ownerOf(m.id), SID);
  assertEquals(r.server.messages(thread)[0].id, thread);
  assertEquals(r.server.messages(thread).every((m) => m.author.id === r.server.botId), true);
});

Deno.test("outbox sender: a text STATUS channel gets a bot-made public thread with the posts in it", async () => {
  await using r = await rig({ status: "text" });
  await r.outbox.enqueue(SID, [post("one"), post("two")]);
  await drain(r);
  const thread = r.registry.get(SID)!.threadId!;
  const made = r.server.state().threads.find((t) => t.id === thread)!;
  assertEquals([made.parent_id, made.type, made.owner_id], [
    r.server.channelId,
    ChannelType.PublicThread,
    r.server.botId,
  ]);
  assertEquals(texts(r.server, thread), ["one", "two"]);
});

Deno.test("outbox sender: sent again after a lost answer (no commit), a post answers with the first message", async () => {
  await using r = await rig();
  const [first, second] = await r.outbox.enqueue(SID, [post("opens"), post("once")]);
  await r.outbox.commit(SID, first, await r.entries.send(SID, first));
  const a = await r.entries.send(SID, second);
  // The bridge dies here: Discord took the post, the commit never happened.
  const b = await r.entries.send(SID, second);
  assertEquals(a, b);
  const thread = r.registry.get(SID)!.threadId!;
  assertEquals(texts(r.server, thread), ["opens", "once"]);
});

Deno.test("outbox sender: a forum post opened before a lost answer is found and adopted, the entry not posted twice", async () => {
  await using r = await rig();
  const [entry, next] = await r.outbox.enqueue(SID, [post("first words"), post("second")]);
  // What a killed bridge leaves: `creating` recorded, Discord made the post, nothing else.
  await r.outbox.note(SID, {
    creating: { id: entry.id, name: "api-0b8f", parentId: r.server.forumId },
  });
  const made = await r.server.createThread({
    parentId: r.server.forumId,
    name: "api-0b8f",
    userId: r.server.botId,
    content: "first words",
  });
  const outcomes = await drain(r);
  assertEquals(outcomes[0], { sent: { messageId: made.id, channelId: made.id } });
  assertEquals(r.outbox.record(SID).outcome(next.id), outcomes[1]);
  assertEquals(r.registry.get(SID)?.threadId, made.id);
  assertEquals(texts(r.server, made.id), ["first words", "second"]);
  assertEquals(r.server.state().threads.filter((t) => t.name === "api-0b8f").length, 1);
  assertMatch(r.log(), /adopted thread .* opened by entry/);
});

Deno.test("outbox sender: a text-channel thread opened before a lost answer is adopted; another machine's of the same name is not", async () => {
  for (const status of ["text", "forum"] as const) {
    await using r = await rig({ status });
    const parentId = status === "text" ? r.server.channelId : r.server.forumId;
    // Another machine's session of the same name, its thread made by the bot (same token).
    const theirs = await r.server.createThread({
      parentId,
      name: "api-0b8f",
      userId: r.server.botId,
      content: "their STATUS",
    });
    await r.outbox.enqueue(SID, [post("mine")]);
    await drain(r);
    const mine = r.registry.get(SID)!.threadId!;
    assert(mine !== theirs.id, `${status}: a thread of its own`);
    assertEquals(texts(r.server, mine), ["mine"]);
    assertEquals(r.outbox.record(SID).creating?.name, "api-0b8f", "noted before opening");
  }
  // What a killed bridge leaves for a text channel: `creating` noted, Discord made the thread.
  await using r = await rig({ status: "text" });
  const [entry] = await r.outbox.enqueue(SID, [post("first")]);
  await r.outbox.note(SID, {
    creating: { id: entry.id, name: "api-0b8f", parentId: r.server.channelId },
  });
  const made = await r.server.createThread({
    parentId: r.server.channelId,
    name: "api-0b8f",
    userId: r.server.botId,
  });
  await drain(r);
  assertEquals(r.registry.get(SID)?.threadId, made.id);
  assertEquals(texts(r.server, made.id), ["first"]);
});

Deno.test("outbox sender: a thread recorded with its first entry, the commit lost: the entry is not posted again", async () => {
  await using r = await rig();
  const [entry] = await r.outbox.enqueue(SID, [post("opening words")]);
  const made = await r.server.createThread({
    parentId: r.server.forumId,
    name: "api-0b8f",
    userId: r.server.botId,
    content: "opening words",
  });
  // Killed after recording the thread, before the registry and the commit.
  await r.outbox.note(SID, {
    thread: { id: made.id, name: "api-0b8f", parentId: r.server.forumId, starter: entry.id },
  });
  const [outcome] = await drain(r);
  assertEquals(outcome, { sent: { messageId: made.id, channelId: made.id } });
  assertEquals(r.registry.get(SID)?.threadId, made.id);
  assertEquals(texts(r.server, made.id), ["opening words"]);
});

Deno.test("outbox sender: another's thread of the same name is not adopted; a deleted thread is opened again", async () => {
  await using r = await rig();
  const foreign = await r.server.createThread({
    parentId: r.server.forumId,
    name: "api-0b8f",
    content: "a user's post",
  });
  // The recorded thread is gone (Discord answers 10003 Unknown Channel).
  await r.outbox.note(SID, {
    thread: { id: "1100000000000000777", name: "api-0b8f", parentId: r.server.forumId },
  });
  await r.outbox.enqueue(SID, [post("after the deletion")]);
  const [outcome] = await drain(r);
  assert("sent" in outcome, JSON.stringify(outcome));
  const thread = r.registry.get(SID)!.threadId!;
  assert(thread !== foreign.id && thread !== "1100000000000000777");
  assertEquals(texts(r.server, thread), ["after the deletion"]);
  assertMatch(r.log(), /thread 1100000000000000777 is gone/);
});

Deno.test("outbox sender: an edit finds its post by key; an edit of nothing and an expired entry are skipped", async () => {
  await using r = await rig();
  await r.outbox.enqueue(SID, [
    post("Permission request", { key: "perm-abc", owner: "perm-abc" }),
    {
      kind: "edit",
      key: "perm-abc",
      body: { content: "Permission request: Allowed", components: [] },
    },
    { kind: "edit", key: "perm-never", body: { content: "x" } },
    post("too late", { expiresAt: new Date(Date.now() - 1000).toISOString() }),
  ]);
  const outcomes = await drain(r);
  assertEquals(outcomes.map((o) => Object.keys(o)[0]), ["sent", "sent", "skipped", "skipped"]);
  const thread = r.registry.get(SID)!.threadId!;
  assertEquals(texts(r.server, thread), ["Permission request: Allowed"]);
  const prompt = r.server.messages(thread)[0];
  assertEquals(new PostIndex(r.home).ownerOf(prompt.id), "perm-abc");
  assertEquals(r.outbox.record(SID).message("perm-abc")?.messageId, prompt.id);
});

Deno.test("outbox sender: a refused entry fails with one log line and the queue moves on; an outage waits, in order", async () => {
  await using r = await rig();
  r.sender.start();
  await r.outbox.enqueue(SID, [
    post("nowhere", { channelId: "1100000000000000666", threadName: undefined }),
    post("first"),
  ]);
  await waitFor("both sent or failed", () => r.sender.stats().sent + r.sender.stats().failed === 2);
  assertEquals(r.sender.stats().failed, 1);
  assertEquals(r.outbox.stats().failed, 1);
  assertMatch(r.log(), /failed for good.*1100000000000000666/);
  const thread = r.registry.get(SID)!.threadId!;
  // Discord answers 500 for a while: the queue waits and keeps its order.
  r.server.fault({ kind: "http", status: 500, count: 6, route: `/channels/${thread}/messages` });
  await r.outbox.enqueue(SID, [post("second"), post("third")]);
  await waitFor("the outage to pass", () => texts(r.server, thread).length === 3, 15_000);
  assertEquals(texts(r.server, thread), ["first", "second", "third"]);
  assertMatch(r.log(), /waits \(attempt 1/);
  await r.sender.idle();
  assertEquals(r.outbox.pending(SID), 0);
});

Deno.test("outbox sender: watches the outbox (no nudge needed) and drains sessions side by side", async () => {
  await using r = await rig();
  const other = "0b8f9a52-5e1c-4c6e-9d2e-3f2a00000002";
  await r.registry.register({ id: other, cwd: "/work/web", pid: Deno.pid });
  r.sender.start();
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    await r.outbox.enqueue(SID, [post(`a${i}`)]);
    await r.outbox.enqueue(other, [post(`b${i}`, { threadName: "web-0b8f" })]);
    seen.push(`a${i}`, `b${i}`);
  }
  await waitFor("every post", () => r.sender.stats().sent === 10, 15_000);
  await r.sender.idle();
  assertEquals(texts(r.server, r.registry.get(SID)!.threadId!), ["a0", "a1", "a2", "a3", "a4"]);
  assertEquals(texts(r.server, r.registry.get(other)!.threadId!), ["b0", "b1", "b2", "b3", "b4"]);
  assertEquals(r.outbox.sessions(), []);
});
