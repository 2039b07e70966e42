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
  runHookCommand,
  settingsFor,
  SID,
} from "./_helpers.ts";

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
