// hooks: a session stopped from Discord (its stop marker, stop.ts), with the settings' exact
// commands: PreToolUse blocks the call and ends the turn (fast.sh starts the stop role), the
// next UserPromptSubmit ends the stop, a Stop-hook wait ends without waking, an open permission
// prompt is answered deny. The bridge's side: tests/bridge/control_test.ts; the real CLI:
// tests/e2e/stop_e2e_test.ts.
import { Inbox } from "../../inbox.ts";
import { readStop, requestStop } from "../../stop.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { message, tempDir } from "../_fixture.ts";
import {
  bridgeFor,
  commandOf,
  configure,
  fixture,
  hookLog,
  runHookCommand,
  SID,
} from "./_helpers.ts";

const OWNER = { by: "ada", userId: "1100000000000000003" };

function audit(home: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(`${home}/audit.log`).trim().split("\n").map((l) => JSON.parse(l));
}

/** A registered session with a live bridge: fast.sh's PreToolUse then starts nothing. */
function registeredWithBridge(home: string): void {
  Deno.mkdirSync(`${home}/sessions`, { recursive: true });
  Deno.writeTextFileSync(`${home}/sessions/${SID}.json`, "{}");
  Deno.mkdirSync(`${home}/bridge`, { recursive: true });
  Deno.writeTextFileSync(`${home}/bridge/bridge.pid`, `${Deno.pid}\n`);
}

Deno.test("stop: PreToolUse of a stopped session is denied and ends the turn, naming who (every call until the next prompt, audited once); UserPromptSubmit ends the stop", async () => {
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, {});
  const pre = commandOf(settings, "PreToolUse", "register");
  const prompt = commandOf(settings, "UserPromptSubmit", "deliver");
  const env = { CLAUDE_CODE_SESSION_ID: SID };
  registeredWithBridge(h.path);
  const input = fixture("PreToolUse", SID);
  assertEquals((await runHookCommand(pre, input, env)).stdout, "", "not stopped: nothing");

  requestStop(h.path, SID, { ...OWNER, via: "button" });
  for (const round of [1, 2]) {
    const r = await runHookCommand(pre, input, env);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout), {
      continue: false,
      stopReason: "Stopped from Discord by ada",
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason:
          "Stopped from Discord by ada (Discord user id 1100000000000000003): this call did not run",
      },
    }, `call ${round}`);
  }
  assertEquals(audit(h.path).map((a) => [a.decision, a.blocked, a.via]), [
    ["stop applied", input.tool_name, "button"],
  ]);
  assertMatch(hookLog(h.path), /PreToolUse dae42081: \w+ blocked: Stopped from Discord by ada/);
  assert(readStop(h.path, SID)?.appliedAt, "the stop stays until the next turn");

  // The user starts a new turn: the fast path empties the marker; tool calls go on.
  const r = await runHookCommand(prompt, fixture("UserPromptSubmit", SID), env);
  assertEquals([r.code, r.stdout], [0, ""]);
  assertEquals(Deno.readTextFileSync(`${h.path}/stop/${SID}`), "");
  assertEquals(readStop(h.path, SID), undefined);
  assertEquals((await runHookCommand(pre, input, env)).stdout, "");
});

Deno.test("stop: a Stop-hook wait ends without waking when the session is stopped, and the stop is over; a stop pending at the Stop hook means no wait", async () => {
  await using h = await tempDir("cd-hooks-");
  const wake = commandOf(configure(h.path, { wakeTimeoutSeconds: 60 }), "Stop", "wake");
  const run = runHookCommand(wake, fixture("Stop", SID), {}, 60_000);
  await waitFor("the wait", () => {
    try {
      return Deno.readTextFileSync(`${h.path}/hooks/wait/${SID}`) !== "";
    } catch {
      return false;
    }
  }, 10_000);
  await new Inbox(h.path).append(SID, []); // nothing for it
  requestStop(h.path, SID, { ...OWNER, via: "command" });
  const r = await run;
  assertEquals([r.code, r.stderr], [0, ""], "no wake-up");
  assertEquals(readStop(h.path, SID), undefined, "the stop is over");
  assertMatch(hookLog(h.path), /stopped from Discord by ada; not waiting/);
  assertEquals(audit(h.path).map((a) => [a.decision, a.ended]), [
    ["stop applied", "the wait for messages"],
  ]);

  // Stopped before the Stop hook: it does not wait, even with a message pending.
  requestStop(h.path, SID, { ...OWNER, via: "text" });
  await new Inbox(h.path).append(SID, [message("later")]);
  const again = await runHookCommand(wake, fixture("Stop", SID));
  assertEquals([again.code, again.stderr], [0, ""]);
  assertEquals(await new Inbox(h.path).pending(SID), 1, "the message waits for the next turn");
  assertEquals(readStop(h.path, SID), undefined);
});

Deno.test("stop: an open Discord permission prompt of the session is answered deny and the turn interrupted; the prompt says who stopped it", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, { permissionTimeoutSeconds: 30 }, server);
  await using _bridge = await bridgeFor(server, h.path);
  const run = runHookCommand(
    commandOf(settings, "PermissionRequest", "permission"),
    fixture("PermissionRequest", SID),
    {},
    60_000,
  );
  const prompt = await waitFor(
    "the prompt",
    () =>
      server.state().messages.find((m) => JSON.stringify(m.components ?? []).includes("cd:perm:")),
    15_000,
  );
  requestStop(h.path, SID, { by: "owner", userId: server.ownerId, via: "button" });
  const r = await run;
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout), {
    hookSpecificOutput: {
      hookEventName: "PermissionRequest",
      decision: {
        behavior: "deny",
        message: `Stopped from Discord by owner (Discord user id ${server.ownerId}).`,
        interrupt: true,
      },
    },
  });
  const closed = await waitFor(
    "the closing edit",
    () =>
      server.messages(prompt.channel_id).find((m) =>
        m.id === prompt.id && (m.components ?? []).length === 0
      ),
    15_000,
  );
  assertMatch(closed.content, /\*\*Denied\*\*: the session was stopped from Discord by owner/);
  const [entry] = audit(h.path);
  assertEquals([entry.decision, entry.via], ["deny", "stop"]);
});
