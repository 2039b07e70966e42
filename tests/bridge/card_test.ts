// The status card with an in-process bridge against the local Discord: the card queued at
// SessionStart opens the session's thread; the bridge edits it from the session's transcript,
// activity file and stop marker, at most once per interval, the last state always landing; a
// restarted bridge edits only what changed while it was down. The real CLI: tests/e2e/card_e2e_test.ts.
import { CARD_KEY } from "../../card.ts";
import { Outbox } from "../../outbox.ts";
import { writeActivity } from "../../activity.ts";
import { readStop, stopCustomId } from "../../stop.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { startBridge, world } from "./_helpers.ts";
import { card, cardText, edits, session, SID, until } from "./_card.ts";

Deno.test("card: the SessionStart card opens the thread, then follows the session through every state, at most one edit per 2 s", async () => {
  await using w = await world();
  const transcript = await session(w);
  await using _bridge = await startBridge(w);
  await waitFor("the card's thread", () => card(w), 10_000);
  const first = card(w)!;
  assertEquals(
    w.server.messages(first.channel_id).length,
    1,
    "the card is the thread's first post",
  );
  assertMatch(JSON.stringify(first.components), new RegExp(`"custom_id":"cd:stop:${SID}"`));
  await waitFor(
    "the card's message in the outbox record",
    () => new Outbox(w.home).record(SID).message(CARD_KEY)?.messageId === first.id,
    5000,
  );
  // The bridge's first edit adds what the hook could not know: the branch from the transcript.
  transcript.prompt("run the tests");
  transcript.tool("Bash");
  await until(w, "working: Bash", /working: Bash\*\* \(1 tool, /);
  assertMatch(cardText(w), /feature\/cards/);
  assertMatch(cardText(w), /claude-opus-5-5/);
  for (let i = 0; i < 5; i++) transcript.tool("Read");
  await until(w, "6 tools", /working: Read\*\* \(6 tools, /);
  writeActivity(w.home, SID, { state: "waiting", tool: "Bash: touch x.txt" });
  await until(w, "waiting for approval", /waiting for your approval:\*\* `Bash: touch x.txt`/);
  transcript.tool("Bash");
  transcript.answer("Done.");
  writeActivity(w.home, SID, { state: "idle" });
  await until(w, "idle", /idle since\*\* <t:\d+:t>/);
  // 7 tool calls and the answer, 1000 in + 50 out each, at Opus 5's $4 / $20 per MTok.
  assertMatch(cardText(w), /"name":"Cost","value":"~\$0\.040"/);
  assertMatch(cardText(w), /"name":"Turns","value":"1"/);
  writeActivity(w.home, SID, { state: "ended", reason: "Claude Code exited" });
  await until(w, "ended", /ended\*\* \(Claude Code exited\)/);
  await waitFor("the Stop button to go", () => card(w)!.components?.length === 0, 5000);
  const times = edits(w);
  assert(times.length >= 5, `edits: ${times.length}`);
  for (let i = 1; i < times.length; i++) {
    assert(times[i] - times[i - 1] >= 2000, `edits ${times[i] - times[i - 1]} ms apart`);
  }
  assert(!/ error /.test(w.log()), w.log());
});

Deno.test("card: the owner's click on the card's Stop button shows who stopped the session until its next turn; /sessions shows the card's state", async () => {
  await using w = await world();
  const transcript = await session(w);
  await using _bridge = await startBridge(w, { cardIntervalMs: 200 });
  transcript.prompt("go");
  transcript.tool("Bash");
  await until(w, "working", /working: Bash/);
  // /sessions says what the card says.
  const listed = await w.server.runCommand({ name: "sessions", userId: w.server.ownerId });
  await waitFor(
    "/sessions's answer with the card's state",
    () =>
      /working: Bash \(1 tool, /.test(JSON.stringify(w.server.interaction(listed.interactionId))),
    5000,
  );
  const shown = card(w)!;
  const stranger = await w.server.clickButton({
    messageId: shown.id,
    customId: stopCustomId(SID),
    userId: w.server.users.stranger.id,
  });
  assert(await stranger.answered, "the stranger's click is answered (not allowed)");
  const click = await w.server.clickButton({
    messageId: shown.id,
    customId: stopCustomId(SID),
    userId: w.server.ownerId,
  });
  assert(await click.answered, "the bridge answered the click");
  assertEquals(readStop(w.home, SID)?.by, "owner");
  await until(w, "stopped by owner", /stopped by owner/);
  // UserPromptSubmit empties the marker when the user starts the next turn; the card keeps
  // saying it until that turn shows in the transcript.
  Deno.writeTextFileSync(`${w.home}/stop/${SID}`, "");
  writeActivity(w.home, SID, { state: "idle" });
  await new Promise((r) => setTimeout(r, 600));
  assertMatch(cardText(w), /stopped by owner/);
  await new Promise((r) => setTimeout(r, 10));
  transcript.prompt("go on");
  transcript.tool("Grep");
  await until(w, "working again", /working: Grep\*\* \(1 tool/);
});
