// outbox.ts in this process: enqueue, peek and commit in order, records (keys, threads,
// outcomes), sweeping, torn and malformed lines, the bounds and their counters, private modes.
// The bridge's side against the local Discord: tests/bridge/outbox_test.ts; kill -9 of the
// bridge mid-send: tests/bridge/outbox_process_test.ts.
import { Outbox, type OutboxEntry } from "../../outbox.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

const post = (content: string, extra: Record<string, unknown> = {}) => ({
  kind: "post" as const,
  threadName: "api-3f2a",
  body: { content, allowed_mentions: { parse: [] } },
  ...extra,
});

const contents = (entries: OutboxEntry[]) => entries.map((e) => e.body.content);
const sent = (n: number) => ({
  sent: { messageId: String(1100000000000000000n + BigInt(n)), channelId: "1100000000000000099" },
});

function lines(path: string): Record<string, unknown>[] {
  try {
    return Deno.readTextFileSync(path).trim().split("\n").filter((l) => l).map((l) =>
      JSON.parse(l)
    );
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

Deno.test("outbox: enqueued entries are peeked in order until committed; files are private", async () => {
  await using t = await tempDir("outbox-test-");
  const outbox = new Outbox(t.path);
  const written = await outbox.enqueue("s1", [post("one"), post("two")]);
  await outbox.enqueue("s1", [post("three")]);
  assertEquals(Deno.statSync(outbox.queuePath("s1")).mode! & 0o777, 0o600);
  assertEquals(Deno.statSync(`${t.path}/outbox`).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(`${t.path}/outbox/.state`).mode! & 0o777, 0o700);
  assertEquals(new Set(written.map((e) => e.id)).size, 2);
  assertEquals(outbox.pending("s1"), 3);
  const first = await outbox.peek("s1");
  assertEquals(contents(first), ["one", "two", "three"]);
  // Peeking takes nothing: the same entries until they are committed.
  assertEquals(contents(await outbox.peek("s1")), ["one", "two", "three"]);
  await outbox.commit("s1", first[0], sent(1));
  assertEquals(contents(await outbox.peek("s1")), ["two", "three"]);
  assertEquals(outbox.record("s1").outcome(first[0].id), sent(1));
  await outbox.commit("s1", first[1], { failed: "Discord refused it: 400" });
  await outbox.commit("s1", first[2], { skipped: "expired" });
  assertEquals(await outbox.peek("s1"), []);
  assertEquals(outbox.stats().failed, 1);
  assertEquals(lines(`${t.path}/outbox/failed.jsonl`).map((l) => l.reason), [
    "Discord refused it: 400",
  ]);
  // Swept: the queue file is empty again.
  await outbox.sweep("s1");
  assertEquals(Deno.statSync(outbox.queuePath("s1")).size, 0);
  assertEquals(outbox.sessions(), []);
  assertEquals(outbox.stats().pending, 0);
});

Deno.test("outbox: a keyed post's message is found by its key, also by a fresh reader; threads are recorded", async () => {
  await using t = await tempDir("outbox-test-");
  const outbox = new Outbox(t.path);
  const [prompt] = await outbox.enqueue("s1", [post("prompt", { key: "perm-abc" })]);
  assertEquals(outbox.record("s1").message("perm-abc"), undefined);
  await outbox.note("s1", {
    thread: { id: "1100000000000000099", name: "api-3f2a", parentId: "1100000000000000050" },
  });
  await outbox.commit("s1", prompt, sent(7));
  const fresh = new Outbox(t.path).record("s1");
  assertEquals(fresh.message("perm-abc"), sent(7).sent);
  assertEquals(fresh.thread?.id, "1100000000000000099");
  assert(fresh.threadNoted);
  await outbox.note("s1", { thread: null });
  assertEquals(new Outbox(t.path).record("s1").thread, undefined);
  assert(new Outbox(t.path).record("s1").threadNoted);
});

Deno.test("outbox: malformed entries and bad session names are refused; ids fit a nonce", async () => {
  await using t = await tempDir("outbox-test-");
  const outbox = new Outbox(t.path);
  await assertRejects(() => outbox.enqueue("../x", [post("x")]), TypeError, "invalid");
  await assertRejects(() => outbox.enqueue("failed", [post("x")]), TypeError, "invalid");
  await assertRejects(
    () => outbox.enqueue("s", [{ kind: "post", body: { content: "no thread name" } }]),
    TypeError,
    "threadName",
  );
  await assertRejects(
    () => outbox.enqueue("s", [post("x", { id: "x".repeat(26) })]),
    TypeError,
    "1-25 letters and digits",
  );
  await assertRejects(
    () => outbox.enqueue("s", [{ kind: "edit", body: { content: "x" } }]),
    TypeError,
    "a key or a message",
  );
  assertEquals(outbox.sessions(), []);
});

Deno.test("outbox: a torn tail is cut before the next append and kept; a malformed line is moved aside", async () => {
  await using t = await tempDir("outbox-test-");
  const outbox = new Outbox(t.path);
  await outbox.enqueue("s1", [post("one")]);
  // A writer killed mid-line, then a hand-edited garbage line before it.
  Deno.writeTextFileSync(outbox.queuePath("s1"), '{"v":1,"id":"torn', { append: true });
  await outbox.enqueue("s1", [post("two")]);
  Deno.writeTextFileSync(outbox.queuePath("s1"), "not json\n", { append: true });
  await outbox.enqueue("s1", [post("three")]);
  const warnings: string[] = [];
  const reader = new Outbox(t.path, { onWarning: (m) => warnings.push(m) });
  assertEquals(contents(await reader.peek("s1")), ["one", "two", "three"]);
  const rejected = lines(`${t.path}/outbox/rejected.jsonl`);
  assertEquals(rejected.map((r) => r.reason), ["torn", "malformed: not valid JSON"]);
  assertEquals(rejected[0].line, '{"v":1,"id":"torn');
  assertEquals(warnings.length, 1);
  // Moved aside once: the next peek finds nothing to reject.
  assertEquals(contents(await reader.peek("s1")), ["one", "two", "three"]);
  assertEquals(lines(`${t.path}/outbox/rejected.jsonl`).length, 2);
});

Deno.test("outbox: past its bounds the oldest entries go, of any session, counted across processes", async () => {
  await using t = await tempDir("outbox-test-");
  let now = Date.parse("2026-01-01T00:00:00Z");
  const warnings: string[] = [];
  const outbox = new Outbox(t.path, {
    maxEntries: 5,
    now: () => now,
    onWarning: (m) => warnings.push(m),
  });
  for (const [session, n] of [["a", 1], ["b", 2], ["a", 3], ["b", 4], ["a", 5]] as const) {
    now += 1000;
    await outbox.enqueue(session, [post(`${session}${n}`)]);
  }
  assertEquals(warnings, []);
  now += 1000;
  await outbox.enqueue("b", [post("b6"), post("b7")]);
  assertEquals(contents(await outbox.peek("a")), ["a3", "a5"]);
  assertEquals(contents(await outbox.peek("b")), ["b4", "b6", "b7"]);
  const stats = new Outbox(t.path).stats();
  assertEquals([stats.pending, stats.sessions, stats.dropped], [5, 2, 2]);
  assertEquals(stats.droppedAt, new Date(now).toISOString());
  assertEquals(warnings.length, 1);
  // Sent entries still in the file (not swept yet) do not count.
  const [a3] = await outbox.peek("a");
  await outbox.commit("a", a3, sent(3));
  await outbox.enqueue("a", [post("a8")]);
  assertEquals(new Outbox(t.path).stats().dropped, 2);
});

Deno.test("outbox: the byte bound drops the oldest too", async () => {
  await using t = await tempDir("outbox-test-");
  const outbox = new Outbox(t.path, { maxBytes: 1000 });
  for (let i = 0; i < 10; i++) await outbox.enqueue("s", [post(`${i}`.padEnd(200, "."))]);
  const left = await outbox.peek("s");
  assert(Deno.statSync(outbox.queuePath("s")).size <= 1000);
  assertEquals(left.at(-1)!.body.content!.slice(0, 1), "9");
  assertEquals(outbox.stats().dropped, 10 - left.length);
});

Deno.test("outbox: the record is compacted once the queue is empty; keys and the thread stay", async () => {
  await using t = await tempDir("outbox-test-");
  const outbox = new Outbox(t.path);
  await outbox.note("s", {
    thread: { id: "1100000000000000099", name: "x", parentId: "1100000000000000050" },
  });
  const [keyed] = await outbox.enqueue("s", [post("keyed", { key: "card" })]);
  await outbox.commit("s", keyed, sent(1));
  // 2,100 more outcomes, as a long-lived sender writes them (written at once here).
  const log = `${t.path}/outbox/.state/s.log.jsonl`;
  const at = new Date().toISOString();
  const filler = Array.from(
    { length: 2100 },
    (_, i) => JSON.stringify({ at, id: `f${i}`, ...sent(2).sent }) + "\n",
  );
  Deno.writeTextFileSync(log, filler.join(""), { append: true });
  const [last] = await outbox.enqueue("s", [post("last")]);
  await outbox.commit("s", last, sent(3));
  assertEquals(lines(log).length, 2103);
  await outbox.sweep("s");
  assert(lines(log).length < 1000, `${lines(log).length} lines`);
  const record = new Outbox(t.path).record("s");
  assertEquals(record.message("card"), sent(1).sent);
  assertEquals(record.thread?.id, "1100000000000000099");
});
