// daemon.ts in this process: the instance lock, the status file, the bridge's command line
// and permission flags, and when a bridge that is down starts again. Other processes holding the lock, stopBridge and startDetached:
// daemon_process_test.ts.
import {
  acquireInstanceLock,
  BRIDGE_RUNTIME_FLAGS,
  bridgeCommand,
  bridgePaths,
  bridgePermissionFlags,
  type BridgeStatusFile,
  decideStart,
  probeBridge,
  readBridgeStatus,
  readStartRecord,
  RESTART_MAX_MS,
  restartDelay,
  START_GRACE_MS,
  type StartRecord,
  writeBridgeStatus,
} from "../daemon.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
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
      "--allow-net=discord.com,*.discord.gg,cdn.discordapp.com,media.discordapp.net",
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

/** A status.json of a run started at `at` (ms), ended or not. */
function run(at: number, extra: Partial<BridgeStatusFile> = {}): BridgeStatusFile {
  const iso = new Date(at).toISOString();
  return {
    pid: 7,
    startedAt: iso,
    state: "connected",
    since: iso,
    delivered: 0,
    dropped: {},
    ...extra,
  };
}

Deno.test("restart: the first crash starts again at once; repeated short runs wait 2, 4, 8 s … capped", () => {
  assertEquals([0, 1, 2, 3, 4, 5].map(restartDelay), [0, 0, 2000, 4000, 8000, 16000]);
  assertEquals(restartDelay(12), RESTART_MAX_MS);
  assertEquals(restartDelay(10_000), RESTART_MAX_MS);

  let t = Date.parse("2025-06-01T12:00:00Z");
  let record: StartRecord = { crashes: 0 };
  // Nothing ever ran: start.
  let d = decideStart(record, undefined, t);
  assert(d.start, d.reason);
  record = d.record;
  assertEquals(record.startedAt, t);
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    // The bridge comes up 300 ms after its start and is killed 1 s later.
    const status = run(record.startedAt! + 300);
    t = record.startedAt! + 1500;
    d = decideStart(record, status, t);
    let waited = 0;
    while (!d.start) {
      // Hooks every 500 ms meanwhile: the run is counted once.
      waited += 500;
      d = decideStart(d.record, status, t + waited);
      assert(waited < 60_000, d.reason);
    }
    waits.push(waited);
    assertEquals(d.record.crashes, i + 1);
    record = d.record;
  }
  assertEquals(waits, [0, 2000, 4000, 8000, 16000, 32000]);
});

Deno.test("restart: a clean stop or a healthy run starts over; a failed start counts; a start in progress waits", () => {
  const t = Date.parse("2025-06-01T12:00:00Z");
  const crashed: StartRecord = { startedAt: t, crashes: 4, counted: "x", downAt: t - 1 };
  // Stopped on purpose (SIGTERM, --stop): no crash, start at once.
  let d = decideStart(crashed, run(t + 100, { ended: "stopped", state: "stopping" }), t + 5000);
  assert(d.start, d.reason);
  assertEquals(d.record.crashes, 0);
  // A crash after a healthy run counts as the first: at once.
  d = decideStart(
    crashed,
    run(t + 100, { healthyAt: new Date(t + 600_100).toISOString() }),
    t + 9e5,
  );
  assert(d.start, d.reason);
  assertEquals(d.record.crashes, 1);
  assertEquals(d.reason, " after the last one crashed after a healthy run");
  // A fatal error (bad token, missing intent) is a crash like any other.
  d = decideStart(crashed, run(t + 100, { ended: "failed" }), t + 5000);
  assertEquals([d.start, d.record.crashes], [false, 5]);
  assertEquals(d.reason, "bridge crashed (5 short runs in a row); next start in 16 s");
  // The spawned bridge has not written status.json yet: starting, nothing counted.
  const spawned: StartRecord = { startedAt: t, crashes: 1 };
  d = decideStart(spawned, run(t - 60_000), t + START_GRACE_MS - 1);
  assertEquals([d.start, d.reason, d.record], [false, "bridge starting", spawned]);
  // … and never does: a failed start, counted once.
  d = decideStart(spawned, run(t - 60_000), t + START_GRACE_MS);
  assertEquals([d.start, d.record.crashes], [false, 2]);
  assertEquals(d.reason, "bridge failed to start (2 short runs in a row); next start in 2 s");
  const again = decideStart(d.record, run(t - 60_000), t + START_GRACE_MS + 2000);
  assertEquals([again.start, again.record.crashes], [true, 2]);
});

Deno.test("restart: starts.json is read back, and a damaged one is moved aside for a fresh record", async () => {
  await using dir = await tempDir("daemon-test-");
  const paths = bridgePaths(dir.path);
  assertEquals(readStartRecord(paths), { crashes: 0 });
  Deno.mkdirSync(paths.dir);
  Deno.writeTextFileSync(
    paths.starts,
    JSON.stringify({ startedAt: 5, crashes: 3, counted: "k", downAt: 9 }),
  );
  assertEquals(readStartRecord(paths), { startedAt: 5, crashes: 3, counted: "k", downAt: 9 });
  Deno.writeTextFileSync(paths.starts, "{torn");
  const told: string[] = [];
  assertEquals(readStartRecord(paths, (line) => told.push(line)), { crashes: 0 });
  assertEquals(told.length, 1);
  assertMatch(told[0], /starts\.json is damaged \(not JSON\): moved to .*starts\.json\.damaged/);
  assertEquals(Deno.readTextFileSync(`${paths.starts}.damaged`), "{torn");
  assertEquals(readStartRecord(paths), { crashes: 0 });
});
