// The Stop hook never waits on Discord: it writes the outbox and the bridge sends it.
//
// - Stop hook wall time, Discord up against Discord down, in the same run: the settings' Stop
//   `status` command (`sh -c`, the hook JSON on stdin), each state directory with its bridge
//   process running (down: the bridge's API URL is a closed port). Target: down / up ≤ 1.2.
//   The groups time each side in a stretch of its own; the paired figure alternates the two
//   (40 pairs, the order swapped every pair) and prints the median of the per-pair ratios.
// - Stop hook start → the STATUS visible on the local Discord (its MESSAGE_CREATE), through the
//   bridge: p50, p90, p99 and max of 60 turns, one every 1.2 s (a session's turns are seconds
//   apart; the local server keeps Discord's 5 messages per 5 s per channel).
//
// Run: deno bench -A bench/outbox_bench.ts
import { bridgeCommand, probeBridge, startDetached } from "../daemon.ts";
import { writeConfigFile } from "../config.ts";
import { Outbox } from "../outbox.ts";
import { SessionRegistry } from "../sessions.ts";
import { buildSettings } from "../settings.ts";
import { startDiscordServer } from "../testing/mod.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/+$/, "");
const SID = "dae42081-9441-4c30-8e6b-1aa244137845";

const server = await startDiscordServer({ port: 0, checkResponses: false });
const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const deadApi = `http://127.0.0.1:${(dead.addr as Deno.NetAddr).port}/api`;
dead.close();

interface Side {
  home: string;
  command: string;
}

/** A state directory configured for `apiUrl`, its session registered, its bridge running. */
async function side(name: string, apiUrl: string): Promise<Side> {
  const home = Deno.makeTempDirSync({ prefix: `outbox_bench_${name}_` });
  const webhookUrl = server.webhookUrl.replace(server.apiUrl, apiUrl);
  writeConfigFile(home, {
    token: server.token,
    channelId: server.channelId,
    webhookUrl,
    apiUrl,
    allowedUsers: [server.ownerId],
  });
  await new SessionRegistry(home).register({ id: SID, cwd: "/home/user/project", pid: Deno.pid });
  await startDetached({ home, ...bridgeCommand({ home, apiUrl, webhookUrl }), waitMs: 15_000 });
  const settings = buildSettings({ home, root, denoPath: Deno.execPath(), apiUrl, webhookUrl });
  const command = settings.hooks.Stop[0].hooks.find((h) => h.command.includes("--role=status"))!
    .command;
  if (command.includes("--allow-net")) throw new Error("the Stop hook has network");
  return { home, command };
}

const up = await side("up", server.apiUrl);
const down = await side("down", deadApi);
globalThis.addEventListener("unload", () => {
  for (const s of [up, down]) {
    const pid = probeBridge(s.home).pid;
    if (pid !== undefined) Deno.kill(pid, "SIGTERM");
  }
  // The bridges remove nothing of theirs while stopping: give them a moment, then clean up.
  const until = Date.now() + 3000;
  while (Date.now() < until && [up, down].some((s) => probeBridge(s.home).running)) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  for (const s of [up, down]) Deno.removeSync(s.home, { recursive: true });
});

let turn = 0;
function stopInput(): Uint8Array {
  turn++;
  return new TextEncoder().encode(
    JSON.stringify({
      session_id: SID,
      transcript_path: `/home/user/.claude/projects/-p/${SID}.jsonl`,
      cwd: "/home/user/project",
      hook_event_name: "Stop",
      stop_hook_active: false,
      last_assistant_message: `Turn ${turn}: all tests pass.`,
    }) + "\n",
  );
}

async function stopHook(s: Side): Promise<void> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", s.command],
    env: { CLAUDE_PID: String(Deno.pid) },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(stopInput()).catch(() => {});
  await w.close().catch(() => {});
  const status = await child.status;
  if (!status.success) throw new Error(`the Stop hook exited ${status.code}`);
}

// Warm Deno's module cache, and let the up side open the session's thread.
await stopHook(up);
await stopHook(down);

const RUNS = { n: 30, warmup: 3 };

Deno.bench({
  name: "Stop hook, Discord up",
  group: "Stop hook",
  baseline: true,
  ...RUNS,
  fn: async () => await stopHook(up),
});

Deno.bench({
  name: "Stop hook, Discord down",
  group: "Stop hook",
  ...RUNS,
  fn: async () => await stopHook(down),
});

const figures: string[] = [];
addEventListener("unload", () => {
  if (figures.length > 0) console.log(`\noutbox figures\n  ${figures.join("\n  ")}`);
});

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

let pairedRun: Promise<void> | undefined;
Deno.bench({
  name: "paired: Stop hook down / up (40 alternating pairs)",
  group: "paired",
  n: 1,
  warmup: 0,
  // deno bench may call this more than once even with n: 1; the figures need one run.
  fn: async () =>
    await (pairedRun ??= (async () => {
      const ratios: number[] = [];
      const ups: number[] = [];
      const downs: number[] = [];
      for (let i = 0; i < 40; i++) {
        const [first, second] = i % 2 === 0 ? [up, down] : [down, up];
        const a = await timed(() => stopHook(first));
        const b = await timed(() => stopHook(second));
        const [u, d] = i % 2 === 0 ? [a, b] : [b, a];
        ups.push(u);
        downs.push(d);
        ratios.push(d / u);
      }
      figures.push(
        `Stop hook: Discord up p50 ${quantile(ups, 0.5).toFixed(0)} ms, down p50 ` +
          `${quantile(downs, 0.5).toFixed(0)} ms; down/up median of pairs ` +
          `${quantile(ratios, 0.5).toFixed(2)} (target <= 1.2)`,
      );
    })()),
});

let latencyRun: Promise<void> | undefined;
Deno.bench({
  name: "Stop hook start → STATUS on the local Discord (60 turns)",
  group: "latency",
  n: 1,
  warmup: 0,
  fn: async () =>
    await (latencyRun ??= (async () => {
      const thread = new SessionRegistry(up.home).get(SID)?.threadId;
      if (thread === undefined) throw new Error("the warm-up opened no thread");
      // The benchmarks above queued many posts: let the bridge send them, and the channel's
      // rate limit window pass, so that no turn waits behind them.
      const outbox = new Outbox(up.home);
      while (outbox.pending(SID) > 0) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 5500));
      let seen: (() => void) | undefined;
      const off = server.onEvent((t, d) => {
        if (t === "MESSAGE_CREATE" && d.channel_id === thread) seen?.();
      });
      const samples: number[] = [];
      try {
        for (let i = 0; i < 60; i++) {
          const visible = new Promise<void>((resolve) => (seen = resolve));
          const t0 = performance.now();
          const hook = stopHook(up);
          await visible;
          samples.push(performance.now() - t0);
          await hook;
          await new Promise((r) => setTimeout(r, 1200));
        }
      } finally {
        off();
      }
      const ms = (q: number) => quantile(samples, q).toFixed(0);
      figures.push(
        `Stop hook start → STATUS visible: p50 ${ms(0.5)} ms, p90 ${ms(0.9)} ms, ` +
          `p99 ${ms(0.99)} ms, max ${ms(1)} ms (${samples.length} turns)`,
      );
    })()),
});
