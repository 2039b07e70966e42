// hooks/hook.ts in this process: a delivery whose output cannot be written, and --help. The
// roles run as Claude Code runs them (sh -c, the settings' command): hook_process_test.ts.
import { Inbox } from "../../inbox.ts";
import { main } from "../../hooks/hook.ts";
import { assertEquals, assertMatch } from "../_assert.ts";
import { message, tempDir } from "../_fixture.ts";
import { additionalContext, fixture, frameIds, hookLog, pendingFor, SID } from "./_helpers.ts";

Deno.test("deliver: output that cannot be written consumes nothing (redelivered next time)", async () => {
  await using h = await tempDir("cd-hooks-");
  const inbox = new Inbox(h.path);
  const e = message("important");
  await inbox.append(SID, [e]);
  const input = new TextEncoder().encode(JSON.stringify(fixture("PostToolUse", SID)));
  const code = await main(["--home", h.path, "--role", "deliver"], {
    stdin: ReadableStream.from([input]),
    out: () => {
      throw new Error("stdout closed");
    },
    env: {},
  });
  assertEquals(code, 0);
  // Still pending for the session (claimed from the mailbox into the hooks' overflow file).
  assertEquals(await pendingFor(h.path, SID), 1);
  const out: string[] = [];
  await main(["--home", h.path, "--role", "deliver"], {
    stdin: ReadableStream.from([input]),
    out: (t) => out.push(t),
    env: {},
  });
  assertEquals(frameIds(additionalContext(out.join(""))), [e.id]);
  assertMatch(hookLog(h.path), /deliver failed: stdout closed/);
});

Deno.test("main: --help prints usage; an unknown flag is no reason to fail the session", async () => {
  const out: string[] = [];
  assertEquals(await main(["--help"], { out: (t) => out.push(t) }), 0);
  assertMatch(out.join(""), /--role/);
  assertEquals(await main(["--bogus"], { err: () => {} }), 0);
});
