// Helpers of the status card tests: a transcript written as Claude Code writes it, a session
// with its card queued as the SessionStart hook queues it, and the card as Discord shows it.
import { cardEntry } from "../../card.ts";
import { Outbox } from "../../outbox.ts";
import type { Message } from "../../testing/mod.ts";
import { waitFor } from "../_assert.ts";
import type { World } from "./_helpers.ts";

export const SID = "5a1b2c3d-0000-4000-8000-00000000c4d1";

/** A transcript writer: the records Claude Code 2.1.332 writes, as far as the card reads them. */
export class Transcript {
  readonly path: string;
  #n = 0;
  constructor(root: string) {
    Deno.mkdirSync(`${root}/projects/-work-app`, { recursive: true });
    this.path = `${root}/projects/-work-app/${SID}.jsonl`;
    Deno.writeTextFileSync(this.path, "");
  }
  #append(record: Record<string, unknown>): void {
    const line = JSON.stringify({
      isSidechain: false,
      sessionId: SID,
      timestamp: new Date().toISOString(),
      gitBranch: "feature/cards",
      ...record,
    });
    Deno.writeTextFileSync(this.path, line + "\n", { append: true });
  }
  prompt(text: string): void {
    this.#append({ type: "user", message: { role: "user", content: text } });
  }
  tool(name: string): void {
    const id = `toolu_${++this.#n}`;
    this.#append({
      type: "assistant",
      message: {
        id: `msg_${this.#n}`,
        model: "claude-opus-5-5",
        role: "assistant",
        content: [{ type: "tool_use", id, name, input: {} }],
        usage: { input_tokens: 1000, output_tokens: 50 },
      },
    });
    this.#append({
      type: "user",
      message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "" }] },
    });
  }
  answer(text: string): void {
    this.#append({
      type: "assistant",
      message: {
        id: `msg_${++this.#n}`,
        model: "claude-opus-5-5",
        role: "assistant",
        content: [{ type: "text", text }],
        usage: { input_tokens: 1000, output_tokens: 50 },
      },
    });
  }
}

export async function session(w: World, pid = Deno.pid): Promise<Transcript> {
  const transcript = new Transcript(w.home);
  const record = await w.registry.register({
    id: SID,
    cwd: "/work/app",
    pid,
    transcriptPath: transcript.path,
  });
  // What the SessionStart hook queues (hooks/_card.ts).
  await new Outbox(w.home).enqueue(SID, [cardEntry(
    {
      session: { id: SID, name: record.name },
      cwd: record.cwd,
      startedAt: record.started,
      state: { kind: "idle", since: record.started },
    },
    record.name,
    Date.now(),
  )]);
  return transcript;
}

/** The card as Discord shows it now. */
export function card(w: World): Message | undefined {
  const thread = w.registry.get(SID)?.threadId;
  if (thread === undefined) return undefined;
  return w.server.messages(thread)[0];
}

export function cardText(w: World): string {
  const m = card(w);
  return m === undefined ? "" : JSON.stringify(m.embeds);
}

/** The times the card was edited, from the server's request log. */
export function edits(w: World): number[] {
  const m = card(w);
  if (m === undefined) return [];
  return w.server.state().requests.filter((r) =>
    r.method === "PATCH" && r.path === `/channels/${m.channel_id}/messages/${m.id}` &&
    r.status === 200
  ).map((r) => Date.parse(r.time));
}

export function until(w: World, what: string, pattern: RegExp, ms = 15_000): Promise<unknown> {
  return waitFor(`the card to show ${what}; it shows ${cardText(w)}`, () => {
    return pattern.test(cardText(w));
  }, ms);
}
