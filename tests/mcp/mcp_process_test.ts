// mcp.ts driven as Claude Code drives it: a subprocess on stdio, the MCP SDK's client,
// against the local Discord server. Channel mode: channel_process_test.ts; the parts in this
// process: mcp_test.ts.
import { startDiscordServer } from "../../testing/mod.ts";
import { SessionRegistry } from "../../sessions.ts";
import { PostIndex } from "../../posts.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { startMcp } from "./_harness.ts";
import { writeGuildFacts } from "../../daemon.ts";

Deno.test({
  name: "mcp.ts over stdio: tools, validation, threads, chunking, files, refusals",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    await using projectDir = await tempDir("mcp-project-");
    const project = projectDir.path;
    await using mcp = await startMcp({ srv, home, cwd: project, webhook: true });
    const owner = srv.ownerId;

    await t.step("lists the five tools with input schemas", async () => {
      const { tools } = await mcp.client.listTools();
      const names = tools.map((x: { name: string }) => x.name).sort();
      assertEquals(names, ["edit_message", "fetch_messages", "react", "reply", "send_file"]);
      const reply = tools.find((x: { name: string }) => x.name === "reply")!;
      assertEquals((reply.inputSchema as { required?: string[] }).required, ["text"]);
      const caps = mcp.client.getServerCapabilities();
      assert(caps?.tools, "tools capability");
      assertEquals(caps?.experimental, undefined, "no channel capability without --channel");
    });

    await t.step("reply without a session goes to the main channel, no pings", async () => {
      const res = await mcp.call("reply", { text: "hello @everyone <@" + owner + ">" });
      assert(!res.isError, res.text);
      assertMatch(res.text, /Sent to the main channel/);
      const last = srv.messages(srv.channelId).at(-1)!;
      assertEquals(last.author.id, srv.botId);
      assertEquals(last.content, "hello @everyone <@" + owner + ">");
      assertEquals(last.mentions, [], "allowed_mentions parse: [] pings nobody");
      assertEquals(last.mention_everyone, false);
    });

    await t.step("bad inputs get one clear sentence each", async () => {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ["reply", {}, /^text is missing: pass the message to send$/],
        ["reply", { text: 5 }, /^text must be a string/],
        ["reply", { text: "   " }, /^text is empty/],
        [
          "reply",
          { text: "x", extra: 1 },
          /^Unknown argument "extra": this tool takes text, channel_id, reply_to$/,
        ],
        ["reply", { text: "x", channel_id: "general" }, /^channel_id must be the numeric id/],
        ["reply", { text: "x".repeat(40_001) }, /send it as a file with send_file/],
        ["react", { message_id: "1", emoji: "👍" }, /^message_id must be the numeric id/],
        ["react", { message_id: srv.channelId, emoji: ":thumbsup:" }, /shortcode/],
        ["edit_message", { message_id: srv.channelId, text: "x".repeat(2001) }, /at most 2,000/],
        ["fetch_messages", { limit: 0 }, /^limit must be at least 1$/],
        ["fetch_messages", { limit: 101 }, /^limit must be at most 100/],
        ["fetch_messages", { limit: 2.5 }, /whole number/],
        ["send_file", {}, /^path is missing/],
        ["nope", {}, /^Unknown tool "nope": use one of reply, react/],
      ];
      for (const [tool, args, want] of cases) {
        const res = await mcp.call(tool, args);
        assert(res.isError, `${tool} ${JSON.stringify(args).slice(0, 60)} was accepted`);
        assertMatch(res.text, want);
        assert(!res.text.includes("\n"), `one sentence: ${res.text}`);
      }
    });

    await t.step("refuses channels outside the chat channel and its threads", async () => {
      // The forum itself is not a thread; the webhook's forum threads are allowed.
      let res = await mcp.call("reply", { text: "x", channel_id: srv.forumId });
      assert(res.isError);
      assertMatch(res.text, /is outside the chat channel/);
      res = await mcp.call("fetch_messages", { channel_id: "1100000000000000009" });
      assert(res.isError);
      assertMatch(res.text, /unknown or not visible to the bot/);
      const before = srv.state().messages.length;
      res = await mcp.call("send_file", { path: "/etc/hostname", channel_id: srv.forumId });
      assert(res.isError);
      assertEquals(srv.state().messages.length, before, "nothing was posted");
    });

    await t.step("posts in a thread of the chat channel and of the STATUS forum", async () => {
      const thread = await srv.createThread({ parentId: srv.channelId, name: "work" });
      let res = await mcp.call("reply", { text: "in the thread", channel_id: thread.id });
      assert(!res.isError, res.text);
      assertMatch(res.text, /thread "work"/);
      assertEquals(srv.messages(thread.id).at(-1)?.content, "in the thread");
      const post = await srv.createThread({ parentId: srv.forumId, name: "status-post" });
      res = await mcp.call("reply", { text: "in the forum thread", channel_id: post.id });
      assert(!res.isError, res.text);
      assertEquals(srv.messages(post.id).at(-1)?.content, "in the forum thread");
    });

    await t.step("reply splits long text in order, replies to a message", async () => {
      const asked = await srv.postAsUser({
        channelId: srv.channelId,
        userId: owner,
        content: "please summarise",
      });
      const text = Array.from({ length: 120 }, (_, i) => `point ${i}: ${"z".repeat(30)}`).join(
        "\n",
      );
      const res = await mcp.call("reply", { text, reply_to: asked.id });
      assert(!res.isError, res.text);
      assertMatch(res.text, /replying to/);
      const posted = srv.messages(srv.channelId).filter((m) => m.id > asked.id);
      assertEquals(posted.length, 3);
      assertEquals(posted.map((m) => m.content).join("\n"), text);
      assertEquals(posted[0].message_reference?.message_id, asked.id);
      assertEquals(posted[1].message_reference, undefined);
      for (const m of posted) assert(m.content.length <= 2000);
    });

    await t.step("reply_to finds the message's channel; unknown ids are refused", async () => {
      const thread = await srv.createThread({ parentId: srv.channelId, name: "elsewhere" });
      const q = await srv.postAsUser({ channelId: thread.id, userId: owner, content: "q?" });
      let res = await mcp.call("reply", { text: "a!", reply_to: q.id, channel_id: thread.id });
      assert(!res.isError, res.text);
      assertEquals(srv.messages(thread.id).at(-1)?.message_reference?.message_id, q.id);
      res = await mcp.call("reply", { text: "a!", reply_to: q.id });
      assert(res.isError, "not in the default target nor the main channel");
      assertMatch(res.text, /is not in the main channel .*: pass the channel_id it was posted in/);
    });

    await t.step("react adds the bot's reaction", async () => {
      const m = await srv.postAsUser({ channelId: srv.channelId, userId: owner, content: "go" });
      const res = await mcp.call("react", { message_id: m.id, emoji: "👀" });
      assert(!res.isError, res.text);
      const after = srv.messages(srv.channelId).find((x) => x.id === m.id)!;
      assertEquals(after.reactions?.map((r) => [r.emoji.name, r.me]), [["👀", true]]);
      const missing = await mcp.call("react", { message_id: "1100000000000000009", emoji: "👀" });
      assert(missing.isError);
      assertMatch(missing.text, /is not in the main channel/);
    });

    await t.step("edit_message edits the bot's messages only", async () => {
      await mcp.call("reply", { text: "progress: 10%" });
      const mine = srv.messages(srv.channelId).at(-1)!;
      let res = await mcp.call("edit_message", { message_id: mine.id, text: "progress: 100%" });
      assert(!res.isError, res.text);
      assertEquals(
        srv.messages(srv.channelId).find((m) => m.id === mine.id)?.content,
        "progress: 100%",
      );
      const theirs = await srv.postAsUser({
        channelId: srv.channelId,
        userId: owner,
        content: "mine",
      });
      res = await mcp.call("edit_message", { message_id: theirs.id, text: "hacked" });
      assert(res.isError);
      assertMatch(res.text, /not by this bot: only messages you sent/);
      assertEquals(srv.messages(srv.channelId).find((m) => m.id === theirs.id)?.content, "mine");
    });

    await t.step("fetch_messages renders history oldest first with author, time, id", async () => {
      const thread = await srv.createThread({ parentId: srv.channelId, name: "history" });
      const a = await srv.postAsUser({ channelId: thread.id, userId: owner, content: "first" });
      const b = await srv.postAsUser({
        channelId: thread.id,
        userId: owner,
        content: "second",
        messageReference: { message_id: a.id },
      });
      await mcp.call("reply", { text: "third", channel_id: thread.id });
      const res = await mcp.call("fetch_messages", { channel_id: thread.id, limit: 10 });
      assert(!res.isError, res.text);
      const iFirst = res.text.indexOf("first");
      const iSecond = res.text.indexOf("second");
      const iThird = res.text.indexOf("third");
      assert(iFirst > 0 && iFirst < iSecond && iSecond < iThird, res.text);
      assertMatch(res.text, new RegExp(`message ${a.id}`));
      assertMatch(res.text, new RegExp(`message ${b.id} · reply to ${a.id}`));
      assertMatch(res.text, new RegExp(`\\(user ${owner}\\)`));
      assertMatch(res.text, /\(this bot, you\)/);
      assertMatch(res.text, /\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\]/);
      const page = await mcp.call("fetch_messages", { channel_id: thread.id, limit: 1 });
      assertMatch(page.text, /call fetch_messages with before=/);
    });

    await t.step("send_file attaches a file, checks paths and sizes", async () => {
      Deno.writeTextFileSync(`${project}/report.txt`, "all green\n");
      let res = await mcp.call("send_file", { path: "report.txt", text: "the report" });
      assert(!res.isError, res.text);
      const msg = srv.messages(srv.channelId).at(-1)!;
      assertEquals(msg.content, "the report");
      assertEquals(msg.attachments.map((a) => [a.filename, a.size]), [["report.txt", 10]]);
      const body = await (await fetch(msg.attachments[0].url)).text();
      assertEquals(body, "all green\n");

      res = await mcp.call("send_file", { path: "missing.txt" });
      assert(res.isError);
      assertMatch(res.text, new RegExp(`^No file at ${project}/missing.txt`));
      res = await mcp.call("send_file", { path: project });
      assert(res.isError);
      assertMatch(res.text, /is not a regular file/);
      const big = `${project}/big.bin`;
      const f = Deno.createSync(big);
      f.truncateSync(10 * 1024 * 1024 + 1);
      f.close();
      res = await mcp.call("send_file", { path: big });
      assert(res.isError);
      assertMatch(res.text, /big\.bin is 10 MiB, over Discord's 10 MiB upload limit/);
    });

    await t.step("no gateway connection, no stray stdout, the token never logged", () => {
      assertEquals(srv.state().gatewayConnections.length, 0);
      assertEquals(mcp.errors.map((e) => e.message), []);
      const log = Deno.readTextFileSync(`${home}/mcp.log`);
      assert(!log.includes(srv.token), "token in the log");
      assertMatch(log, /reply: Sent to/);
    });
  },
});

Deno.test({
  name: "mcp.ts honours 429 retry_after and the 5-per-5-s message limit",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    await using mcp = await startMcp({ srv, home, args: ["--max-upload-mib", "25"] });
    // Two injected 429s (retry_after 0.4 s) on the first post.
    srv.fault({ kind: "http", status: 429, count: 2, route: "/messages", retryAfter: 0.4 });
    const res = await mcp.call("reply", { text: "after the storm" });
    assert(!res.isError, res.text);
    const posts = srv.state().requests.filter((r) =>
      r.method === "POST" && r.path === `/channels/${srv.channelId}/messages`
    );
    assertEquals(posts.map((r) => r.status), [429, 429, 200]);
    for (let i = 1; i < posts.length; i++) {
      const gap = Date.parse(posts[i].time) - Date.parse(posts[i - 1].time);
      assert(gap >= 390, `retried after ${gap} ms, before retry_after`);
    }
    assertEquals(srv.messages(srv.channelId).map((m) => m.content), ["after the storm"]);

    // Seven parts against Discord's real 5 per 5 s per channel: all posted, in order.
    const text = Array.from({ length: 7 }, (_, i) => `part ${i} ` + "q".repeat(1900)).join("\n");
    const started = Date.now();
    const seven = await mcp.call("reply", { text });
    assert(!seven.isError, seven.text);
    const parts = srv.messages(srv.channelId).slice(1).map((m) => m.content.slice(0, 6));
    assertEquals(parts, Array.from({ length: 7 }, (_, i) => `part ${i}`));
    assert(Date.now() - started >= 4000, "the per-channel window was respected");

    // A 500 is retried; three in a row give up with a sentence.
    srv.fault({ kind: "http", status: 500, count: 1, route: "/messages" });
    const retried = await mcp.call("fetch_messages", { limit: 1 });
    assert(!retried.isError, retried.text);
    srv.fault({ kind: "http", status: 500, count: 3, route: "/messages" });
    const gaveUp = await mcp.call("fetch_messages", { limit: 1 });
    assert(gaveUp.isError);
    assertMatch(
      gaveUp.text,
      /^Cannot read the history of the main channel .*: Discord answered 500 .*3 times in a row: try again later$/,
    );

    // A file over the 25 MiB request ceiling is refused even with the limit raised.
    const big = `${mcp.cwd}/huge.bin`;
    const f = Deno.createSync(big);
    f.truncateSync(25 * 1024 * 1024 + 1);
    f.close();
    const refused = await mcp.call("send_file", { path: big });
    assert(refused.isError);
    assertMatch(refused.text, /over the 25 MiB most a Discord request can carry/);
  },
});

Deno.test({
  name: "mcp.ts names the fix when Discord rejects the token",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    const wrong = `${srv.token.split(".")[0]}.wrong.tokenvalue`;
    await using mcp = await startMcp({ srv, home, env: { DISCORD_BOT_TOKEN: wrong } });
    const res = await mcp.call("reply", { text: "hi" });
    assert(res.isError);
    assertMatch(
      res.text,
      /Discord answered 401.*: the bot token is not valid: run `deno task setup`$/,
    );
    assert(!res.text.includes(wrong) && !Deno.readTextFileSync(`${home}/mcp.log`).includes(wrong));
  },
});

Deno.test({
  name: "mcp.ts serves the session whose Claude Code process is its ancestor",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    const registry = new SessionRegistry(home);
    // A live session in another project that is not our ancestor: never chosen.
    await using other = await tempDir("mcp-project-");
    await registry.register({ id: "other-session", cwd: other.path, pid: 1 });
    await using mcp = await startMcp({ srv, home });

    // Before the session registers, replies go to the main channel (lazy lookup).
    let res = await mcp.call("reply", { text: "early" });
    assertMatch(res.text, /Sent to the main channel/);

    // This test process stands in for the Claude Code process: it is the server's parent.
    const thread = await srv.createThread({ parentId: srv.channelId, name: "session thread" });
    await using cwd = await tempDir("mcp-project-");
    await registry.register({ id: "sess-1", cwd: cwd.path, pid: Deno.pid });
    await registry.setThread("sess-1", thread.id);
    res = await mcp.call("reply", { text: "late" });
    assert(!res.isError, res.text);
    assertMatch(res.text, /your session's thread "session thread"/);
    const posted = srv.messages(thread.id).at(-1)!;
    assertEquals(posted.content, "late");
    // The post is recorded for routing replies back to this session.
    await waitFor("post index", () => new PostIndex(home).ownerOf(posted.id) === "sess-1", 2000);
    const early = srv.messages(srv.channelId).at(-1)!;
    assertEquals(new PostIndex(home).ownerOf(early.id), undefined);
    const log = Deno.readTextFileSync(`${home}/mcp.log`);
    assertMatch(log, /serving process: session .* \(Claude Code process \d+ is an ancestor/);
  },
});

Deno.test({
  name: "mcp.ts send_file follows the guild's attachment_size_limit the bridge recorded",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    const home = homeDir.path;
    await using mcp = await startMcp({ srv, home });
    const file = `${mcp.cwd}/shot.bin`;
    Deno.writeFileSync(file, new Uint8Array(1536 * 1024));
    // A guild whose limit is 1 MiB: refused before anything is sent, naming the guild's limit.
    writeGuildFacts(home, {
      guildId: srv.guildId,
      attachmentSizeLimit: 1024 * 1024,
      seenAt: new Date().toISOString(),
    });
    const refused = await mcp.call("send_file", { path: file });
    assert(refused.isError);
    assertMatch(
      refused.text,
      /shot\.bin is 1\.5 MiB, over this server's 1 MiB upload limit \(Discord's attachment_size_limit/,
    );
    // A boosted guild (50 MiB): the same file goes.
    writeGuildFacts(home, {
      guildId: srv.guildId,
      attachmentSizeLimit: 50 * 1024 * 1024,
      seenAt: new Date().toISOString(),
    });
    const sent = await mcp.call("send_file", { path: file });
    assert(!sent.isError, sent.text);
    assertEquals(srv.messages(srv.channelId).at(-1)?.attachments[0].size, 1536 * 1024);
  },
});
