// daemon.ts in this process: the instance lock, the status file, and the bridge's command line
// and permission flags. Other processes holding the lock, stopBridge and startDetached:
// daemon_process_test.ts.
import {
  acquireInstanceLock,
  BRIDGE_RUNTIME_FLAGS,
  bridgeCommand,
  bridgePaths,
  bridgePermissionFlags,
  probeBridge,
  readBridgeStatus,
  writeBridgeStatus,
} from "../daemon.ts";
import { assert, assertEquals } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

Deno.test("daemon: one lock per state directory, released on release()", async () => {
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
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

Deno.test("daemon: status.json round-trips and is only reported for the running pid", async () => {
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
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
  const words: string[] = tasks.start.command.split(" ");
  assertEquals(words.slice(0, 2), ["deno", "run"]);
  assertEquals(words.slice(2, 2 + BRIDGE_RUNTIME_FLAGS.length), [...BRIDGE_RUNTIME_FLAGS]);
  assertEquals(words.at(-1), "bridge.ts");
});
