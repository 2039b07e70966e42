// hooks: the registration hooks start the real bridge (daemon.ts → bridge.ts --detach style
// spawn) against the local Discord server; two sessions starting at the same instant end
// up with one bridge; later tool calls do not start Deno while it runs.
import { probeBridge, readBridgeStatus, stopBridge } from "../../daemon.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals } from "../_assert.ts";
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
