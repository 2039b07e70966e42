// The bridge as a process, with its least permissions: kill -9 and restart (a RESUME, no new
// IDENTIFY), a restart loop stopped by the IDENTIFY budget, single instance, --detach /
// --status / --stop, SIGTERM, and the exact fatal errors.
import { Inbox, type InboxEvent } from "../../inbox.ts";
import {
  bridgePaths,
  IdentifyBudgetError,
  probeBridge,
  readBridgeStatus,
  startDetached,
} from "../../daemon.ts";
import { writeConfigFile } from "../../config.ts";
import { removeIfExists } from "../../_shared/fs.ts";
import { assert, assertEquals, assertMatch, assertRejects, waitFor } from "../_assert.ts";
import { bridgeEnv, counts, finish, spawnBridge, waitConnected, world } from "./_helpers.ts";

const BRIDGE = new URL("../../bridge.ts", import.meta.url).pathname;

Deno.test("process: kill -9 mid-stream, then restart: it RESUMEs (no new IDENTIFY), 0 lost, 0 duplicated", async () => {
  await using w = await world({ sessions: ["s1"] });
  const inbox = new Inbox(w.home);
  const claimed: InboxEvent[] = [];
  let claiming = true;
  // A session taking its messages meanwhile, as the hooks do.
  const claimer = (async () => {
    while (claiming) {
      await inbox.claim("s1", (events) => void claimed.push(...events));
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  const sent: string[] = [];
  let first = spawnBridge(w);
  try {
    await waitConnected(w, first.pid);
    for (let i = 0; i < 400; i++) {
      sent.push(await w.say(`message ${i}`));
      if (i === 150) first.kill("SIGKILL");
      if (i % 25 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const status = await first.status;
    assertEquals(status.signal, "SIGKILL");
    first.stdout.cancel().catch(() => {});
    first.stderr.cancel().catch(() => {});
    first = spawnBridge(w);
    await waitConnected(w, first.pid);
    await waitFor("every message", () => {
      const have = new Set([...claimed.map((e) => e.id), ...w.ids("s1")]);
      return sent.every((id) => have.has(id));
    }, 30_000);
    await new Promise((r) => setTimeout(r, 300)); // room for a late duplicate to show up
  } finally {
    claiming = false;
    await claimer;
    first.kill("SIGTERM");
    await finish(first);
  }
  // The restart resumed the session: one IDENTIFY in all, the second process's a RESUME.
  const connections = w.server.state().gatewayConnections;
  assertEquals(connections.filter((c) => c.identified).length, 1);
  assert(connections.some((c) => c.resumed && c.path.startsWith("/resume")));
  const [session] = w.server.state().gatewaySessions;
  assertEquals(session.identifies, 1);
  assert(session.resumes >= 1);
  assertMatch(w.log(), /gateway: resuming the saved session/);
  const all = [...claimed.map((e) => e.id), ...w.ids("s1")];
  const seen = counts(all);
  const dupes = [...seen].filter(([, n]) => n > 1);
  assertEquals(dupes, [], "no duplicates");
  assertEquals(all.length, sent.length);
  assertEquals([...seen.keys()].sort(), [...sent].sort());
});

Deno.test("process: a restart loop stops before the IDENTIFY budget is gone: exit 1, the halt in status, no more starts", async () => {
  // Bridges restart here faster than Discord's one IDENTIFY per 5 s (tested in tests/testing/).
  await using w = await world({
    sessions: ["s1"],
    server: { identifyBudget: { concurrencyWindowMs: false } },
  });
  writeConfigFile(w.home, { identifyCap: 3 });
  let last: Awaited<ReturnType<typeof finish>> | undefined;
  for (let run = 1; run <= 6 && !last; run++) {
    // A session that cannot be resumed: every start has to IDENTIFY.
    removeIfExists(bridgePaths(w.home).gateway);
    const child = spawnBridge(w);
    const ended = await Promise.race([
      child.status.then(() => true),
      waitConnected(w, child.pid).then(() => false),
    ]);
    if (ended) last = await finish(child);
    else {
      child.kill("SIGKILL");
      await finish(child);
    }
  }
  assertEquals(last?.code, 1);
  assertMatch(
    last!.stderr.trim(),
    /^This machine identified to Discord's gateway 3 times in 24 h \(cap 3/,
  );
  assertEquals(w.server.state().gatewayConnections.filter((c) => c.identified).length, 3);
  assertEquals(readBridgeStatus(w.home)?.state, "halted");
  const status = await finish(spawnBridge(w, ["--status"]));
  assertMatch(status.stdout, /^not running: halted until \S+: This machine identified/);
  await assertRejects(
    () => startDetached({ home: w.home, command: Deno.execPath(), args: ["--version"] }),
    IdentifyBudgetError,
  );
});

Deno.test("process: two bridges started at the same instant: one runs, the other says so", async () => {
  await using w = await world({ sessions: ["s1"] });
  const a = spawnBridge(w);
  const b = spawnBridge(w);
  const done = await Promise.race([
    a.status.then(() => [a, b] as const),
    b.status.then(() => [b, a] as const),
  ]);
  const [loser, winner] = done;
  const out = await finish(loser);
  assertEquals(out.code, 0);
  assertEquals(out.stdout.trim(), `already running (pid ${winner.pid})`);
  await waitConnected(w, winner.pid);
  assertEquals(probeBridge(w.home).pid, winner.pid);
  winner.kill("SIGTERM");
  const end = await finish(winner);
  assertEquals(end.code, 0);
  assertEquals(probeBridge(w.home).running, false);
  assertMatch(w.log(), /stopped \(delivered 0\)/);
});

Deno.test("process: --detach returns at once; --status and --stop see it", async () => {
  await using w = await world({ sessions: ["s1"] });
  const run = (args: string[]) =>
    finish(
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", BRIDGE, ...args],
        env: bridgeEnv(w),
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
  const started = Date.now();
  const detach = await run(["--detach"]);
  assertEquals(detach.code, 0, detach.stderr);
  const pid = Number(detach.stdout.match(/^started \(pid (\d+)\)/)?.[1]);
  assert(pid > 0, detach.stdout);
  assert(Date.now() - started < 10_000);
  try {
    await waitConnected(w, pid);
    const again = await run(["--detach"]);
    assertEquals(again.stdout.trim(), `already running (pid ${pid})`);
    const id = await w.say("to the detached bridge");
    await waitFor("the message", () => w.ids("s1").includes(id));
    // status.json is refreshed every 2 s while counters change.
    await waitFor("the status file", () => readBridgeStatus(w.home)?.delivered === 1, 10_000);
    const status = await run(["--status"]);
    assertEquals(status.code, 0);
    assertMatch(
      status.stdout,
      new RegExp(`^running \\(pid ${pid}\\), connected since .*delivered 1`),
    );
  } finally {
    const stop = await run(["--stop"]);
    assertEquals(stop.stdout.trim(), `stopped (pid ${pid})`);
  }
  const status = await run(["--status"]);
  assertEquals([status.code, status.stdout.trim()], [1, "not running"]);
  assertEquals(probeBridge(w.home).running, false);
  // A clean stop saved the cursors and removed the pid file.
  assert(Deno.readTextFileSync(bridgePaths(w.home).cursors).includes(w.server.channelId));
  assertEquals(Deno.statSync(bridgePaths(w.home).dir).isDirectory, true);
  assertEquals(await Deno.stat(bridgePaths(w.home).pid).then(() => true, () => false), false);
});

Deno.test("process: a bad token ends with exit 1 and 'Discord rejected the token … run setup'", async () => {
  await using w = await world({ sessions: ["s1"] });
  const badToken = `${w.server.token.split(".")[0]}.AAAAAA.this-is-not-the-right-secret`;
  const out = await finish(spawnBridge(w, [], { DISCORD_BOT_TOKEN: badToken }));
  assertEquals(out.code, 1);
  assertMatch(out.stderr.trim(), /^Discord rejected the token \(401\): run setup/);
  assert(!w.log().includes(badToken), "the token is not logged");
  assertEquals(probeBridge(w.home).running, false);
});

Deno.test("process: a missing Message Content intent ends with exit 1 naming the portal switch", async () => {
  await using w = await world({ sessions: ["s1"], server: { messageContentIntent: false } });
  const out = await finish(spawnBridge(w));
  assertEquals(out.code, 1);
  assertEquals(
    out.stderr.trim(),
    "Discord refused the Message Content intent (4014): turn on MESSAGE CONTENT INTENT in the " +
      "Developer Portal > your application > Bot > Privileged Gateway Intents, then start the bridge again",
  );
});

Deno.test("process: usage and configuration errors exit 2", async () => {
  await using w = await world();
  const both = await finish(spawnBridge(w, ["--detach", "--stop"]));
  assertEquals(both.code, 2);
  assertMatch(both.stderr, /Use one of --detach, --stop, --status/);
  const noToken = await finish(spawnBridge(w, [], { DISCORD_BOT_TOKEN: "" }));
  assertEquals(noToken.code, 2);
  assertMatch(noToken.stderr, /DISCORD_BOT_TOKEN is not set/);
  const help = await finish(spawnBridge(w, ["--help"]));
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /^Usage: bridge.ts/);
});
