// sessions.ts in this process: registering, names, liveness with an injected probe, lookups,
// pruning, bad ids. Real processes (their pids, concurrent registers, permission flags):
// sessions_process_test.ts.
import { StateError } from "../errors.ts";
import { type OtherMachines, sessionNameBase, SessionRegistry } from "../sessions.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

function clock(start = Date.parse("2030-01-01T00:00:00Z")) {
  const c = { t: start, now: () => c.t };
  return c;
}

Deno.test("register writes a private record and is idempotent", async () => {
  await using t = await tempDir("sessions-test-");
  const c = clock();
  const registry = new SessionRegistry(t.path, { now: c.now });
  const a = await registry.register({
    id: "9f86d081-aaaa",
    cwd: "/home/me/My Repo",
    pid: Deno.pid,
  });
  assertEquals(a, {
    id: "9f86d081-aaaa",
    name: "my-repo-9f86",
    cwd: "/home/me/My Repo",
    started: "2030-01-01T00:00:00.000Z",
    lastSeen: "2030-01-01T00:00:00.000Z",
    pid: Deno.pid,
  });
  const path = `${t.path}/sessions/9f86d081-aaaa.json`;
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  assertEquals(Deno.statSync(`${t.path}/sessions`).mode! & 0o777, 0o700);
  assertEquals(JSON.parse(Deno.readTextFileSync(path)), a);
  await registry.setThread(a.id, "1100000000000000009");
  c.t += 60_000;
  const again = await registry.register({ id: a.id, cwd: "/home/me/My Repo" });
  assertEquals(again.name, a.name);
  assertEquals(again.started, a.started);
  assertEquals(again.lastSeen, "2030-01-01T00:01:00.000Z");
  assertEquals(again.threadId, "1100000000000000009", "the thread survives a re-register");
  assertEquals(registry.list().length, 1);
  assertEquals(registry.get(a.id), again);
  assertEquals(registry.get("unknown"), undefined);
});

Deno.test("names are unique among live sessions, case-insensitively", async () => {
  await using t = await tempDir("sessions-test-");
  const registry = new SessionRegistry(t.path);
  const a = await registry.register({ id: "ABCD1111", cwd: "/a/web" });
  const b = await registry.register({ id: "abcd1112", cwd: "/b/Web/" });
  const c = await registry.register({ id: "abcd1113", cwd: "/c/web" });
  assertEquals([a.name, b.name, c.name], ["web-abcd", "web-abcd1", "web-abcd11"]);
  // Ids equal up to case and punctuation exhaust the prefix: a counter is added.
  const d = await registry.register({ id: "abcd1111", cwd: "/d/web" });
  assertEquals(d.name, "web-abcd111");
  const e = await registry.register({ id: "ABCD1111-", cwd: "/e/web" });
  assertEquals(e.name, "web-abcd1111");
  const f0 = await registry.register({ id: "abcd-1111", cwd: "/f/web" });
  assertEquals(f0.name, "web-abcd1111-2");
  // An ended session frees its name.
  await registry.unregister(a.id);
  const f = await registry.register({ id: "abcd9999", cwd: "/f/web" });
  assertEquals(f.name, "web-abcd");
  // Re-registering the ended session keeps it unique.
  const back = await registry.register({ id: a.id, cwd: "/a/web" });
  assertEquals(back.ended, undefined);
  assert(back.name !== "web-abcd", back.name);
  const names = registry.list({ live: true }).map((r) => r.name.toLowerCase());
  assertEquals(new Set(names).size, names.length);
});

Deno.test("names another machine's session has get this machine's label; one machine's stay as they were", async () => {
  await using t = await tempDir("sessions-test-");
  let others: OtherMachines = { label: "Work Box", threads: [] };
  let asked = 0;
  const registry = new SessionRegistry(t.path, {
    otherMachines: () => (asked++, others),
  });
  // Alone: the name as on one machine.
  const a = await registry.register({ id: "abcd0001", cwd: "/x/api" });
  assertEquals(a.name, "api-abcd");
  await registry.setThread(a.id, "1100000000000000001");
  // This machine's own thread does not count; another machine's session of the same name does.
  others = {
    label: "Work Box",
    threads: [
      { id: "1100000000000000001", name: "api-abcd" },
      { id: "1100000000000000002", name: "WEB-abcd" },
      { id: "1100000000000000003", name: "web-abcd@work-box" },
    ],
  };
  const b = await registry.register({ id: "abcd0002", cwd: "/y/api" });
  assertEquals(b.name, "api-abcd0"); // taken here: lengthened as on one machine
  const c = await registry.register({ id: "abcd0003", cwd: "/y/web" });
  assertEquals(c.name, "web-abcd0@work-box"); // web-abcd elsewhere, and web-abcd@work-box too
  const d = await registry.register({ id: "ffff0004", cwd: "/y/web" });
  assertEquals(d.name, "web-ffff");
  // Registered again, a session keeps its name; the other machines are asked only for new names.
  asked = 0;
  assertEquals((await registry.register({ id: "abcd0003", cwd: "/y/web" })).name, c.name);
  assertEquals(asked, 0);
  assertEquals(registry.findByName("WEB-ABCD0@WORK-BOX")?.id, "abcd0003");
});

Deno.test("sessionNameBase sanitises the basename", () => {
  assertEquals(sessionNameBase("/home/me/My Project (v2)/"), "my-project-v2");
  assertEquals(sessionNameBase("C:\\Users\\me\\Über_tool"), "ber_tool");
  assertEquals(sessionNameBase("/"), "session");
  assertEquals(sessionNameBase(""), "session");
  assertEquals(sessionNameBase("/x/" + "a".repeat(40)), "a".repeat(32));
});

Deno.test("liveness: ended, dead pid, and lastSeen older than the TTL", async () => {
  await using t = await tempDir("sessions-test-");
  const c = clock();
  const dead = new Set<number>();
  const registry = new SessionRegistry(t.path, {
    now: c.now,
    liveTtlMs: 60_000,
    isAlive: (pid) => !dead.has(pid),
  });
  await registry.register({ id: "s1", cwd: "/p/one", pid: 111 });
  await registry.register({ id: "s2", cwd: "/p/two", pid: 222 });
  await registry.register({ id: "s3", cwd: "/p/three" });
  assertEquals(registry.list({ live: true }).map((r) => r.id), ["s1", "s2", "s3"]);
  dead.add(111);
  await registry.unregister("s2");
  assertEquals(registry.list({ live: true }).map((r) => r.id), ["s3"]);
  assert(registry.get("s2")?.ended !== undefined);
  c.t += 30_000;
  await registry.touch("s3");
  c.t += 45_000; // 75 s after start, 45 s after the touch
  assertEquals(registry.list({ live: true }).map((r) => r.id), ["s3"]);
  c.t += 16_000;
  assertEquals(registry.list({ live: true }), []);
  assertEquals(registry.findByName("three-s3"), undefined, "only live sessions are found by name");
  assertEquals(registry.list().length, 3);
  await registry.touch("nobody"); // ignored
  await registry.unregister("nobody");
  assertEquals(registry.list().length, 3);
});

Deno.test("findByName, findByThread, setThread", async () => {
  await using t = await tempDir("sessions-test-");
  const c = clock();
  const registry = new SessionRegistry(t.path, { now: c.now });
  await registry.register({ id: "abcd01", cwd: "/w/API" });
  await registry.register({ id: "efgh02", cwd: "/w/ui" });
  assertEquals(registry.findByName("API-ABCD")?.id, "abcd01");
  assertEquals(registry.findByName("@ui-efgh")?.id, "efgh02");
  assertEquals(registry.findByName("ui"), undefined);
  await registry.setThread("efgh02", "1100000000000000100");
  assertEquals(registry.findByThread("1100000000000000100")?.id, "efgh02");
  assertEquals(registry.findByThread("1100000000000000101"), undefined);
  await assertRejects(() => registry.setThread("zzzz", "1"), StateError, "not registered");
  await assertRejects(() => registry.setThread("abcd01", ""), TypeError);
  // An ended session still owns its thread (a late reply can be routed or refused).
  await registry.unregister("efgh02");
  assertEquals(registry.findByThread("1100000000000000100")?.id, "efgh02");
});

Deno.test("register prunes long-dead records", async () => {
  await using t = await tempDir("sessions-test-");
  const c = clock();
  const registry = new SessionRegistry(t.path, { now: c.now, pruneAfterMs: 3_600_000 });
  await registry.register({ id: "old", cwd: "/o" });
  await registry.unregister("old");
  await registry.register({ id: "alive", cwd: "/a" });
  c.t += 2 * 3_600_000;
  await registry.touch("alive");
  await registry.register({ id: "new", cwd: "/n" });
  assertEquals(registry.list().map((r) => r.id).sort(), ["alive", "new"]);
});

Deno.test("invalid ids are refused", async () => {
  await using t = await tempDir("sessions-test-");
  const registry = new SessionRegistry(t.path);
  for (const id of ["", "../x", "a/b", "a.b", "x".repeat(129)]) {
    await assertRejects(() => registry.register({ id, cwd: "/x" }), TypeError, "Session id");
    assertThrows(() => registry.get(id), TypeError);
  }
  await assertRejects(() => registry.register({ id: "ok", cwd: "/x", pid: -1 }), TypeError);
});
