// mcp.ts channel mode: the session's mailbox pushed as `notifications/claude/channel`,
// each message exactly once (claimed, so the hooks never deliver it again), and only when
// Claude Code runs with a channel flag. Reading the flag in this process: channel_test.ts.
import { startDiscordServer } from "../../testing/mod.ts";
import { Inbox, type InboxEvent } from "../../inbox.ts";
import { SessionRegistry } from "../../sessions.ts";
import { writeConfigFile } from "../../config.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { startMcp } from "./_harness.ts";

let nextId = 1_300_000_000_000_000_000n;
function event(channelId: string, content: string, extra: Partial<InboxEvent> = {}): InboxEvent {
  nextId += 1n;
  return {
    id: String(nextId),
    kind: "message",
    channelId,
    author: { id: "1100000000000000042", name: "ada" },
    content,
    timestamp: new Date().toISOString(),
    attachments: [],
    ...extra,
  };
}

const quiet = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "channel mode pushes each mailbox message once and claims it",
  ...quiet,
  async fn(t) {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    const session = "chan-session";
    // This test process stands in for Claude Code (the server's parent).
    await new SessionRegistry(home).register({ id: session, cwd: home, pid: Deno.pid });
    const inbox = new Inbox(home);
    const early = event(srv.channelId, "posted before the server started");
    await inbox.append(session, [early]);
    await using mcp = await startMcp({
      srv,
      home,
      args: ["--channel", "--no-channel-check"],
    });

    await t.step("declares the claude/channel capability and instructions", () => {
      assertEquals(mcp.client.getServerCapabilities()?.experimental, { "claude/channel": {} });
      assertMatch(mcp.client.getInstructions() ?? "", /<channel source="discord"/);
    });

    await t.step("a message waiting at start arrives once, framed, then is claimed", async () => {
      await waitFor("the first notification", () => mcp.notifications.length >= 1, 10_000);
      const [n] = mcp.notifications;
      assertMatch(n.content, /^Discord message \d+ from ada \(Discord user 1100000000000000042\)/);
      assertMatch(n.content, /posted before the server started$/);
      assertEquals(n.meta.chat_id, srv.channelId);
      assertEquals(n.meta.message_id, early.id);
      assertEquals(n.meta.user, "ada");
      assertEquals(n.meta.user_id, "1100000000000000042");
      assertEquals(n.meta.source, "discord");
      // The claim commits just after the notification is written: wait for the commit.
      await waitFor("the claim's commit", async () => await inbox.pending(session) === 0, 5000);
    });

    await t.step("a message appended later arrives as exactly one notification", async () => {
      const thread = await srv.createThread({ parentId: srv.channelId, name: "t" });
      const later = event(thread.id, "and one in a thread", {
        threadId: thread.id,
        parentId: srv.channelId,
        replyTo: { messageId: early.id },
      });
      await inbox.append(session, [later]);
      await inbox.append(session, [early]); // already delivered: skipped by the queue
      await waitFor("the second notification", () => mcp.notifications.length >= 2, 10_000);
      await new Promise((r) => setTimeout(r, 700));
      assertEquals(mcp.notifications.length, 2, "no duplicate");
      const n = mcp.notifications[1];
      assertEquals(n.meta.chat_id, thread.id);
      assertEquals(n.meta.thread_id, thread.id);
      assertEquals(n.meta.reply_to, early.id);
      assertMatch(
        n.content,
        new RegExp(`in thread ${thread.id} .* replying to message ${early.id}`),
      );
      // Claimed: a hook claiming now gets nothing.
      assertEquals(await inbox.claim(session, () => {}), []);
      // The chat_id answers back through reply.
      const res = await mcp.call("reply", { text: "got it", channel_id: n.meta.chat_id });
      assert(!res.isError, res.text);
      assertEquals(srv.messages(thread.id).at(-1)?.content, "got it");
    });

    await t.step("racing a hook-like claimer: every message delivered once overall", async () => {
      const before = mcp.notifications.length;
      const events = Array.from({ length: 40 }, (_, i) => event(srv.channelId, `burst ${i}`));
      const byHook: string[] = [];
      const writer = (async () => {
        for (const e of events) {
          await inbox.append(session, [e]);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const hook = (async () => {
        for (let i = 0; i < 40; i++) {
          const got = await inbox.claim(session, () => {});
          byHook.push(...got.map((e) => e.id));
          await new Promise((r) => setTimeout(r, 7));
        }
      })();
      await Promise.all([writer, hook]);
      // Then five more with the hook gone: those can only reach Claude through the channel.
      const tail = Array.from({ length: 5 }, (_, i) => event(srv.channelId, `tail ${i}`));
      await inbox.append(session, tail);
      const wanted = new Set([...events, ...tail].map((e) => e.id));
      const fromChannel = () => mcp.notifications.slice(before).map((n) => n.meta.message_id);
      await waitFor(
        `all ${wanted.size} messages (channel ${fromChannel().length}, hook ${byHook.length})`,
        () => fromChannel().length + byHook.length >= wanted.size,
        15_000,
      );
      await new Promise((r) => setTimeout(r, 500));
      const all = [...fromChannel(), ...byHook];
      assertEquals(all.length, wanted.size, `duplicates: ${all.length} for ${wanted.size}`);
      assertEquals(new Set(all), wanted);
      for (const e of tail) assert(fromChannel().includes(e.id), `tail ${e.id} via the channel`);
    });

    await t.step("no stray stdout, no gateway connection", () => {
      assertEquals(mcp.errors.map((e) => e.message), []);
      assertEquals(srv.state().gatewayConnections.length, 0);
    });
  },
});

Deno.test({
  name: "channel mode leaves the mailbox to the hooks unless Claude Code has a channel flag",
  ...quiet,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    const session = "gated-session";
    await new SessionRegistry(home).register({ id: session, cwd: home, pid: Deno.pid });
    // Channel mode from config.json this time.
    writeConfigFile(home, { mcpChannel: true } as Record<string, unknown>);
    const inbox = new Inbox(home);
    {
      await using mcp = await startMcp({ srv, home });
      assertEquals(mcp.client.getServerCapabilities()?.experimental, { "claude/channel": {} });
      await inbox.append(session, [event(srv.channelId, "for the hooks")]);
      await new Promise((r) => setTimeout(r, 1500));
      assertEquals(mcp.notifications.length, 0);
      assertEquals(await inbox.pending(session), 1, "left for the hooks");
      await waitFor(
        "the warning in the log",
        () => Deno.readTextFileSync(`${home}/mcp.log`).includes("leaving the mailbox to the hooks"),
        5000,
      );
    }
    {
      // Started the way Claude Code would be: a parent whose command line has the flag.
      // The registered pid (this process) is now the grandparent: found through `ps`.
      await using mcp = await startMcp({
        srv,
        home,
        wrapArgs: ["claude", "--dangerously-load-development-channels", "server:discord"],
      });
      await waitFor("the held-back message", () => mcp.notifications.length === 1, 10_000);
      assertMatch(mcp.notifications[0].content, /for the hooks$/);
      // The claim commits just after the notification is written: wait for the commit.
      await waitFor("the claim's commit", async () => await inbox.pending(session) === 0, 5000);
      const log = Deno.readTextFileSync(`${home}/mcp.log`);
      assertMatch(
        log,
        /channel mode: Claude Code process \d+ has --dangerously-load-development-channels server:discord/,
      );
    }
  },
});

Deno.test({
  name: "without channel mode the server declares no channel and claims nothing",
  ...quiet,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    const session = "plain-session";
    await new SessionRegistry(home).register({ id: session, cwd: home, pid: Deno.pid });
    const inbox = new Inbox(home);
    await using mcp = await startMcp({
      srv,
      home,
      wrapArgs: ["claude", "--channels", "server:discord"],
    });
    assertEquals(mcp.client.getServerCapabilities()?.experimental, undefined);
    await inbox.append(session, [event(srv.channelId, "hooks deliver this")]);
    await new Promise((r) => setTimeout(r, 1000));
    assertEquals(mcp.notifications.length, 0);
    assertEquals(await inbox.pending(session), 1);
  },
});
