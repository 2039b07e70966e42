import {
  acquireInstanceLock,
  BRIDGE_RUNTIME_FLAGS,
  bridgeCommand,
  bridgePaths,
  bridgePermissionFlags,
  probeBridge,
  readBridgeStatus,
  startDetached,
  stopBridge,
  writeBridgeStatus,
} from "../daemon.ts";
import { ClaudeDiscordError } from "../errors.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

const HOLDER = new URL("./testdata/lock_holder.ts", import.meta.url).pathname;

/** Starts the lock holder and waits until it printed its first line. */
async function holder(home: string, ...extra: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HOLDER, home, ...extra],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    first += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    child,
    line: first.trim(),
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
    },
  };
}

Deno.test("daemon: one lock per state directory, released on release()", async () => {
  const home = await Deno.makeTempDir();
  assertEquals(probeBridge(home), { running: false });
  const first = await acquireInstanceLock(home, { pid: 4242 });
  assert(first.acquired);
  assertEquals(Deno.readTextFileSync(bridgePaths(home).pid), "4242\n");
  assertEquals(Deno.statSync(bridgePaths(home).dir).mode! & 0o777, 0o700);
  const second = await acquireInstanceLock(home, { attempts: 2, intervalMs: 10 });
  assertEquals(second, { acquired: false, pid: 4242 });
  assertEquals(probeBridge(home).running, true);
  assertEquals(probeBridge(home).pid, 4242);
  first.lock.release();
  first.lock.release(); // idempotent
  assertEquals(probeBridge(home), { running: false });
  assert(!(await exists(bridgePaths(home).pid)));
  using again = await acquireAcquired(home);
  assertEquals(again.pid, Deno.pid);
});

async function acquireAcquired(home: string) {
  const got = await acquireInstanceLock(home);
  assert(got.acquired);
  return got.lock;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("daemon: a lock held by another process is seen; after kill -9 it is taken over", async () => {
  const home = await Deno.makeTempDir();
  await using h = await holder(home);
  assertEquals(h.line, "locked");
  const status = probeBridge(home);
  assertEquals(status, { running: true, pid: h.child.pid });
  const denied = await acquireInstanceLock(home, { attempts: 1 });
  assertEquals(denied, { acquired: false, pid: h.child.pid });
  h.child.kill("SIGKILL");
  await h.child.status;
  // The pid file is stale, but the lock is free.
  assertEquals(Deno.readTextFileSync(bridgePaths(home).pid).trim(), String(h.child.pid));
  assertEquals(probeBridge(home), { running: false });
  using lock = await acquireAcquired(home);
  assertEquals(Deno.readTextFileSync(bridgePaths(home).pid).trim(), String(lock.pid));
});

Deno.test("daemon: two processes started at the same instant: exactly one holds the lock", async () => {
  const home = await Deno.makeTempDir();
  const [a, b] = await Promise.all([holder(home), holder(home)]);
  await using _a = a;
  await using _b = b;
  const lines = [a.line, b.line].sort();
  assertEquals(lines[1], "locked");
  const winner = a.line === "locked" ? a : b;
  assertEquals(lines[0], `busy ${winner.child.pid}`);
});

Deno.test("daemon: stopBridge sends SIGTERM and waits for the lock to be released", async () => {
  const home = await Deno.makeTempDir();
  await using h = await holder(home);
  const result = await stopBridge(home, { timeoutMs: 5000 });
  assertEquals(result, { wasRunning: true, pid: h.child.pid, forced: false });
  assertEquals((await h.child.status).code, 0);
  assertEquals(await stopBridge(home), { wasRunning: false, forced: false });
});

Deno.test("daemon: stopBridge falls back to SIGKILL when SIGTERM is ignored", async () => {
  const home = await Deno.makeTempDir();
  await using h = await holder(home, "--ignore-term");
  const result = await stopBridge(home, { timeoutMs: 300 });
  assertEquals(result, { wasRunning: true, pid: h.child.pid, forced: true });
  assertEquals((await h.child.status).signal, "SIGKILL");
});

Deno.test("daemon: startDetached starts once, then reports the running one", async () => {
  const home = await Deno.makeTempDir();
  const command = { command: Deno.execPath(), args: ["run", "-A", HOLDER, home] };
  try {
    const first = await startDetached({ home, ...command, waitMs: 10_000 });
    assert(first.started);
    assertEquals(probeBridge(home).pid, first.pid);
    const second = await startDetached({ home, ...command, waitMs: 10_000 });
    assertEquals(second, { started: false, pid: first.pid });
  } finally {
    await stopBridge(home, { timeoutMs: 5000 });
  }
  assertEquals(probeBridge(home).running, false);
});

Deno.test("daemon: startDetached reports a child that dies at once", async () => {
  const home = await Deno.makeTempDir();
  await assertRejects(
    () =>
      startDetached({
        home,
        command: Deno.execPath(),
        args: ["eval", "Deno.exit(1)"],
        waitMs: 10_000,
      }),
    ClaudeDiscordError,
    "exited with code 1",
  );
});

Deno.test("daemon: status.json round-trips and is only reported for the running pid", async () => {
  const home = await Deno.makeTempDir();
  const now = new Date().toISOString();
  writeBridgeStatus(home, {
    pid: Deno.pid,
    startedAt: now,
    state: "connected",
    since: now,
    delivered: 3,
    dropped: { bot: 1 },
  });
  assertEquals(readBridgeStatus(home)?.delivered, 3);
  assertEquals(Deno.statSync(bridgePaths(home).status).mode! & 0o777, 0o600);
  assertEquals(probeBridge(home), { running: false });
  using _lock = await acquireAcquired(home);
  assertEquals(probeBridge(home).status?.state, "connected");
});

Deno.test("daemon: least-permission flags follow the API host", () => {
  assertEquals(
    bridgePermissionFlags({
      home: "/state",
      apiUrl: "https://discord.com/api",
      webhookUrl: "https://discord.com/api/webhooks/1100000000000000001/tok",
    }).slice(0, 3),
    [
      "--allow-net=discord.com,*.discord.gg",
      "--allow-read=/state",
      "--allow-write=/state",
    ],
  );
  const local = bridgeCommand({
    home: "/state",
    apiUrl: "http://127.0.0.1:9999/api",
    moduleUrl: "file:///opt/claude-discord/bridge.ts",
    denoPath: "/usr/bin/deno",
    bridgeArgs: ["--foreground"],
  });
  assertEquals(local.command, "/usr/bin/deno");
  assertEquals(local.cwd, "/opt/claude-discord");
  const n = BRIDGE_RUNTIME_FLAGS.length;
  assertEquals(local.args.slice(0, n + 2), [
    "run",
    ...BRIDGE_RUNTIME_FLAGS,
    "--allow-net=127.0.0.1",
  ]);
  assert(local.args[n + 4].startsWith("--allow-env=DISCORD_BOT_TOKEN,"));
  assertEquals(local.args.slice(-2), ["/opt/claude-discord/bridge.ts", "--foreground"]);
});

Deno.test("deno task start runs the bridge with the same Deno and V8 flags as bridgeCommand", () => {
  const root = new URL("..", import.meta.url);
  const tasks = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root))).tasks;
  const words: string[] = tasks.start.split(" ");
  assertEquals(words.slice(0, 2), ["deno", "run"]);
  assertEquals(words.slice(2, 2 + BRIDGE_RUNTIME_FLAGS.length), [...BRIDGE_RUNTIME_FLAGS]);
  assertEquals(words.at(-1), "bridge.ts");
});
