// daemon.ts across processes: a lock holder in another process (tests/testdata/lock_holder.ts),
// two started at once, stopBridge's SIGTERM and SIGKILL, and startDetached.
import {
  acquireInstanceLock,
  bridgePaths,
  probeBridge,
  startDetached,
  stopBridge,
} from "../daemon.ts";
import { ClaudeDiscordError } from "../errors.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

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

Deno.test("daemon: a lock held by another process is seen; after kill -9 it is taken over", async () => {
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
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
  const got = await acquireInstanceLock(home);
  assert(got.acquired);
  using lock = got.lock;
  assertEquals(Deno.readTextFileSync(bridgePaths(home).pid).trim(), String(lock.pid));
});

Deno.test("daemon: two processes started at the same instant: exactly one holds the lock", async () => {
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
  const [a, b] = await Promise.all([holder(home), holder(home)]);
  await using _a = a;
  await using _b = b;
  const lines = [a.line, b.line].sort();
  assertEquals(lines[1], "locked");
  const winner = a.line === "locked" ? a : b;
  assertEquals(lines[0], `busy ${winner.child.pid}`);
});

Deno.test("daemon: stopBridge sends SIGTERM and waits for the lock to be released", async () => {
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
  await using h = await holder(home);
  const result = await stopBridge(home, { timeoutMs: 5000 });
  assertEquals(result, { wasRunning: true, pid: h.child.pid, forced: false });
  assertEquals((await h.child.status).code, 0);
  assertEquals(await stopBridge(home), { wasRunning: false, forced: false });
});

Deno.test("daemon: stopBridge falls back to SIGKILL when SIGTERM is ignored", async () => {
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
  await using h = await holder(home, "--ignore-term");
  const result = await stopBridge(home, { timeoutMs: 300 });
  assertEquals(result, { wasRunning: true, pid: h.child.pid, forced: true });
  assertEquals((await h.child.status).signal, "SIGKILL");
});

Deno.test("daemon: startDetached starts once, then reports the running one", async () => {
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
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
  await using dir = await tempDir("daemon-test-");
  const home = dir.path;
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
