// hooks/deliver.ts in this process: what it ignores, and the session and event from its
// command line. Run as the settings command, and the bundle: deliver_process_test.ts.
import { Inbox, readLastDelivered } from "../../inbox.ts";
import { main } from "../../hooks/deliver.ts";
import { assert, assertEquals } from "../_assert.ts";
import { message, tempDir } from "../_fixture.ts";
import { additionalContext, frameIds, hookLog, SID } from "./_helpers.ts";

Deno.test("deliver.ts: other events and roles are ignored with a log line, garbage too", async () => {
  await using h = await tempDir("cd-hooks-");
  await new Inbox(h.path).append(SID, [message("waiting")]);
  const out: string[] = [];
  const run = (input: string, args: string[] = []) =>
    main(["--home", h.path, ...args], {
      stdin: ReadableStream.from([new TextEncoder().encode(input)]),
      out: (t) => out.push(t),
      err: () => {},
    });
  assertEquals(await run(JSON.stringify({ session_id: SID, hook_event_name: "Stop" })), 0);
  assertEquals(
    await run(JSON.stringify({ session_id: SID, hook_event_name: "PostToolUse" }), [
      "--role=status",
    ]),
    0,
  );
  assertEquals(await run("not json"), 0);
  assertEquals(out, []);
  assert(hookLog(h.path).includes('no role "status"'));
  assertEquals(await new Inbox(h.path).pending(SID), 1, "nothing was taken");
  assertEquals(await run(JSON.stringify({ session_id: SID, hook_event_name: "PostToolUse" })), 0);
  assertEquals(out.length, 1);
});

Deno.test("deliver.ts: with --session and --event it delivers without reading stdin", async () => {
  await using h = await tempDir("cd-hooks-");
  const inbox = new Inbox(h.path);
  const sent = message("from the environment");
  await inbox.append(SID, [sent]);
  const out: string[] = [];
  // A stdin that fails when read: the hook must not touch it.
  const stdin = {
    read(): Promise<number | null> {
      return Promise.reject(new Error("stdin was read"));
    },
  };
  const args = ["--home", h.path, "--session", SID, "--event", "UserPromptSubmit"];
  assertEquals(await main(args, { stdin, out: (t) => out.push(t), err: () => {} }), 0);
  assertEquals(frameIds(additionalContext(out[0])), [sent.id]);
  assertEquals(JSON.parse(out[0]).hookSpecificOutput.hookEventName, "UserPromptSubmit");
  // A bad session id from the command line is refused like one from stdin.
  await inbox.append(SID, [message("still here")]);
  const bad = ["--home", h.path, "--session", "../x", "--event", "PostToolUse"];
  assertEquals(await main(bad, { stdin, out: (t) => out.push(t), err: () => {} }), 0);
  assertEquals(out.length, 1);
  assertEquals(await inbox.pending(SID), 1);
});

Deno.test("deliver.ts: the last message it handed over is where the session's reply goes by default", async () => {
  await using h = await tempDir("cd-hooks-");
  const inbox = new Inbox(h.path);
  const first = message("first");
  const second = message("second", {
    channelId: "1100000000000000077",
    threadId: "1100000000000000077",
  });
  await inbox.append(SID, [first, second]);
  const out: string[] = [];
  const args = ["--home", h.path, "--session", SID, "--event", "PostToolUse"];
  assertEquals(await main(args, { out: (t) => out.push(t), err: () => {} }), 0);
  assertEquals(frameIds(additionalContext(out[0])), [first.id, second.id]);
  const last = readLastDelivered(h.path, SID);
  assertEquals(last?.messageId, second.id);
  assertEquals(last?.channelId, "1100000000000000077");
  assertEquals(last?.threadId, "1100000000000000077");
});
