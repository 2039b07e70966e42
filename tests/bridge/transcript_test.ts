// What the bridge reads from a session's transcript for its card (_bridge/transcript.ts), and
// how the card's state is decided from the transcript, the activity file and a stop
// (_bridge/card_state.ts).
import { cardState } from "../../_bridge/card_state.ts";
import { TranscriptReader } from "../../_bridge/transcript.ts";
import { assertEquals } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

const T0 = Date.parse("2026-01-01T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function line(record: Record<string, unknown>): string {
  return JSON.stringify({ isSidechain: false, gitBranch: "main", ...record }) + "\n";
}

function assistant(s: number, id: string, content: unknown[], extra = {}): string {
  return line({
    type: "assistant",
    timestamp: at(s),
    message: {
      id,
      model: "claude-opus-5-5",
      content,
      usage: {
        input_tokens: 100,
        output_tokens: 10,
        cache_creation_input_tokens: 30,
        cache_read_input_tokens: 7,
        cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 },
      },
    },
    ...extra,
  });
}

Deno.test("transcript: turns, this turn's tools, tokens once per message, read in pieces", async () => {
  await using dir = await tempDir("transcript-");
  const path = `${dir.path}/s.jsonl`;
  const text = [
    line({ type: "queue-operation", operation: "enqueue", content: "go" }),
    line({ type: "user", timestamp: at(0), message: { role: "user", content: "go" } }),
    // One message, written as one record per content block: counted once.
    assistant(1, "m1", [{ type: "text", text: "on it" }]),
    assistant(1, "m1", [{ type: "tool_use", id: "t1", name: "Bash", input: {} }]),
    line({
      type: "user",
      timestamp: at(2),
      message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "" }] },
    }),
    // A subagent's work and Claude Code's own records are not the session's.
    assistant(3, "m2", [{ type: "tool_use", id: "t2", name: "Grep", input: {} }], {
      isSidechain: true,
    }),
    line({ type: "assistant", timestamp: at(3), message: { id: "m3", model: "<synthetic>" } }),
    line({ type: "user", timestamp: at(3), isMeta: true, message: { content: "meta" } }),
    assistant(4, "m4", [{ type: "tool_use", id: "t3", name: "Read", input: {} }]),
  ].join("");
  // Written in two pieces, cut inside a line.
  Deno.writeTextFileSync(path, text.slice(0, 700));
  const reader = new TranscriptReader(path);
  reader.read();
  Deno.writeTextFileSync(path, text.slice(700), { append: true });
  assertEquals(reader.read(), true);
  const f = reader.facts;
  assertEquals([f.turns, f.tools, f.lastTool, f.branch, f.model], [
    1,
    2,
    "Read",
    "main",
    "claude-opus-5-5",
  ]);
  assertEquals([f.turnStartedAt, f.lastActivityAt], [T0, T0 + 4000]);
  assertEquals(f.usage.get("claude-opus-5-5"), {
    input: 200,
    output: 20,
    cacheWrite: 20,
    cacheWrite1h: 40,
    cacheRead: 14,
  });
  assertEquals(reader.read(), false, "nothing new");
  // A new prompt starts a turn: its tools count from zero.
  Deno.writeTextFileSync(
    path,
    line({
      type: "user",
      timestamp: at(9),
      message: { content: [{ type: "text", text: "more" }] },
    }),
    { append: true },
  );
  reader.read();
  assertEquals([f.turns, f.tools, f.lastTool, f.turnStartedAt], [2, 0, undefined, T0 + 9000]);
  // Replaced (a rewrite): read again from its start.
  Deno.writeTextFileSync(
    path,
    line({ type: "user", timestamp: at(20), message: { content: "x" } }),
  );
  reader.read();
  assertEquals([reader.facts.turns, reader.facts.usage.size], [1, 0]);
});

Deno.test("card state: ended, stopped until the next turn, the hooks' last word, working, idle", () => {
  const transcript = {
    turns: 1,
    tools: 2,
    lastTool: "Bash",
    turnStartedAt: T0,
    lastActivityAt: T0 + 5000,
    usage: new Map(),
  };
  const base = { live: true, startedAt: at(-10), transcript };
  assertEquals(cardState(base), { kind: "working", tool: "Bash", tools: 2, since: at(0) });
  assertEquals(cardState({ ...base, transcript: undefined }), { kind: "idle", since: at(-10) });
  assertEquals(
    cardState({ ...base, activity: { state: "waiting", tool: "Bash: ls", at: at(6) } }),
    { kind: "waiting", tool: "Bash: ls" },
  );
  // The transcript moved after the hook's word: the tool runs.
  assertEquals(
    cardState({ ...base, activity: { state: "waiting", tool: "Bash: ls", at: at(4) } }).kind,
    "working",
  );
  assertEquals(cardState({ ...base, activity: { state: "idle", at: at(6) } }), {
    kind: "idle",
    since: at(6),
  });
  assertEquals(
    cardState({ ...base, activity: { state: "error", reason: "Stopped: overloaded", at: at(6) } }),
    { kind: "error", reason: "Stopped: overloaded" },
  );
  const stop = { by: "ada", at: T0 + 3000 };
  assertEquals(cardState({ ...base, stop, activity: { state: "idle", at: at(6) } }), {
    kind: "stopped",
    by: "ada",
  });
  assertEquals(
    cardState({ ...base, stop, transcript: { ...transcript, turnStartedAt: T0 + 4000 } }).kind,
    "working",
    "a new turn after the stop",
  );
  assertEquals(cardState({ ...base, live: false }), {
    kind: "ended",
    reason: "its Claude Code process is gone",
  });
  assertEquals(cardState({ ...base, activity: { state: "ended", reason: "x", at: at(1) } }), {
    kind: "ended",
    reason: "x",
  });
});
