// hooks/_evidence.ts: what a session's transcript says about a delivery, on transcripts shaped
// like Claude Code 2.1.330's (the real CLI writes them in tests/e2e/delivery_e2e_test.ts).
import {
  evidenceOf,
  MAX_WAIT_MS,
  noteShown,
  type Shown,
  verdictOn,
} from "../../hooks/_evidence.ts";
import { deliveryText, frameOpening, splitBatch } from "../../hooks/_format.ts";
import { assert, assertEquals } from "../_assert.ts";
import { message, tempDir } from "../_fixture.ts";

const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** A transcript record as Claude Code writes one (one JSON line). */
function record(type: string, at: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type,
    uuid: crypto.randomUUID(),
    timestamp: iso(at),
    sessionId: "s1",
    ...extra,
  }) + "\n";
}

/** The record of a hook's additionalContext that Claude Code took. */
function context(text: string, at: number): string {
  return record("attachment", at, {
    attachment: {
      type: "hook_additional_context",
      content: [text],
      hookName: "PostToolUse:Bash",
      toolUseID: "toolu_1",
      hookEvent: "PostToolUse",
    },
  });
}

/** The model's answer. */
function answer(at: number, extra: Record<string, unknown> = {}): string {
  return record("assistant", at, {
    message: { role: "assistant", content: [{ type: "text", text: "ok" }] },
    ...extra,
  });
}

/** A delivery of `n` messages: its text and its note, at T0, after `before` in the transcript. */
async function delivered(path: string, n: number, before = ""): Promise<[string, Shown]> {
  await Deno.writeTextFile(path, before);
  const events = Array.from({ length: n }, (_, i) => message(`message ${i}`));
  const { frames, now } = splitBatch(events, 9000);
  const shown = noteShown(path, now.map((e) => e.id), T0);
  if (typeof shown === "string") throw new Error(shown);
  return [deliveryText(frames, now, 0), shown];
}

Deno.test("verdictOn: the text in the transcript is taken; an answer without it is lost; neither waits", async () => {
  await using dir = await tempDir("cd-evidence-");
  const path = `${dir.path}/s1.jsonl`;
  const earlier = record("user", T0 - 5000) + answer(T0 - 4000);
  const [text, shown] = await delivered(path, 3, earlier);
  assertEquals(shown.offset, earlier.length);
  assertEquals(shown.at, iso(T0));

  // Nothing written since: wait.
  assertEquals(verdictOn(shown, T0 + 50), { taken: new Set<string>(), lost: [], waiting: true });
  // The answer that asked for this tool call, flushed after the hook had noted the size: still
  // earlier than the delivery, so it tells nothing.
  await Deno.writeTextFile(path, answer(T0 - 30), { append: true });
  assertEquals(verdictOn(shown, T0 + 50).waiting, true);
  // A subagent's answer (a sidechain) is not the session's.
  await Deno.writeTextFile(path, answer(T0 + 10, { isSidechain: true }), { append: true });
  assertEquals(verdictOn(shown, T0 + 50).waiting, true);

  // Taken: the context record, then the model's next answer.
  const taken = `${path}.taken`;
  await Deno.copyFile(path, taken);
  await Deno.writeTextFile(taken, context(text, T0 + 20) + answer(T0 + 900), { append: true });
  assertEquals(verdictOn({ ...shown, transcript: taken }, T0 + 1000), {
    taken: new Set(shown.ids),
    lost: [],
    waiting: false,
  });
  // Taken even before the answer is written.
  const early = `${path}.early`;
  await Deno.copyFile(path, early);
  await Deno.writeTextFile(early, context(text, T0 + 20), { append: true });
  assertEquals(verdictOn({ ...shown, transcript: early }, T0 + 30).taken.size, 3);

  // Lost: Claude Code stopped the hook (its output dropped) and the model answered.
  await Deno.writeTextFile(
    path,
    record("attachment", T0 + 30000, { attachment: { type: "hook_cancelled" } }) +
      answer(T0 + 30100),
    { append: true },
  );
  assertEquals(verdictOn(shown, T0 + 31000), {
    taken: new Set<string>(),
    lost: shown.ids,
    waiting: false,
  });
});

Deno.test("verdictOn: only the text as Claude Code took it counts, and only after the note", async () => {
  await using dir = await tempDir("cd-evidence-");
  const path = `${dir.path}/s1.jsonl`;
  const [text, shown] = await delivered(path, 2);
  // The hook's raw stdout, as a hook_success record keeps it, is escaped twice: not evidence.
  const stdout = JSON.stringify({ hookSpecificOutput: { additionalContext: text } });
  await Deno.writeTextFile(
    path,
    record("attachment", T0 + 10, { attachment: { type: "hook_success", stdout } }) +
      answer(T0 + 500),
    { append: true },
  );
  assertEquals(verdictOn(shown, T0 + 600).lost, shown.ids);

  // The same text before the note (an earlier delivery of other ids) tells nothing about it.
  const [text2, shown2] = await delivered(path, 1);
  const before = context(text2, T0 - 100);
  await Deno.writeTextFile(path, before);
  const note = { ...shown2, offset: before.length };
  await Deno.writeTextFile(path, answer(T0 + 500), { append: true });
  assertEquals(verdictOn(note, T0 + 600).lost, shown2.ids);

  // One of two ids found before the answer: that one was taken, the other not.
  const [, two] = await delivered(path, 2);
  await Deno.writeTextFile(
    path,
    context(`${frameOpening(two.ids[1])}>hi</discord-message>`, T0 + 10) + answer(T0 + 500),
  );
  const verdict = verdictOn({ ...two, offset: 0 }, T0 + 600);
  assertEquals([[...verdict.taken], verdict.lost], [[two.ids[1]], [two.ids[0]]]);
});

Deno.test("verdictOn: a missing, unreadable or silent transcript counts as taken (blind)", async () => {
  await using dir = await tempDir("cd-evidence-");
  const path = `${dir.path}/s1.jsonl`;
  const [, shown] = await delivered(path, 2);
  // Still empty after MAX_WAIT_MS: nothing in this transcript will tell.
  const late = verdictOn(shown, T0 + MAX_WAIT_MS + 1);
  assertEquals(late.taken, new Set(shown.ids));
  assert(late.blind?.startsWith("no answer of Claude Code"), late.blind);
  assertEquals(verdictOn(shown, T0 + MAX_WAIT_MS).waiting, true);
  // Gone, or not a file.
  const gone = verdictOn({ ...shown, transcript: `${dir.path}/none.jsonl` }, T0);
  assertEquals([gone.taken.size, gone.waiting], [2, false]);
  assert(gone.blind?.startsWith("no transcript at"), gone.blind);
  const notFile = verdictOn({ ...shown, transcript: dir.path }, T0);
  assert(notFile.blind?.startsWith("cannot read"), notFile.blind);
  // A transcript that does not exist yet is noted from its start.
  const fresh = noteShown(`${dir.path}/later.jsonl`, ["1"], T0);
  assertEquals(typeof fresh === "object" && fresh.offset, 0);
});

Deno.test("verdictOn: a rewritten (shorter) transcript is read from its start; long lines across reads", async () => {
  await using dir = await tempDir("cd-evidence-");
  const path = `${dir.path}/s1.jsonl`;
  const [text, shown] = await delivered(path, 2);
  // A tool output of 700 kB on one line before the context, split over several reads.
  const big = record("user", T0 + 5, { toolUseResult: { stdout: "x".repeat(700_000) } });
  await Deno.writeTextFile(path, big + context(text, T0 + 10) + answer(T0 + 20));
  assertEquals(verdictOn(shown, T0 + 30).taken.size, 2);
  assertEquals(verdictOn({ ...shown, offset: 10_000_000 }, T0 + 30).taken.size, 2);
  // A record still being written (no "\n" yet) is read once it is whole.
  await Deno.writeTextFile(path, big + context(text, T0 + 10).slice(0, -1));
  assertEquals(verdictOn(shown, T0 + 30).waiting, true);
});

Deno.test("evidenceOf: the frame's opening tag as a JSON string holds it, ids escaped as attributes", () => {
  assertEquals(evidenceOf("123"), '<discord-message id=\\"123\\"');
  const reaction = "r:1:2:<:party:3>";
  const e = message("", { id: reaction, kind: "reaction", emoji: "<:party:3>" });
  const text = deliveryText(splitBatch([e], 9000).frames, [e], 0);
  assert(JSON.stringify(text).includes(evidenceOf(reaction)), JSON.stringify(text));
});
