// hooks: the registration hooks start the real bridge (daemon.ts → bridge.ts --detach style
// spawn) against the local Discord server; two sessions starting at the same instant end
// up with one bridge; later tool calls do not start Deno while it runs.
import { probeBridge, readBridgeStatus, stopBridge } from "../../daemon.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { commandOf, configure, fixture, hookLog, runHookCommand } from "./_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bridgeProcesses(home: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      if (cmd.some((a) => a.endsWith("/bridge.ts")) && cmd.some((a) => a.includes(home))) {
        pids.push(Number(entry.name));
      }
    } catch {
      // gone
    }
  }
  return pids;
}

/** Kills `pid` with SIGKILL and waits until it is dead (gone, or a zombie nobody reaps). */
async function crash(pid: number): Promise<void> {
  Deno.kill(pid, "SIGKILL");
  const end = Date.now() + 10_000;
  for (;;) {
    let state = "";
    try {
      state = Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/^.*\) /s, "")[0];
    } catch {
      return;
    }
    if (state === "Z" || state === "X") return;
    assert(Date.now() < end, `pid ${pid} survived SIGKILL`);
    await sleep(5);
  }
}

Deno.test("register: two sessions starting at once start one bridge; PreToolUse then skips Deno", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, {}, server);
  const start = commandOf(settings, "SessionStart", "register");
  const a = "aaaa1111-0000-4000-8000-000000000000";
  const b = "bbbb2222-0000-4000-8000-000000000000";
  try {
    const [ra, rb] = await Promise.all([
      runHookCommand(start, fixture("SessionStart", a), { CLAUDE_PID: String(Deno.pid) }),
      runHookCommand(start, fixture("SessionStart", b), { CLAUDE_PID: String(Deno.pid) }),
    ]);
    assertEquals([ra.code, rb.code], [0, 0]);
    // Each hook returned at once; the bridge comes up in the background.
    const end = Date.now() + 30_000;
    while (readBridgeStatus(h.path)?.state !== "connected") {
      assert(Date.now() < end, `the bridge did not connect:\n${hookLog(h.path)}`);
      await sleep(100);
    }
    await sleep(1500); // a second bridge, if any, would have settled by now
    const running = bridgeProcesses(h.path);
    assertEquals(running.length, 1, `bridge processes: ${running}`);
    assertEquals(probeBridge(h.path).pid, running[0]);
    assertEquals(server.state().gatewaySessions.length, 1);

    // With the session registered and the bridge alive, PreToolUse ends in the shell.
    const before = hookLog(h.path);
    const pre = await runHookCommand(
      commandOf(settings, "PreToolUse", "register"),
      fixture("PreToolUse", a),
      { CLAUDE_CODE_SESSION_ID: a },
    );
    assertEquals([pre.code, pre.stdout], [0, ""]);
    assertEquals(hookLog(h.path), before);
  } finally {
    await stopBridge(h.path).catch(() => {});
  }
});

Deno.test("register: a bridge killed soon after its start is back at the next tool call; repeated crashes wait longer", async () => {
  // Bridges restart here faster than Discord's one IDENTIFY per 5 s (tested in tests/testing/).
  await using server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: false },
  });
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, {}, server);
  const sid = "cccc3333-0000-4000-8000-000000000000";
  const env = { CLAUDE_PID: String(Deno.pid), CLAUDE_CODE_SESSION_ID: sid };
  const pre = commandOf(settings, "PreToolUse", "register");
  const connected = async (notPid?: number): Promise<number> => {
    const end = Date.now() + 30_000;
    for (;;) {
      const s = readBridgeStatus(h.path);
      if (s?.state === "connected" && s.pid !== notPid && probeBridge(h.path).pid === s.pid) {
        return s.pid;
      }
      assert(Date.now() < end, `the bridge did not connect:\n${hookLog(h.path)}`);
      await sleep(25);
    }
  };
  /** One PreToolUse hook; returns the log lines it added. */
  const toolCall = async (): Promise<string> => {
    const before = hookLog(h.path).length;
    const r = await runHookCommand(pre, fixture("PreToolUse", sid), env);
    assertEquals([r.code, r.stdout], [0, ""]);
    return hookLog(h.path).slice(before);
  };
  try {
    const start = await runHookCommand(
      commandOf(settings, "SessionStart", "register"),
      fixture("SessionStart", sid),
      env,
    );
    assertEquals(start.code, 0);
    let pid = await connected();

    // Killed within seconds of its start: the very next tool call starts it again.
    await crash(pid);
    let added = await toolCall();
    assertMatch(added, /bridge started \(pid \d+\) after the last one crashed\n/);
    pid = await connected(pid);
    // A second gateway connection (it RESUMEs the session the killed bridge saved).
    assertEquals(server.state().gatewayConnections.length >= 2, true);

    // Killed again soon after: a second short run in a row waits 2 s, the third 4 s.
    for (const [crashes, seconds] of [[2, 2], [3, 4]]) {
      await crash(pid);
      added = await toolCall();
      assertMatch(
        added,
        new RegExp(
          `bridge crashed \\(${crashes} short runs in a row\\); next start in ${seconds} s`,
        ),
      );
      const waitStarted = Date.now();
      let calls = 1;
      while (!/bridge started \(pid/.test(added)) {
        await sleep(500); // a tool call every half second
        added = await toolCall();
        calls++;
        assert(Date.now() - waitStarted < seconds * 1000 + 10_000, hookLog(h.path));
      }
      assert(Date.now() - waitStarted >= seconds * 1000 - 100, `started after ${calls} calls`);
      assert(!/next start/.test(added), added);
      pid = await connected(pid);
    }
    // The waits were only checked, never a start per call: one bridge process.
    assertEquals(bridgeProcesses(h.path), [pid]);
  } finally {
    await stopBridge(h.path).catch(() => {});
  }
});
