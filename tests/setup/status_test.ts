// setup.ts status, from the state directory alone (no bridge, no Discord): the outbox's waiting
// posts and its counters; this machine; the IDENTIFY budget. The running system's status:
// live_process_test.ts.
import { loadConfig } from "../../config.ts";
import { machineIdentity } from "../../machine.ts";
import { IdentifyBudget } from "../../daemon.ts";
import { Outbox } from "../../outbox.ts";
import { collectStatus, renderStatus } from "../../_setup/status.ts";
import { assertEquals, assertMatch } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

Deno.test("status: posts waiting in the outbox, dropped by its bounds and refused by Discord", async () => {
  await using h = await tempDir("status-test-");
  const outbox = new Outbox(h.path, { maxEntries: 2 });
  const post = (content: string) => ({
    kind: "post" as const,
    threadName: "api-3f2a",
    body: { content },
  });
  await outbox.enqueue("s1", [post("one"), post("two"), post("three")]);
  const [two] = await outbox.peek("s1");
  await outbox.commit("s1", two, { failed: "Discord refused to post: 403 Missing Access" });
  const report = await collectStatus(
    h.path,
    () => loadConfig({ env: { CLAUDE_DISCORD_HOME: h.path } }),
  );
  assertEquals(
    [report.outbox.pending, report.outbox.sessions, report.outbox.dropped, report.outbox.failed],
    [1, 1, 1, 1],
  );
  assertMatch(
    renderStatus(report),
    /Outbox: 1 post\(s\) waiting in 1 session\(s\) \(no bridge runs\); dropped by its bounds: 1, last \S+ \(0 s ago\); refused by Discord: 1, last \S+ \(0 s ago\), see outbox\/failed\.jsonl/,
  );
});

Deno.test("status: this machine's label and id, once machine.json exists", async () => {
  await using h = await tempDir("status-test-");
  const load = () => loadConfig({ env: { CLAUDE_DISCORD_HOME: h.path } });
  const before = await collectStatus(h.path, load);
  assertEquals(before.machine, undefined);
  assertMatch(renderStatus(before), /^Machine: no machine\.json yet/m);
  const m = machineIdentity(h.path, { hostname: () => "devbox" });
  const after = await collectStatus(h.path, load);
  assertEquals(after.machine, { id: m.id, label: "devbox" });
  assertMatch(renderStatus(after), new RegExp(`^Machine: devbox \\(id ${m.id}\\)$`, "m"));
  const labelled = await collectStatus(
    h.path,
    () => loadConfig({ env: { CLAUDE_DISCORD_HOME: h.path, CLAUDE_DISCORD_MACHINE: "lab" } }),
  );
  assertEquals(labelled.machine, { id: m.id, label: "lab" });
});

Deno.test("status: the IDENTIFY budget, and a halt while no bridge runs", async () => {
  await using h = await tempDir("status-test-");
  const load = () => loadConfig({ env: { CLAUDE_DISCORD_HOME: h.path } });
  const budget = new IdentifyBudget(h.path, { cap: 2 });
  budget.noteLimit({ total: 1000, remaining: 990, reset_after: 3_600_000 });
  budget.record();
  budget.record();
  const halt = budget.refusal()!;
  budget.halt(halt);
  const report = await collectStatus(h.path, load);
  assertEquals(report.identify.last24h, 2);
  assertEquals(report.identify.remaining, 988);
  const text = renderStatus(report);
  assertMatch(text, /^IDENTIFY budget: 2 in the last 24 h \(cap 100\); Discord: 988 of 1000 left/m);
  assertMatch(text, /^ {2}HALTED until \S+: This machine identified to Discord's gateway 2 times/m);
});
