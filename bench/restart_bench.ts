// How soon a crashed bridge is back (issue 16): the bridge runs as the hooks start it, against
// the local Discord server; it is killed with SIGKILL at a random moment while a session calls
// a tool every 0.5 s (the PreToolUse command of the settings, `sh -c` as Claude Code runs it).
// Measured from the kill to the new bridge's `status.json` saying `connected` (READY), and to
// its first catch-up done. Each sample is a bridge's first crash, a second or so after its start
// (a fresh state directory): the early crash that a flat back-off used to hold for 30 s, and that
// now starts again at the next tool call.
//
// Target: crash → READY ≤ 3 s while tools are being called.
//
// Run: deno bench -A bench/restart_bench.ts (the summary prints the figures; SAMPLES=n sets the
// number of crashes, default 8).
import { writeConfigFile } from "../config.ts";
import { probeBridge, readBridgeStatus, stopBridge } from "../daemon.ts";
import { buildSettings } from "../settings.ts";
import { startDiscordServer } from "../testing/mod.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/+$/, "");
const SAMPLES = Number(Deno.env.get("SAMPLES") ?? 8);
const TOOL_CALL_EVERY_MS = 500;
const results: string[] = [];
addEventListener("unload", () => {
  if (results.length > 0) console.log(`\nbridge restart after a crash\n  ${results.join("\n  ")}`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sh(command: string, input: string, env: Record<string, string>): Promise<void> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", command],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/",
      ...env,
    },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input)).catch(() => {});
  await w.close().catch(() => {});
  await child.status;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function dead(pid: number): boolean {
  try {
    const state = Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/^.*\) /s, "")[0];
    return state === "Z" || state === "X";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return true; // reaped
    throw err;
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

Deno.bench({
  name: "crash → READY with a tool call every 0.5 s",
  n: 1,
  warmup: 0,
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startDiscordServer({
      port: 0,
      rateLimits: false,
      checkResponses: false,
    });
    const toReady: number[] = [];
    const toCaughtUp: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "restart_bench_" }));
      writeConfigFile(home, {
        token: server.token,
        channelId: server.channelId,
        apiUrl: server.apiUrl,
        allowedUsers: [server.ownerId],
      });
      const settings = buildSettings({ home, root, apiUrl: server.apiUrl });
      const start = settings.hooks.SessionStart[0].hooks[0].command;
      const pre = settings.hooks.PreToolUse[0].hooks[0].command;
      const sid = `bench${i}00-0000-4000-8000-000000000000`;
      const env = { CLAUDE_PID: String(Deno.pid), CLAUDE_CODE_SESSION_ID: sid };
      const input = (event: string) =>
        JSON.stringify({ session_id: sid, cwd: home, hook_event_name: event, tool_name: "Bash" });
      let calling = true;
      const caller = (async () => {
        await sh(start, input("SessionStart"), env);
        while (calling) {
          const t = performance.now();
          await sh(pre, input("PreToolUse"), env);
          await sleep(Math.max(0, TOOL_CALL_EVERY_MS - (performance.now() - t)));
        }
      })();
      try {
        const first = await until("the first bridge", () => {
          const s = readBridgeStatus(home);
          return s?.state === "connected" && s.lastCatchUpAt ? s.pid : undefined;
        });
        await sleep(1000 + Math.random() * TOOL_CALL_EVERY_MS);
        const killed = performance.now();
        Deno.kill(first, "SIGKILL");
        await until("the kill", () => dead(first) || undefined);
        const back = await until("the new bridge", () => {
          const s = readBridgeStatus(home);
          return s && s.pid !== first && s.state === "connected" && probeBridge(home).running
            ? s
            : undefined;
        });
        toReady.push(performance.now() - killed);
        await until("its catch-up", () => readBridgeStatus(home)?.lastCatchUpAt ?? undefined);
        toCaughtUp.push(performance.now() - killed);
        if (back.pid === first) throw new Error("the same bridge");
      } finally {
        calling = false;
        await caller;
        await stopBridge(home).catch(() => {});
        await Deno.remove(home, { recursive: true }).catch(() => {});
      }
    }
    const fmt = (xs: number[]) =>
      `median ${(percentile(xs, 50) / 1000).toFixed(2)} s, max ${
        (Math.max(...xs) / 1000).toFixed(2)
      } s`;
    results.push(`crash → READY (${SAMPLES} crashes): ${fmt(toReady)} (target ≤ 3 s)`);
    results.push(`crash → first catch-up done: ${fmt(toCaughtUp)}`);
  },
});
