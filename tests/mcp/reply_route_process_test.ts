// Reply routing with mcp.ts over stdio: a `reply` without a target answers the last message a
// hook delivered to the session (inbox.ts `noteLastDelivered`, as hooks/_deliver.ts writes it),
// where it was written, as a Discord reply: in the chat channel, in the session's thread; before
// any, it goes to the session's thread as before; a target given still wins.
import { type InboxEvent, noteLastDelivered } from "../../inbox.ts";
import { SessionRegistry } from "../../sessions.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { startMcp } from "./_harness.ts";

const SID = "7e3a1c20-0000-4000-8000-0000000000d7";

function delivered(id: string, channelId: string, threadId?: string): InboxEvent {
  return {
    id,
    kind: "message",
    channelId,
    ...(threadId ? { threadId } : {}),
    author: { id: "1100000000000000003", name: "owner" },
    content: "hi",
    timestamp: new Date().toISOString(),
    attachments: [],
  };
}

Deno.test({
  name: "mcp reply without a target answers the last message delivered, where it was written",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-route-");
    const home = homeDir.path;
    const registry = new SessionRegistry(home);
    await registry.register({ id: SID, cwd: "/work/app", pid: Deno.pid });
    const thread = await srv.createThread({ parentId: srv.forumId, name: "app-7e3a" });
    await registry.setThread(SID, thread.id);
    await using mcp = await startMcp({
      srv,
      home,
      webhook: true,
      env: { CLAUDE_DISCORD_SESSION: SID },
    });

    // Nobody spoke to the session yet: its thread, as before.
    let res = await mcp.call("reply", { text: "starting" });
    assert(!res.isError, res.text);
    assertEquals(srv.messages(thread.id).at(-1)?.content, "starting");
    assertEquals(srv.messages(thread.id).at(-1)?.message_reference, undefined);

    // The owner asked in the chat channel: the answer goes there, as a reply.
    const asked = await srv.postAsUser({
      channelId: srv.channelId,
      userId: srv.ownerId,
      content: "how far are you?",
    });
    noteLastDelivered(home, SID, [delivered(asked.id, srv.channelId)], Date.now());
    res = await mcp.call("reply", { text: "halfway" });
    assert(!res.isError, res.text);
    assertMatch(res.text, new RegExp(`main channel.*replying to ${asked.id}`));
    const answer = srv.messages(srv.channelId).at(-1)!;
    assertEquals(answer.content, "halfway");
    assertEquals(answer.message_reference?.message_id, asked.id);

    // Then in the session's thread: the answer follows there.
    const inThread = await srv.postAsUser({
      channelId: thread.id,
      userId: srv.ownerId,
      content: "and the tests?",
    });
    noteLastDelivered(home, SID, [delivered(inThread.id, thread.id, thread.id)], Date.now());
    res = await mcp.call("reply", { text: "green" });
    assert(!res.isError, res.text);
    assertMatch(res.text, /your session's thread/);
    const inThreadAnswer = srv.messages(thread.id).at(-1)!;
    assertEquals(inThreadAnswer.content, "green");
    assertEquals(inThreadAnswer.message_reference?.message_id, inThread.id);

    // A target given wins.
    res = await mcp.call("reply", { text: "to all", channel_id: srv.channelId });
    assert(!res.isError, res.text);
    const toAll = srv.messages(srv.channelId).at(-1)!;
    assertEquals(toAll.content, "to all");
    assertEquals(toAll.message_reference, undefined);
  },
});
