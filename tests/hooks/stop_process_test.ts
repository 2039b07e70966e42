// hooks: the Stop wake-up (asyncRewake: waits, exits 2 with the message, times out, is
// cancelled), and the posting roles (Stop status, notices, SessionEnd) against the local
// Discord server, run with the settings' exact commands and permissions.
import { writeConfigFile } from "../../config.ts";
import { Inbox } from "../../inbox.ts";
import { PostIndex } from "../../posts.ts";
import { SessionRegistry } from "../../sessions.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { message, tempDir } from "../_fixture.ts";
import {
  bridgeFor,
  commandOf,
  configure,
  fixture,
  frameIds,
  hookLog,
  runHookCommand,
  settingsFor,
  SID,
} from "./_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a hook command in the background; resolves when it ends. */
function startHook(command: string, input: unknown, env: Record<string, string> = {}) {
  return runHookCommand(command, input, env, 60_000);
}

const waiting = (home: string) => () => {
  try {
    return Deno.readTextFileSync(`${home}/hooks/wait/${SID}`) !== "";
  } catch {
    return false;
  }
};

Deno.test("wake: waits for a message, then exits 2 with it on stderr, naming the user, not an approval", async () => {
  await using h = await tempDir("cd-hooks-");
  const command = commandOf(configure(h.path, { wakeTimeoutSeconds: 30 }), "Stop", "wake");
  const started = Date.now();
  const run = startHook(command, fixture("Stop", SID));
  await waitFor("the wait to start", waiting(h.path), 10_000);
  await sleep(300);
  const e = message("can you also update the changelog?");
  await new Inbox(h.path).append(SID, [e]);
  const r = await run;
  const took = Date.now() - started;
  assertEquals(r.code, 2, r.stderr);
  assertEquals(r.stdout, "");
  assertEquals(frameIds(r.stderr), [e.id]);
  assertMatch(r.stderr, /written by ada \(Discord user id 1100000000000000003\)/);
  assertMatch(r.stderr, /allowlist/);
  assertMatch(r.stderr, /not an approval/);
  assertMatch(r.stderr, /can you also update the changelog\?/);
  assert(took < 10_000, `woke after ${took} ms`);
  assertEquals(await new Inbox(h.path).pending(SID), 0);
  // stop_hook_active is set after a wake-up: the next Stop still waits (here: times out).
  writeConfigFile(h.path, { wakeTimeoutSeconds: 1 });
  const again = await runHookCommand(command, fixture("Stop.stop_hook_active", SID));
  assertEquals([again.code, again.stderr], [0, ""]);
  assertMatch(hookLog(h.path), /no message before the wake timeout/);
});

Deno.test("wake: a message already pending wakes at once; nothing pending times out cleanly", async () => {
  await using h = await tempDir("cd-hooks-");
  const command = commandOf(configure(h.path, { wakeTimeoutSeconds: 1 }), "Stop", "wake");
  const t0 = Date.now();
  const idle = await runHookCommand(command, fixture("Stop", SID));
  assertEquals([idle.code, idle.stdout, idle.stderr], [0, "", ""]);
  assert(Date.now() - t0 < 8000);
  await new Inbox(h.path).append(SID, [message("hello?")]);
  const woke = await runHookCommand(command, fixture("Stop", SID));
  assertEquals(woke.code, 2);
  assertMatch(woke.stderr, /hello\?/);
});

Deno.test("wake: UserPromptSubmit cancels the wait, a newer Stop takes it over; nothing is consumed for them", async () => {
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, { wakeTimeoutSeconds: 60 });
  const wake = commandOf(settings, "Stop", "wake");
  const env = { CLAUDE_CODE_SESSION_ID: SID };

  const first = startHook(wake, fixture("Stop", SID), env);
  await waitFor("the first wait", waiting(h.path), 10_000);
  const token1 = Deno.readTextFileSync(`${h.path}/hooks/wait/${SID}`);
  const second = startHook(wake, fixture("Stop", SID), env);
  await waitFor(
    "the second wait",
    () => Deno.readTextFileSync(`${h.path}/hooks/wait/${SID}`) !== token1,
    10_000,
  );
  const r1 = await first;
  assertEquals([r1.code, r1.stderr], [0, ""]);
  // The user types in the terminal: the fast path empties the wait file.
  const prompt = await runHookCommand(
    commandOf(settings, "UserPromptSubmit", "deliver"),
    fixture("UserPromptSubmit", SID),
    env,
  );
  assertEquals([prompt.code, prompt.stdout], [0, ""]);
  const r2 = await second;
  assertEquals([r2.code, r2.stderr], [0, ""]);
  await new Inbox(h.path).append(SID, [message("for later")]);
  assertEquals(await new Inbox(h.path).pending(SID), 1);
  assertMatch(hookLog(h.path), /wait cancelled or taken over/);
});

Deno.test("wake: when Claude Code dies the wait ends without consuming anything", async () => {
  await using h = await tempDir("cd-hooks-");
  const command = commandOf(configure(h.path, { wakeTimeoutSeconds: 60 }), "Stop", "wake");
  const input = `${h.path}/stop.json`;
  Deno.writeTextFileSync(input, JSON.stringify(fixture("Stop", SID)));
  // A stand-in for Claude Code: a shell that runs the hook in the background, then is killed.
  const parent = new Deno.Command("/bin/sh", {
    args: ["-c", `${command} < '${input}' & echo $! > '${h.path}/hook.pid'; wait`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor("the wait", waiting(h.path), 10_000);
  const hookPid = Number(Deno.readTextFileSync(`${h.path}/hook.pid`).trim());
  parent.kill("SIGKILL");
  await parent.status;
  const alive = () => {
    try {
      Deno.kill(hookPid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  };
  await waitFor("the orphaned hook to end", () => !alive(), 10_000);
  await new Inbox(h.path).append(SID, [message("nobody is listening")]);
  await sleep(200);
  assertEquals(await new Inbox(h.path).pending(SID), 1);
  assertMatch(hookLog(h.path), /wait cancelled or taken over/);
});

Deno.test("wake: under claude -p (CLAUDE_CODE_ENTRYPOINT=sdk-cli) it does not wait, nothing is taken", async () => {
  await using h = await tempDir("cd-hooks-");
  const command = commandOf(configure(h.path, { wakeTimeoutSeconds: 60 }), "Stop", "wake");
  await new Inbox(h.path).append(SID, [message("hi")]);
  const t0 = Date.now();
  const r = await runHookCommand(command, fixture("Stop", SID), {
    CLAUDE_CODE_ENTRYPOINT: "sdk-cli",
  });
  assertEquals([r.code, r.stderr], [0, ""]);
  assert(Date.now() - t0 < 10_000);
  assertEquals(await new Inbox(h.path).pending(SID), 1);
  assertMatch(hookLog(h.path), /claude -p session, no wake-up wait/);
});

Deno.test("wake: off in the config, or past the runaway guard → exit 0 at once", async () => {
  await using h = await tempDir("cd-hooks-");
  const command = commandOf(settingsFor(h.path), "Stop", "wake");
  await new Inbox(h.path).append(SID, [message("hi")]);
  writeConfigFile(h.path, { wakeOnMessage: false });
  const off = await runHookCommand(command, fixture("Stop", SID));
  assertEquals([off.code, off.stderr], [0, ""]);
  writeConfigFile(h.path, { wakeOnMessage: true });
  Deno.mkdirSync(`${h.path}/hooks/wait`, { recursive: true });
  const now = Date.now();
  Deno.writeTextFileSync(
    `${h.path}/hooks/wait/${SID}.wakes`,
    JSON.stringify(Array.from({ length: 20 }, (_, i) => now - i * 1000)),
  );
  const guarded = await runHookCommand(command, fixture("Stop", SID));
  assertEquals([guarded.code, guarded.stderr], [0, ""]);
  assertEquals(await new Inbox(h.path).pending(SID), 1);
  assertMatch(hookLog(h.path), /wake-ups in 10 min; not waiting/);
});

Deno.test("status, notices, SessionEnd: posted into the session's own thread by the bridge, recorded for reply routing", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, { mentionUserId: server.ownerId }, server);
  await using bridge = await bridgeFor(server, h.path);
  const env = { CLAUDE_PID: String(Deno.pid) };
  /** The embeds of the bot's posts in the session's thread, once `n` are there. */
  const posts = async (n: number) => {
    const thread = await waitFor(
      "the thread",
      () => new SessionRegistry(h.path).get(SID)?.threadId,
    );
    return await waitFor(`${n} posts`, () => {
      const got = server.messages(thread).map((m) => `${m.content} ${JSON.stringify(m.embeds)}`);
      return got.length >= n ? got : undefined;
    }, 15_000);
  };

  const stop = await runHookCommand(
    commandOf(settings, "Stop", "status"),
    fixture("Stop", SID),
    env,
  );
  assertEquals([stop.code, stop.stdout], [0, ""], stop.stderr + hookLog(h.path));
  assertMatch((await posts(1))[0], /Done\./);
  const record = new SessionRegistry(h.path).get(SID)!;
  const thread = server.state().threads.find((t) => t.id === record.threadId);
  assertEquals(thread?.parent_id, server.forumId);
  assertEquals(thread?.name, record.name);
  assertEquals(thread?.owner_id, server.botId);
  // Every post is recorded, so a Discord reply to it routes back to this session.
  await bridge.idle();
  const index = new PostIndex(h.path);
  for (const m of server.messages(record.threadId!)) assertEquals(index.ownerOf(m.id), SID);

  // StopFailure (rate limit) mentions the owner; a repeated Notification is posted once.
  await runHookCommand(
    commandOf(settings, "StopFailure", "notice"),
    fixture("StopFailure", SID),
    env,
  );
  for (let i = 0; i < 2; i++) {
    await runHookCommand(
      commandOf(settings, "Notification", "notice"),
      fixture("Notification", SID),
      env,
    );
  }
  const after = await posts(3);
  assertMatch(after[1], /rate limited/);
  assertMatch(after[1], new RegExp(`<@${server.ownerId}>`));
  assertMatch(after[2], /Waiting for a permission answer/);
  // An idle notice while the wake-up wait listens says nothing new: not posted.
  Deno.mkdirSync(`${h.path}/hooks/wait`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/hooks/wait/${SID}`, "token");
  const idle = { ...fixture("Notification", SID), notification_type: "idle_prompt" };
  await runHookCommand(commandOf(settings, "Notification", "notice"), idle, env);
  Deno.writeTextFileSync(`${h.path}/hooks/wait/${SID}`, "");
  await runHookCommand(commandOf(settings, "Notification", "notice"), idle, env);
  const idled = await posts(4);
  assertEquals(idled.length, 4);
  assertMatch(idled[3], /Waiting for input/);

  // SessionEnd: unregistered first, then the notice still lands in the thread.
  const end = await runHookCommand(
    commandOf(settings, "SessionEnd", "end"),
    fixture("SessionEnd", SID),
    env,
  );
  assertEquals(end.code, 0);
  assert(new SessionRegistry(h.path).get(SID)?.ended, "unregistered");
  assertMatch((await posts(5))[4], /Session ended/);
  await bridge.idle();
  assertEquals(server.messages(record.threadId!).length, 5);
  assertEquals(server.state().webhookExecutions.length, 0, "nothing went by the webhook");
  assert(!/ error /.test(hookLog(h.path)), hookLog(h.path));
});
