// hooks: a hook never waits on Discord. The posting hooks, run with the settings' exact commands
// (no network permission), only write the outbox and make sure the bridge runs: with Discord
// down the Stop hook returns and its post lands once Discord is back; with the bridge down the
// posts wait and the next hook that starts the bridge gets them sent, in order; past its bounds
// the outbox drops the oldest, counted.
import { probeBridge, type StartRecord, stopBridge } from "../../daemon.ts";
import { Outbox } from "../../outbox.ts";
import { SessionRegistry } from "../../sessions.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { tcpGate } from "../_gate.ts";
import { tempDir } from "../_fixture.ts";
import { commandOf, configure, fixture, hookLog, runHookCommand, SID } from "./_helpers.ts";

const env = { CLAUDE_PID: String(Deno.pid) };

/** Stops the bridge a hook started for `home`, whatever the test did. */
function bridgeStopper(home: string): AsyncDisposable {
  return { [Symbol.asyncDispose]: () => stopBridge(home).then(() => {}) };
}

/** What the bot posted in the session's thread, once there are `n` posts. */
function threadPosts(server: DiscordServer, home: string, n: number): Promise<string[]> {
  return waitFor(`${n} posts in the session's thread`, () => {
    const thread = new SessionRegistry(home).get(SID)?.threadId;
    if (thread === undefined) return undefined;
    const got = server.messages(thread).map((m) => `${m.content} ${JSON.stringify(m.embeds)}`);
    return got.length >= n ? got : undefined;
  }, 60_000);
}

/**
 * Makes the hooks see a bridge start made a moment ago that has not come up yet
 * (`bridge/starts.json`, daemon.ts ensureBridgeRunning): they start none for its grace time.
 */
function holdBridgeDown(home: string): void {
  const record: StartRecord = { startedAt: Date.now(), crashes: 0 };
  Deno.mkdirSync(`${home}/bridge`, { recursive: true });
  Deno.writeTextFileSync(`${home}/bridge/starts.json`, JSON.stringify(record));
}

Deno.test("Stop with Discord down: the hook only writes the outbox (no network permission); the post lands once Discord is back", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using gate = tcpGate(Number(new URL(server.apiUrl).port));
  await using h = await tempDir("cd-hooks-");
  await using _bridge = bridgeStopper(h.path);
  const settings = configure(h.path, {
    apiUrl: gate.apiUrl,
    webhookUrl: server.webhookUrl.replace(server.apiUrl, gate.apiUrl),
  }, server);
  const command = commandOf(settings, "Stop", "status");
  assert(!command.includes("--allow-net"), command);

  const stop = await runHookCommand(command, fixture("Stop", SID), env);
  assertEquals([stop.code, stop.stdout, stop.stderr], [0, "", ""]);
  assertMatch(hookLog(h.path), /status "done" queued \(1 post\); bridge started/);
  await waitFor("the bridge the hook started", () => probeBridge(h.path).running, 15_000);
  assertEquals(new Outbox(h.path).pending(SID), 1);
  assertEquals(server.state().threads.length, 0);

  gate.open();
  const [post] = await threadPosts(server, h.path, 1);
  assertMatch(post, /Finished its turn/);
  await waitFor("the commit", () => new Outbox(h.path).pending(SID) === 0, 15_000);
});

Deno.test("bridge down: the posts wait in the outbox; the next hook that starts the bridge gets them sent, in order", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  await using _bridge = bridgeStopper(h.path);
  const settings = configure(h.path, {}, server);
  holdBridgeDown(h.path);

  const stop = await runHookCommand(
    commandOf(settings, "Stop", "status"),
    fixture("Stop", SID),
    env,
  );
  assertEquals(stop.code, 0);
  const failure = await runHookCommand(
    commandOf(settings, "StopFailure", "notice"),
    fixture("StopFailure", SID),
    env,
  );
  assertEquals(failure.code, 0);
  assertMatch(hookLog(h.path), /queued \(1 post\); bridge starting/);
  assert(!probeBridge(h.path).running);
  assertEquals(new Outbox(h.path).pending(SID), 2);

  // The hold is over: SessionEnd queues its notice and starts the bridge, which sends all three.
  Deno.removeSync(`${h.path}/bridge/starts.json`);
  const end = await runHookCommand(
    commandOf(settings, "SessionEnd", "end"),
    fixture("SessionEnd", SID),
    env,
  );
  assertEquals(end.code, 0);
  const posts = await threadPosts(server, h.path, 3);
  assertMatch(posts[0], /Finished its turn/);
  assertMatch(posts[1], /rate limited/);
  assertMatch(posts[2], /Session ended/);
  assertEquals(posts.length, 3);
});

Deno.test("the outbox's bounds: past outboxMaxPosts the oldest posts are dropped, logged and counted", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  await using _bridge = bridgeStopper(h.path);
  const settings = configure(h.path, { outboxMaxPosts: 3 }, server);
  holdBridgeDown(h.path);
  const command = commandOf(settings, "Stop", "status");
  for (let i = 1; i <= 5; i++) {
    const input = { ...fixture("Stop", SID), last_assistant_message: `TURN-${i}` };
    assertEquals((await runHookCommand(command, input, env)).code, 0);
  }
  const outbox = new Outbox(h.path);
  const left = await outbox.peek(SID);
  assertEquals(
    left.map((e) => JSON.stringify(e.body).match(/TURN-[0-9]/)?.[0]),
    ["TURN-3", "TURN-4", "TURN-5"],
  );
  assertEquals(outbox.stats().dropped, 2);
  assertEquals(hookLog(h.path).match(/outbox over its bounds .* dropped the 1 oldest/g)?.length, 2);
});
