// inbox.ts in this process: append and claim, dedupe, torn and malformed lines, commits and
// their repair, compaction, held events, concurrent claims, the wait's re-check, and caches
// that follow what others do to the files. Other processes (a claimer killed mid-delivery, a
// writer waking a wait): inbox_process_test.ts; kill -9 under load: stress_process_test.ts.
import { HELD, Inbox, type InboxEvent } from "../../inbox.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { ev, ids } from "./_helpers.ts";

/** File size, or -1 when absent. */
function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return -1;
  }
}

function rejectedLines(inbox: Inbox): { reason: string; line: string; mailbox: string }[] {
  try {
    return Deno.readTextFileSync(inbox.rejectedPath).trim().split("\n").map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

Deno.test("append then claim delivers in order, once, with private modes", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  assertEquals(await inbox.append("s1", [ev("1"), ev("2", { kind: "button", customId: "ok" })]), 2);
  await inbox.append("s1", [
    ev("3", { attachments: [{ id: "a", filename: "f.txt", size: 3, url: "u" }] }),
  ]);
  assertEquals(inbox.mailboxPath("s1"), `${t.path}/inbox/s1.jsonl`);
  assertEquals(Deno.statSync(inbox.mailboxPath("s1")).mode! & 0o777, 0o600);
  assertEquals(Deno.statSync(`${t.path}/inbox`).mode! & 0o777, 0o700);
  assertEquals(await inbox.pending("s1"), 3);
  const handed: string[][] = [];
  const got = await inbox.claim("s1", (events) => void handed.push(ids(events)));
  assertEquals(ids(got), ["1", "2", "3"]);
  assertEquals(handed, [["1", "2", "3"]]);
  assertEquals(got[2].attachments[0].filename, "f.txt");
  let called = false;
  assertEquals(await inbox.claim("s1", () => void (called = true)), []);
  assert(!called, "deliver must not be called when nothing is pending");
  // Nothing pending: the file is empty, so a hook's `[ -s path ]` is false.
  assertEquals(sizeOf(inbox.mailboxPath("s1")), 0);
  assertEquals(await inbox.pending("s1"), 0);
});

Deno.test("claim and pending on an absent mailbox create no file", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  assertEquals(await inbox.claim("nobody", () => {}), []);
  assertEquals(await inbox.pending("nobody"), 0);
  assertEquals([...Deno.readDirSync(t.path)], []);
  // Also when the inbox directory exists and another mailbox has content.
  await inbox.append("other", [ev("1")]);
  assertEquals(await inbox.claim("nobody", () => {}), []);
  assertEquals([...Deno.readDirSync(`${t.path}/inbox`)].map((e) => e.name).sort(), [
    ".state",
    "other.jsonl",
  ]);
});

Deno.test("append skips ids already pending, repeated, or recently delivered", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  assertEquals(await inbox.append("s", [ev("1"), ev("1"), ev("2")]), 2);
  assertEquals(await inbox.append("s", [ev("2"), ev("3")]), 1);
  assertEquals(ids(await inbox.claim("s", () => {})), ["1", "2", "3"]);
  // The bridge re-sends after a crash: delivered ids are not queued again.
  assertEquals(await inbox.append("s", [ev("3"), ev("4")]), 1);
  assertEquals(ids(await inbox.claim("s", () => {})), ["4"]);
  // De-dup is per mailbox.
  assertEquals(await inbox.append("t", [ev("1")]), 1);
  // Nothing new: nothing is written, and no file is created.
  assertEquals(await inbox.append("s", [ev("4")]), 0);
  assertEquals(sizeOf(inbox.mailboxPath("s")), 0);
  assertEquals(await inbox.append("u", []), 0);
  assertEquals(sizeOf(inbox.mailboxPath("u")), -1);
});

Deno.test("a torn last line is cut off by append, kept in rejected.jsonl, never delivered", async () => {
  await using t = await tempDir("inbox-test-");
  const warnings: string[] = [];
  const inbox = new Inbox(t.path, { onWarning: (m) => warnings.push(m) });
  await inbox.append("s", [ev("1")]);
  const fragment = JSON.stringify(ev("2")).slice(0, 40);
  Deno.writeTextFileSync(inbox.mailboxPath("s"), fragment, { append: true });
  assertEquals(await inbox.pending("s"), 1, "a torn line is not pending");
  // The bridge re-writes message 2 (its cursor did not advance), plus a new one.
  assertEquals(await inbox.append("s", [ev("2"), ev("3")]), 2);
  const text = Deno.readTextFileSync(inbox.mailboxPath("s"));
  assertEquals(text.split("\n").length, 4, "three complete lines and a final newline");
  assertEquals(ids(await inbox.claim("s", () => {})), ["1", "2", "3"]);
  const rejected = rejectedLines(inbox);
  assertEquals(rejected.map((r) => [r.mailbox, r.reason, r.line]), [["s", "torn", fragment]]);
  assert(warnings.some((w) => w.includes("torn")));
});

Deno.test("claim delivers the complete lines and moves a torn tail to rejected.jsonl", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  await inbox.append("s", [ev("1")]);
  Deno.writeTextFileSync(inbox.mailboxPath("s"), '{"id":"2","kin', { append: true });
  assertEquals(ids(await inbox.claim("s", () => {})), ["1"]);
  assertEquals(rejectedLines(inbox).map((r) => r.line), ['{"id":"2","kin']);
  assertEquals(sizeOf(inbox.mailboxPath("s")), 0);
  // A mailbox holding only a fragment is emptied without calling deliver.
  Deno.writeTextFileSync(inbox.mailboxPath("s"), '{"id":"3"');
  let called = false;
  assertEquals(await inbox.claim("s", () => void (called = true)), []);
  assert(!called);
  assertEquals(rejectedLines(inbox).length, 2);
});

Deno.test("a malformed complete line is skipped with a warning and kept", async () => {
  await using t = await tempDir("inbox-test-");
  const warnings: string[] = [];
  const inbox = new Inbox(t.path, { onWarning: (m) => warnings.push(m) });
  await inbox.append("s", [ev("1")]);
  const bad = [
    "not json at all",
    '{"id":"x","kind":"shout"}',
    "[1,2]",
    JSON.stringify({ id: "y" }),
  ];
  Deno.writeTextFileSync(inbox.mailboxPath("s"), bad.join("\n") + "\n", { append: true });
  await inbox.append("s", [ev("2")]);
  assertEquals(await inbox.pending("s"), 2);
  assertEquals(ids(await inbox.claim("s", () => {})), ["1", "2"]);
  assertEquals(rejectedLines(inbox).map((r) => r.line), bad);
  assert(rejectedLines(inbox).every((r) => r.reason.startsWith("malformed: ")));
  assertEquals(warnings.length, 4);
  assert(warnings[0].includes("not valid JSON"), warnings[0]);
  assert(warnings[1].includes("kind"), warnings[1]);
});

Deno.test("append rejects invalid events and mailbox names", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  await assertRejects(() => inbox.append("s", [{ ...ev("1"), id: "" }]), TypeError, "id");
  await assertRejects(
    () => inbox.append("s", [{ ...ev("1"), author: { id: "1" } } as unknown as InboxEvent]),
    TypeError,
    "author.name",
  );
  for (const name of ["../x", "a/b", "", "rejected", ".state", "a.b", "x".repeat(129)]) {
    await assertRejects(() => inbox.append(name, [ev("1")]), TypeError, "Mailbox name");
    await assertRejects(() => inbox.claim(name, () => {}), TypeError, "Mailbox name");
  }
  assertEquals(await Deno.stat(`${t.path}/inbox`).catch(() => "absent"), "absent");
});

Deno.test("deliver throwing commits nothing: the same events come again", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  await inbox.append("s", [ev("1"), ev("2")]);
  await assertRejects(
    () => inbox.claim("s", () => Promise.reject(new Error("stdout closed"))),
    Error,
    "stdout closed",
  );
  assertEquals(await inbox.pending("s"), 2);
  await inbox.append("s", [ev("3")]);
  assertEquals(ids(await inbox.claim("s", () => {})), ["1", "2", "3"]);
});

Deno.test("a kill after the commit line but before removal delivers nothing twice", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  await inbox.append("s", [ev("1"), ev("2")]);
  const before = Deno.readTextFileSync(inbox.mailboxPath("s"));
  assertEquals(ids(await inbox.claim("s", () => {})), ["1", "2"]);
  // Put the file back as if the claimer died right after writing the commit line.
  Deno.writeTextFileSync(inbox.mailboxPath("s"), before + JSON.stringify(ev("3")) + "\n");
  assertEquals(await inbox.pending("s"), 1);
  assertEquals(ids(await inbox.claim("s", () => {})), ["3"]);
});

Deno.test("a torn commit line means not committed, and the next commit repairs the log", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  await inbox.append("s", [ev("1"), ev("2")]);
  const before = Deno.readTextFileSync(inbox.mailboxPath("s"));
  await inbox.claim("s", () => {});
  const log = `${t.path}/inbox/.state/s.delivered.jsonl`;
  const full = Deno.readTextFileSync(log);
  // Killed mid-commit: the line lost its end (and its "\n").
  Deno.writeTextFileSync(log, full.slice(0, full.length - 6));
  Deno.writeTextFileSync(inbox.mailboxPath("s"), before);
  assertEquals(await inbox.pending("s"), 2);
  assertEquals(ids(await inbox.claim("s", () => {})), ["1", "2"]);
  const lines = Deno.readTextFileSync(log).split("\n");
  assertEquals(lines.length, 2, "one valid line and the final newline");
  assertEquals(JSON.parse(lines[0]).ids, ["1", "2"]);
  assertEquals(await inbox.append("s", [ev("1"), ev("2")]), 0);
});

Deno.test("the delivered log is compacted to the last dedupeWindow ids", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path, { dedupeWindow: 3 });
  for (let i = 1; i <= 10; i++) {
    await inbox.append("s", [ev(String(i))]);
    await inbox.claim("s", () => {});
  }
  const log = `${t.path}/inbox/.state/s.delivered.jsonl`;
  const lines = Deno.readTextFileSync(log).trim().split("\n").map((l) => JSON.parse(l));
  const kept = lines.flatMap((l) => l.ids);
  assert(kept.length >= 3 && kept.length <= 6, `kept ${kept}`);
  assertEquals(kept.slice(-3), ["8", "9", "10"]);
  assertEquals(Deno.statSync(log).mode! & 0o777, 0o600);
  // Recent ids are still de-duplicated; ids past the window are forgotten.
  assertEquals(await inbox.append("s", [ev("10"), ev("9"), ev("1")]), 1);
  // A batch larger than the window is kept whole.
  await inbox.claim("s", () => {});
  await inbox.append("s", ["a", "b", "c", "d", "e", "f", "g"].map((id) => ev(id)));
  await inbox.claim("s", () => {});
  assertEquals(await inbox.append("s", [ev("a"), ev("g")]), 0);
});

Deno.test("releaseHeld moves fresh held events and drops expired ones (injected clock)", async () => {
  await using t = await tempDir("inbox-test-");
  const now = Date.parse("2030-01-02T12:00:00Z");
  const warnings: string[] = [];
  const inbox = new Inbox(t.path, {
    now: () => now,
    heldRetentionHours: 24,
    onWarning: (m) => warnings.push(m),
  });
  await inbox.append(HELD, [
    ev("old", { timestamp: "2030-01-01T11:59:59Z" }), // 24 h and 1 s old
    ev("edge", { timestamp: "2030-01-01T12:00:00Z" }), // exactly 24 h: kept
    ev("new", { timestamp: "2030-01-02T11:00:00Z" }),
  ]);
  await inbox.append("s1", [ev("new")]); // already there: not counted twice
  assertEquals(await inbox.releaseHeld("s1"), 1);
  assertEquals(ids(await inbox.claim("s1", () => {})), ["new", "edge"]);
  assertEquals(await inbox.pending(HELD), 0);
  assertEquals(await inbox.releaseHeld("s2"), 0, "the first session took them all");
  assert(warnings.some((w) => w.includes("dropped 1")), warnings.join());
  await assertRejects(() => inbox.releaseHeld(HELD), TypeError);
});

Deno.test("concurrent claims in one process hand each event to one deliver", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  const seen: string[] = [];
  const deliver = async (events: InboxEvent[]) => {
    await new Promise((r) => setTimeout(r, 5));
    seen.push(...ids(events));
  };
  const writes: Promise<number>[] = [];
  for (let i = 0; i < 50; i++) writes.push(inbox.append("s", [ev(String(i))]));
  const claims: Promise<InboxEvent[]>[] = [];
  for (let i = 0; i < 10; i++) claims.push(inbox.claim("s", deliver));
  await Promise.all(writes);
  await Promise.all(claims);
  await inbox.claim("s", deliver);
  assertEquals(seen.sort((a, b) => +a - +b), Array.from({ length: 50 }, (_, i) => String(i)));
});

Deno.test("waitForMessages re-checks when no event on the mailbox file arrives", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path, { recheckMs: 50 });
  await inbox.append("s", [ev("1")]);
  const before = Deno.readTextFileSync(inbox.mailboxPath("s"));
  await inbox.claim("s", () => {});
  // The mailbox holds an already delivered id: nothing is pending.
  Deno.writeTextFileSync(inbox.mailboxPath("s"), before);
  assertEquals(await inbox.pending("s"), 0);
  // Forgetting it in the (unwatched) state directory makes it pending without any event on
  // the mailbox file: only the periodic re-check can see it.
  setTimeout(() => Deno.removeSync(`${t.path}/inbox/.state/s.delivered.jsonl`), 100);
  const start = Date.now();
  assertEquals(await inbox.waitForMessages("s", { timeoutMs: 5000 }), true);
  assert(Date.now() - start < 4000);
});

Deno.test("a process's cached delivered log follows commits and compactions by others", async () => {
  await using t = await tempDir("inbox-test-");
  const a = new Inbox(t.path, { dedupeWindow: 2 });
  const b = new Inbox(t.path, { dedupeWindow: 2 });
  await a.append("s", [ev("1")]);
  assertEquals(ids(await a.claim("s", () => {})), ["1"]);
  for (let i = 2; i <= 12; i++) {
    await b.append("s", [ev(String(i))]);
    await b.claim("s", () => {});
    // `a` sees every commit of `b` (its cache reads only the new tail, or all after a rewrite).
    assertEquals(await a.append("s", [ev(String(i))]), 0, `id ${i} already delivered`);
  }
  assertEquals(await a.append("s", [ev("1")]), 1, "id 1 fell out of the window");
  assertEquals(ids(await a.claim("s", () => {})), ["1"]);
  // `a` idle while `b` commits and compacts: the rewritten log is larger than what `a` had
  // read, so only its identity and first bytes tell that it changed.
  for (let i = 20; i <= 24; i++) {
    await b.append("s", [ev(`long-id-${i}-`.padEnd(60, "x"))]);
    await b.claim("s", () => {});
  }
  // Ids 23 and 24 are remembered: 23 only in the compacted first line.
  for (const i of [23, 24]) {
    const again = ev(`long-id-${i}-`.padEnd(60, "x"));
    assertEquals(await a.append("s", [again]), 0, `a missed id ${i}`);
  }
  assertEquals(await b.claim("s", () => {}), []);
  // The log deleted and written again from scratch is read from scratch.
  Deno.removeSync(`${t.path}/inbox/.state/s.delivered.jsonl`);
  assertEquals(await a.append("s", [ev("12")]), 1);
  assertEquals(ids(await b.claim("s", () => {})), ["12"]);
  assertEquals(await a.append("s", [ev("12"), ev("1")]), 1);
});

Deno.test("a long-lived writer's memory of pending ids follows what others do to the file", async () => {
  await using t = await tempDir("inbox-test-");
  const warnings: string[] = [];
  const writer = new Inbox(t.path, { onWarning: (m) => warnings.push(m) });
  const other = new Inbox(t.path);
  const lines = () => Deno.readTextFileSync(writer.mailboxPath("s")).split("\n").length - 1;
  assertEquals(await writer.append("s", [ev("1"), ev("2")]), 2);
  // Another process appends: the writer reads only the new bytes and knows id 3.
  assertEquals(await other.append("s", [ev("3")]), 1);
  assertEquals(await writer.append("s", [ev("3"), ev("4")]), 1);
  // A writer killed mid-line elsewhere: the fragment after the remembered end is cut off.
  Deno.writeTextFileSync(writer.mailboxPath("s"), '{"id":"5","ki', { append: true });
  assertEquals(await writer.append("s", [ev("5")]), 1);
  assertEquals(lines(), 5);
  assert(warnings.some((w) => w.includes("torn")));
  assertEquals(ids(await other.claim("s", () => {})), ["1", "2", "3", "4", "5"]);
  // Emptied by a claim: what was pending is now delivered, and still skipped.
  assertEquals(await writer.append("s", [ev("5"), ev("10")]), 1);
  assertEquals(ids(await other.claim("s", () => {})), ["10"]);
  // Emptied and refilled past the remembered size: the remembered last line is no longer
  // where it was, so the writer reads the whole file instead of a tail that starts mid-line.
  assertEquals(await writer.append("s", [ev("11")]), 1);
  assertEquals(ids(await other.claim("s", () => {})), ["11"]);
  assertEquals(await other.append("s", [ev("12"), ev("13", { content: "x".repeat(200) })]), 2);
  assertEquals(await writer.append("s", [ev("12"), ev("13"), ev("14")]), 1);
  assertEquals(lines(), 3);
  assertEquals(ids(await other.claim("s", () => {})), ["12", "13", "14"]);
  // Emptied and refilled to the very same size: the writer's set is stale (it holds the
  // delivered id 20, not 21). That can only cost a duplicate line, never a lost message:
  // the claim hands id 21 over once.
  assertEquals(await writer.append("s", [ev("20")]), 1);
  assertEquals(ids(await other.claim("s", () => {})), ["20"]);
  assertEquals(await other.append("s", [ev("21")]), 1);
  assert((await writer.append("s", [ev("21")])) <= 1);
  assertEquals(await writer.append("s", [ev("20")]), 0, "delivered");
  assertEquals(ids(await other.claim("s", () => {})), ["21"]);
  // Removed behind its back: the writer starts from the file as it is.
  assertEquals(await writer.append("s", [ev("17")]), 1);
  Deno.removeSync(writer.mailboxPath("s"));
  assertEquals(await writer.append("s", [ev("17")]), 1);
  assertEquals(ids(await other.claim("s", () => {})), ["17"]);
});

Deno.test("a claim's look-up in the delivered log matches whole ids, never keys, values or parts", async () => {
  await using t = await tempDir("inbox-test-");
  const at = "2030-01-01T00:00:00.000Z";
  const inbox = new Inbox(t.path, { now: () => Date.parse(at) });
  const delivered = ["123", "a,", ",b", "r:1:2:👍", "x]"];
  await inbox.append("s", delivered.map((id) => ev(id)));
  assertEquals(ids(await inbox.claim("s", () => {})), delivered);
  // Lines the writer did not filter (as after a kill between commit and truncation, or written
  // by hand): only the committed ids are skipped.
  const candidates = [
    "123", // committed
    "12", // a prefix of a committed id
    "23", // a suffix
    "ids", // a key of the commit line
    "at",
    at, // the value of "at"
    ",", // the text between two committed ids ("a," and ",b")
    ":", // the text between a key and its value
    "r:1:2:👍", // committed, not ASCII
    "x]", // committed, JSON syntax inside
    "x", // part of it
  ];
  Deno.writeTextFileSync(
    inbox.mailboxPath("s"),
    candidates.map((id) => JSON.stringify(ev(id))).join("\n") + "\n",
  );
  assertEquals(ids(await inbox.claim("s", () => {})), ["12", "23", "ids", "at", at, ",", ":", "x"]);
});
