// hooks/deliver.ts: the delivery role as its own entry point, run with the exact settings
// command (fast.sh in front, least permissions, --no-config), and its committed bundle. In this
// process: deliver_test.ts; its module graph: tests/architecture_test.ts.
import { Inbox } from "../../inbox.ts";
import { buildDeliverBundle, BUNDLE_PATH } from "../../hooks/_bundle.ts";
import { assert, assertEquals } from "../_assert.ts";
import { message, ROOT, tempDir } from "../_fixture.ts";
import {
  additionalContext,
  commandOf,
  fixture,
  frameIds,
  hookLog,
  pendingFor,
  runHookCommand,
  settingsFor,
  SID,
} from "./_helpers.ts";
import { simulatedSession } from "./_claude_sim.ts";

const BUNDLE = `${ROOT}/${BUNDLE_PATH}`;

Deno.test("deliver.bundle.js is hooks/deliver.ts bundled (the settings run the bundle)", async () => {
  const fresh = await buildDeliverBundle();
  let committed = "";
  try {
    committed = Deno.readTextFileSync(BUNDLE);
  } catch {
    // missing: reported below
  }
  assert(
    committed === fresh,
    "hooks/deliver.bundle.js is stale: run deno task bundle",
  );
});

Deno.test("deliver.ts: the settings' PostToolUse command delivers pending messages once", async () => {
  await using h = await tempDir("cd-hooks-");
  const settings = settingsFor(h.path);
  const command = commandOf(settings, "PostToolUse", "deliver");
  assert(
    command.includes("/hooks/deliver.bundle.js ") && command.includes(" --no-config "),
    command,
  );
  const inbox = new Inbox(h.path);
  const sent = [message("please run the tests"), message("and the linter")];
  await inbox.append(SID, sent);
  const input = fixture("PostToolUse", SID);
  const first = await runHookCommand(command, input);
  assertEquals(first.code, 0, first.stderr);
  assertEquals(frameIds(additionalContext(first.stdout)), sent.map((e) => e.id));
  assertEquals(JSON.parse(first.stdout).hookSpecificOutput.hookEventName, "PostToolUse");
  // Committed: the next call finds nothing (fast.sh does not even start Deno).
  assertEquals((await runHookCommand(command, input)).stdout, "");
  assertEquals(await inbox.pending(SID), 0);
  // UserPromptSubmit goes through the same entry point.
  const prompt = commandOf(settings, "UserPromptSubmit", "deliver");
  await inbox.append(SID, [message("one more")]);
  const r = await runHookCommand(prompt, fixture("UserPromptSubmit", SID));
  assertEquals(JSON.parse(r.stdout).hookSpecificOutput.hookEventName, "UserPromptSubmit");
});

Deno.test("deliver.ts: the settings command with CLAUDE_CODE_SESSION_ID leaves stdin unread", async () => {
  await using h = await tempDir("cd-hooks-");
  const command = commandOf(settingsFor(h.path), "PostToolUse", "deliver");
  assert(command.includes(" --event=PostToolUse"), command);
  const inbox = new Inbox(h.path);
  const sent = message("no stdin needed");
  await inbox.append(SID, [sent]);
  // Not JSON at all: read, it would be ignored (and nothing delivered).
  const r = await runHookCommand(command, "not json", { CLAUDE_CODE_SESSION_ID: SID });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(frameIds(additionalContext(r.stdout)), [sent.id]);
  // Without the variable, fast.sh takes the id from stdin and Deno reads stdin as before.
  await inbox.append(SID, [message("with stdin")]);
  assertEquals((await runHookCommand(command, "not json")).stdout, "");
  const r2 = await runHookCommand(command, fixture("PostToolUse", SID));
  assertEquals(frameIds(additionalContext(r2.stdout)).length, 1);
});

Deno.test("deliver: hooks killed after their commit, 24 times: every message reaches the session once, in order", async () => {
  await using h = await tempDir("cd-hooks-");
  const home = `${h.path}/state`;
  const command = commandOf(settingsFor(home), "PostToolUse", "deliver");
  const session = await simulatedSession({ home, sid: SID, userHome: `${h.path}/user`, command });
  const inbox = new Inbox(home);
  const sent: string[] = [];
  const KILLS = 24;
  for (let i = 0; i < KILLS; i++) {
    const batch = [message(`round ${i}, first`), message(`round ${i}, second`)];
    await inbox.append(SID, batch);
    sent.push(...batch.map((e) => e.id));
    // Half of the killed hooks lose their output (Claude Code's timeout drops it), half not
    // (Claude Code 2.1.330 takes what a hook killed by a signal printed).
    const discard = i % 2 === 0;
    const killed = await session.round({ kill: "after-commit", discard });
    assert(killed.killed, `round ${i}: the hook was not killed: ${killed.stderr}`);
    assertEquals(killed.seen.length, discard ? 0 : 2);
    // The session's next tool call: the lost batch again, the taken one not.
    const next = await session.round();
    assertEquals(next.code, 0, next.stderr);
    assertEquals(next.seen, discard ? batch.map((e) => e.id) : []);
  }
  // Nothing left: the last delivery was confirmed by the round after it.
  assertEquals(await pendingFor(home, SID), 0);
  assertEquals((await session.round()).seen, []);
  assertEquals(session.seen, sent);
  const log = hookLog(home);
  assertEquals(log.match(/did not take 2 of 2 delivered event\(s\)/g)?.length, KILLS / 2, log);
  assert(!/counted as delivered| error /.test(log), log);
});
