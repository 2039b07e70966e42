// The hooks' side of the status card, run as Claude Code runs them (sh -c, the settings'
// commands): SessionStart queues the card once as the first post of the session's thread; the
// permission, Stop and SessionEnd hooks note what the session is doing for the bridge. No bridge
// runs here (no bot token: "not configured"); the bridge's side is tests/bridge/card_test.ts.
import { CARD_KEY, cardEntryId } from "../../card.ts";
import { stopCustomId } from "../../stop.ts";
import { Outbox } from "../../outbox.ts";
import { readActivity } from "../../activity.ts";
import { SessionRegistry } from "../../sessions.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { commandOf, configure, fixture, hookLog, runHookCommand, SID } from "./_helpers.ts";

const WEBHOOK = "http://127.0.0.1:9/api/webhooks/1100000000000000001/secret";

Deno.test("card hooks: SessionStart queues the card once; the permission, Stop and SessionEnd hooks note the session's state", async () => {
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, { webhookUrl: WEBHOOK, machineLabel: "laptop" });
  const env = { CLAUDE_PID: String(Deno.pid), CLAUDE_CODE_SESSION_ID: SID };
  const start = () =>
    runHookCommand(
      commandOf(settings, "SessionStart", "register"),
      fixture("SessionStart", SID),
      env,
    );
  assertEquals((await start()).code, 0);
  const outbox = new Outbox(h.path);
  const [card, ...rest] = await outbox.peek(SID);
  assertEquals(rest, []);
  assert(card.kind === "post");
  assertEquals([card.id, card.key, card.threadName], [cardEntryId(SID), CARD_KEY, "project-dae4"]);
  const shown = JSON.stringify(card.body);
  assertMatch(shown, /"title":"project-dae4"/);
  assertMatch(shown, /"name":"Machine","value":"laptop"/);
  assertMatch(shown, /"name":"Project","value":"project"/);
  assert(shown.includes(`"custom_id":"${stopCustomId(SID)}"`), shown);
  // A SessionStart again (after /compact, or a resume) queues no second card.
  assertEquals((await start()).code, 0);
  assertEquals((await outbox.peek(SID)).length, 1);
  assertMatch(hookLog(h.path), /card queued before/);

  const perm = await runHookCommand(
    commandOf(settings, "PermissionRequest", "permission"),
    fixture("PermissionRequest", SID),
    env,
  );
  assertEquals([perm.code, perm.stdout], [0, ""], "no token: no decision from Discord");
  const waiting = readActivity(h.path, SID);
  assertEquals(waiting?.state, "waiting");
  assertMatch(waiting?.tool ?? "", /^\w+: /);

  await runHookCommand(commandOf(settings, "Stop", "status"), fixture("Stop", SID), env);
  assertEquals(readActivity(h.path, SID)?.state, "idle");
  assert(Date.parse(readActivity(h.path, SID)!.at) >= Date.parse(waiting!.at));

  await runHookCommand(
    commandOf(settings, "SessionEnd", "end"),
    fixture("SessionEnd.prompt_input_exit", SID),
    env,
  );
  const ended = readActivity(h.path, SID);
  assertEquals(ended?.state, "ended");
  assertEquals(ended?.reason, "exited at the prompt: /exit, Ctrl+D or Ctrl+C");
  assert(new SessionRegistry(h.path).get(SID)?.ended !== undefined);
  assertEquals(Deno.statSync(`${h.path}/activity/${SID}.json`).mode! & 0o777, 0o600);
  assertEquals(Deno.statSync(`${h.path}/activity`).mode! & 0o777, 0o700);
});
