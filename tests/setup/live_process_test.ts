// Setup's live round trip through the real bridge process, `status` on the running system,
// and `doctor` finding what is broken (each with its fix) there.
import { HELD, Inbox } from "../../inbox.ts";
import { SessionRegistry } from "../../sessions.ts";
import { loadConfig, writeConfigFile } from "../../config.ts";
import { liveTest } from "../../_setup/live.ts";
import { SetupApi } from "../../_setup/api.ts";
import { probeBridge } from "../../daemon.ts";
import { ClaudeDiscordError } from "../../errors.ts";
import { runSetup } from "../../_setup/flow.ts";
import { collectStatus, renderStatus } from "../../_setup/status.ts";
import { renderChecks, runDoctor } from "../../_setup/doctor.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { message } from "../_fixture.ts";
import { capture, flagsFor, replyWhenConnected, setupWorld } from "./_helpers.ts";

Deno.test("setup live test: the owner's reply comes back through the bridge; status shows the running system", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const stop = new AbortController();
  const replied = replyWhenConnected(server, { signal: stop.signal, content: "hi bridge" });
  const out = capture();
  const started = performance.now();
  try {
    const result = await runSetup(
      flagsFor(server, world, { liveTest: true, statusChannel: server.forumId }),
      out.io,
    );
    const ms = Math.round(performance.now() - started);
    console.log(
      `setup end to end against the local server: ${ms} ms (reported ${result.seconds} s)`,
    );
    assert(ms < 30_000, `setup took ${ms} ms`);
  } finally {
    stop.abort();
  }
  const replyId = await replied;
  assert(replyId, "the reply was posted");
  const text = out.lines.join("\n");
  assertMatch(text, /ok {2}live test: "hi bridge" from owner reached the bridge \(pid \d+\)/);
  const probe = probeBridge(world.home);
  assert(probe.running && probe.status?.state === "connected", "the bridge stays up");
  const pass = server.messages(server.channelId).find((m) => /Setup check passed/.test(m.content));
  assertEquals(pass?.message_reference?.message_id, replyId, "the bot answers the reply");
  // The throw-away session is gone; its reply did not leak into the held box.
  const registry = new SessionRegistry(world.home);
  assertEquals(registry.list({ live: true }).length, 0);
  const inbox = new Inbox(world.home);
  assertEquals(await inbox.pending(HELD), 0);

  // status on the running system: sessions, mailbox depths, threads, held messages.
  await registry.register({ id: "sess-a", cwd: "/src/api", pid: Deno.pid });
  await registry.setThread("sess-a", "1100000000000000777");
  await registry.register({ id: "sess-b", cwd: "/src/web", pid: Deno.pid });
  await inbox.append("sess-a", [
    message("one", { id: "1100000000000000010" }),
    message("two", { id: "1100000000000000011" }),
  ]);
  await inbox.append(HELD, [message("later", { id: "1100000000000000012" })]);
  Deno.mkdirSync(`${world.home}/attachments/1100000000000000010`, { recursive: true });
  Deno.writeFileSync(`${world.home}/attachments/1100000000000000010/a.png`, new Uint8Array(3000));
  Deno.writeFileSync(`${world.home}/attachments/1100000000000000010/.9.part`, new Uint8Array(9));
  const report = await collectStatus(
    world.home,
    () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } }),
  );
  assertEquals(report.bridge.running, true);
  assertEquals(report.bridge.state, "connected");
  assertEquals(report.sessions.map((s) => [s.name, s.pending, s.threadId]), [
    ["api-sess", 2, "1100000000000000777"],
    ["web-sess", 0, undefined],
  ]);
  assertEquals(report.held, 1);
  assertEquals(report.config?.token, true);
  const rendered = renderStatus(report);
  assertMatch(rendered, /Bridge: running, pid \d+, since /);
  assertMatch(rendered, /gateway: connected since /);
  assertMatch(rendered, /@api-sess {2}2 waiting {2}thread 1100000000000000777/);
  assertMatch(rendered, /Held for the next session: 1/);
  assertEquals(report.attachments, { messages: 1, files: 1, bytes: 3000, retentionDays: 7 });
  assertMatch(
    rendered,
    /Attachments stored: 1 file\(s\) of 1 message\(s\), 0\.0 MiB \(kept 7 days\)/,
  );
  assert(!rendered.includes(server.token), "no token in the status");
  // A problem in a log shows up.
  Deno.writeTextFileSync(
    `${world.home}/hooks.log`,
    `${
      new Date().toISOString()
    } error permission: Cannot post to channel 1: Discord answered 403\n`,
    { append: true },
  );
  const again = await collectStatus(
    world.home,
    () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } }),
  );
  assertEquals(again.problems.at(-1)?.log, "hooks.log");
  assertMatch(renderStatus(again), /hooks\.log: .*Discord answered 403/);

  // doctor on the same system: everything fine, then a permission taken away.
  const doctor = () =>
    runDoctor({
      home: world.home,
      loadConfig: () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } }),
      projectDir: world.project,
      homeDir: world.userHome,
    });
  const healthy = await doctor();
  const fails = healthy.filter((c) => c.level === "fail");
  assertEquals(fails, [], renderChecks(healthy));
  assert(healthy.some((c) => c.label === "bridge" && c.level === "ok"));
  assert(healthy.some((c) => c.label === "hooks" && c.level === "ok"));
  server.fault({ kind: "access", channels: { [server.channelId]: { deny: String(1n << 16n) } } });
  const broken = await doctor();
  const channel = broken.find((c) => c.label === "channel")!;
  assertEquals(channel.level, "fail");
  assertMatch(
    channel.message,
    /The bot lacks Read Message History in #chat: allow them for its role/,
  );
});

Deno.test("setup live test: a reply from someone not allowed, and no reply at all, say what to do", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const stop = new AbortController();
  const replied = replyWhenConnected(server, {
    signal: stop.signal,
    userId: server.users.stranger.id,
  });
  let caught: unknown;
  try {
    await runSetup(
      flagsFor(server, world, { liveTest: true, liveTimeoutSeconds: 4 }),
      capture().io,
    );
  } catch (err) {
    caught = err;
  } finally {
    stop.abort();
  }
  await replied;
  assert(caught instanceof ClaudeDiscordError, String(caught));
  assertMatch(
    (caught as Error).message,
    /from a user who is not allowed: add your user id to DISCORD_ALLOWED_USERS/,
  );
  // Nobody answers: the timeout names the channel and the way out.
  let silent: unknown;
  try {
    await runSetup(
      flagsFor(server, world, { liveTest: true, liveTimeoutSeconds: 1 }),
      capture().io,
    );
  } catch (err) {
    silent = err;
  }
  assertMatch(
    String((silent as Error)?.message),
    /No reply reached the bridge within 1 s: reply to the "connected" message in #chat .*--no-live-test/,
  );
});

Deno.test("setup live test: a bridge that cannot start says why, from its log", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  writeConfigFile(world.home, {
    token: server.token,
    channelId: "1100000000000000001",
    allowedUsers: [server.ownerId],
    apiUrl: server.apiUrl,
  });
  const config = loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } });
  let caught: unknown;
  try {
    await liveTest({
      config,
      api: new SetupApi({ token: server.token, apiUrl: server.apiUrl }),
      timeoutMs: 2000,
      restart: true,
      say: () => {},
      channelName: "gone",
    });
  } catch (err) {
    caught = err;
  }
  assert(caught instanceof ClaudeDiscordError, String(caught));
  assertMatch(
    (caught as Error).message,
    /^The bridge stopped right after starting: .*The chat channel 1100000000000000001 does not exist \(404\)/,
  );
});
