// inbox.ts across processes: a claimer killed inside deliver frees the lock (the events come
// again), and an append from another process wakes a wait.
import { Inbox } from "../../inbox.ts";
import { assert, assertEquals } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { ev, ids } from "./_helpers.ts";

const CHILD = new URL("../testdata/inbox_child.ts", import.meta.url).pathname;

Deno.test("a claimer killed inside deliver frees the lock and the events come again", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path);
  await inbox.append("s", [ev("1"), ev("2")]);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, "claim-hang", t.path, "s"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const deadline = Date.now() + 20_000;
  while (!out.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  assertEquals(out.trim(), "delivering 1,2");
  child.kill("SIGKILL");
  await reader.cancel();
  const status = await child.status;
  assertEquals(status.signal, "SIGKILL");
  // The kernel released its lock: this claim does not hang and gets both events again.
  const got = await inbox.claim("s", () => {});
  assertEquals(ids(got), ["1", "2"]);
});

Deno.test("waitForMessages wakes on an append, times out, and honours abort", async () => {
  await using t = await tempDir("inbox-test-");
  const inbox = new Inbox(t.path, { recheckMs: 60_000 });
  // Timeout.
  let start = Date.now();
  assertEquals(await inbox.waitForMessages("s", { timeoutMs: 150 }), false);
  assert(Date.now() - start >= 140);
  // Another mailbox does not wake it.
  start = Date.now();
  const other = setTimeout(() => inbox.append("other", [ev("1")]), 20);
  assertEquals(await inbox.waitForMessages("s", { timeoutMs: 300 }), false);
  clearTimeout(other);
  // An append from another process wakes it quickly (the re-check is 60 s away).
  start = Date.now();
  const writer = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { Inbox } from ${JSON.stringify(new URL("../../inbox.ts", import.meta.url).href)};
       await new Inbox(${JSON.stringify(t.path)}).append("s", [${JSON.stringify(ev("9"))}]);`,
    ],
  }).output();
  assertEquals(await inbox.waitForMessages("s", { timeoutMs: 20_000 }), true);
  assert(Date.now() - start < 15_000);
  assertEquals((await writer).code, 0);
  // Already pending: immediate.
  start = Date.now();
  assertEquals(await inbox.waitForMessages("s", { timeoutMs: 20_000 }), true);
  assert(Date.now() - start < 1000);
  await inbox.claim("s", () => {});
  // Abort.
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  start = Date.now();
  assertEquals(
    await inbox.waitForMessages("s", { timeoutMs: 20_000, signal: controller.signal }),
    false,
  );
  assert(Date.now() - start < 5000);
  assertEquals(
    await inbox.waitForMessages("s", { timeoutMs: 20_000, signal: controller.signal }),
    false,
  );
});
