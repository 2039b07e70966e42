// Private: what a session's transcript (Claude Code's JSON Lines record of the conversation,
// `transcript_path`) says for its status card, read incrementally: each read parses only the
// lines appended since the last one (a file that shrank or was replaced is read again).
//
// What counts (checked with Claude Code 2.1.332, tests/e2e/card_e2e_test.ts):
// - a turn: a `user` record of the main conversation (not `isSidechain`, not `isMeta`, not a
//   compaction summary) whose content is not only tool results: a prompt, or a wake-up;
// - a tool call: a `tool_use` block of an `assistant` record of the main conversation (by its
//   id: Claude Code writes one record per content block of a message);
// - tokens: an assistant message's `usage`, once per message id, per `message.model`
//   (`<synthetic>` records are Claude Code's own, not the model's);
// - the branch: the latest record's `gitBranch`; times: the records' `timestamp`.
import type { TokenUsage } from "../card.ts";
import { parseJson } from "../_shared/json.ts";

/** What a transcript says so far. */
export interface TranscriptFacts {
  /** Turns (prompts and wake-ups). */
  turns: number;
  /** Tool calls in the current turn. */
  tools: number;
  /** The last tool called in the current turn. */
  lastTool?: string;
  /** When the current turn started (ms). */
  turnStartedAt?: number;
  /** The last record of the main conversation, a prompt, an answer or a tool result (ms). */
  lastActivityAt?: number;
  /** The model of the last answer. */
  model?: string;
  /** The git branch of the last record. */
  branch?: string;
  /** Tokens per model. */
  usage: Map<string, TokenUsage>;
}

/** Most bytes read per call: a long transcript is caught up over several reads. */
const READ_MAX = 8 * 1024 * 1024;
/** Message and tool ids kept to count each once (the newest). */
const IDS_KEPT = 20_000;

interface Record_ {
  type?: unknown;
  isSidechain?: unknown;
  isMeta?: unknown;
  isCompactSummary?: unknown;
  timestamp?: unknown;
  gitBranch?: unknown;
  message?: { id?: unknown; model?: unknown; content?: unknown; usage?: Usage };
}

interface Usage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
  cache_read_input_tokens?: unknown;
  cache_creation?: { ephemeral_5m_input_tokens?: unknown; ephemeral_1h_input_tokens?: unknown };
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Reads one transcript incrementally. */
export class TranscriptReader {
  readonly #path: string;
  readonly #facts: TranscriptFacts = { turns: 0, tools: 0, usage: new Map() };
  readonly #messages = new Set<string>();
  readonly #toolIds = new Set<string>();
  #offset = 0;
  #ino: number | null = null;
  #partial = new Uint8Array(0);

  /** @param path The transcript file. */
  constructor(path: string) {
    this.#path = path;
  }

  /** The transcript's path. */
  get path(): string {
    return this.#path;
  }

  /** What it said at the last read. */
  get facts(): TranscriptFacts {
    return this.#facts;
  }

  /**
   * Reads what was appended since the last read.
   *
   * @returns Whether anything new was read.
   * @throws {Deno.errors.NotCapable} Without read permission (the bridge's `--allow-read`).
   */
  read(): boolean {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.#path, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
    try {
      const info = file.statSync();
      if (info.ino !== this.#ino || info.size < this.#offset) this.#reset(info.ino);
      if (info.size <= this.#offset) return false;
      file.seekSync(this.#offset, Deno.SeekMode.Start);
      const buffer = new Uint8Array(Math.min(READ_MAX, info.size - this.#offset));
      let filled = 0;
      while (filled < buffer.length) {
        const n = file.readSync(buffer.subarray(filled));
        if (n === null || n === 0) break;
        filled += n;
      }
      this.#offset += filled;
      this.#take(buffer.subarray(0, filled));
      return filled > 0;
    } finally {
      file.close();
    }
  }

  #reset(ino: number | null): void {
    this.#ino = ino;
    this.#offset = 0;
    this.#partial = new Uint8Array(0);
    this.#messages.clear();
    this.#toolIds.clear();
    Object.assign(this.#facts, { turns: 0, tools: 0, usage: new Map() });
    for (
      const key of ["lastTool", "turnStartedAt", "lastActivityAt", "model", "branch"] as const
    ) delete this.#facts[key];
  }

  /** Applies the complete lines of `bytes` (after what was left of the last read). */
  #take(bytes: Uint8Array): void {
    let data = bytes;
    if (this.#partial.length > 0) {
      data = new Uint8Array(this.#partial.length + bytes.length);
      data.set(this.#partial);
      data.set(bytes, this.#partial.length);
    }
    const end = data.lastIndexOf(0x0a);
    this.#partial = end < 0 ? data.slice() : data.slice(end + 1);
    if (end < 0) return;
    const text = new TextDecoder().decode(data.subarray(0, end));
    for (const line of text.split("\n")) {
      // Most lines are Claude Code's bookkeeping: parse only what may be a turn or an answer.
      if (!line.includes('"type":"user"') && !line.includes('"type":"assistant"')) {
        if (line.includes('"gitBranch"')) this.#branch(line);
        continue;
      }
      const r = parseJson(line) as Record_ | undefined;
      if (r && typeof r === "object") this.#apply(r);
    }
  }

  #branch(line: string): void {
    const m = /"gitBranch":"((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) this.#facts.branch = (parseJson(`"${m[1]}"`) as string | undefined) ?? m[1];
  }

  #apply(r: Record_): void {
    const f = this.#facts;
    if (typeof r.gitBranch === "string" && r.gitBranch !== "") f.branch = r.gitBranch;
    if (r.isSidechain === true || r.isMeta === true) return;
    const at = typeof r.timestamp === "string" ? Date.parse(r.timestamp) : NaN;
    const content = r.message?.content;
    if (r.type === "user") {
      if (r.isCompactSummary === true) return;
      if (Number.isFinite(at)) f.lastActivityAt = at;
      const blocks = Array.isArray(content) ? content as { type?: unknown }[] : undefined;
      const onlyResults = blocks !== undefined && blocks.length > 0 &&
        blocks.every((b) => b?.type === "tool_result");
      if (onlyResults || content === undefined) return;
      f.turns++;
      f.tools = 0;
      delete f.lastTool;
      if (Number.isFinite(at)) f.turnStartedAt = at;
      return;
    }
    if (r.type !== "assistant") return;
    const model = typeof r.message?.model === "string" ? r.message.model : undefined;
    if (model === "<synthetic>") return;
    if (Number.isFinite(at)) f.lastActivityAt = at;
    if (model !== undefined) f.model = model;
    const id = r.message?.id;
    if (typeof id === "string" && !this.#messages.has(id)) {
      remember(this.#messages, id);
      if (model !== undefined && r.message?.usage) this.#count(model, r.message.usage);
    }
    if (!Array.isArray(content)) return;
    for (const block of content as { type?: unknown; id?: unknown; name?: unknown }[]) {
      if (block?.type !== "tool_use" || typeof block.id !== "string") continue;
      if (this.#toolIds.has(block.id)) continue;
      remember(this.#toolIds, block.id);
      f.tools++;
      if (typeof block.name === "string") f.lastTool = block.name;
    }
  }

  #count(model: string, u: Usage): void {
    const total = this.#facts.usage.get(model) ??
      { input: 0, output: 0, cacheWrite: 0, cacheWrite1h: 0, cacheRead: 0 };
    const written = num(u.cache_creation_input_tokens);
    const hour = num(u.cache_creation?.ephemeral_1h_input_tokens);
    total.input += num(u.input_tokens);
    total.output += num(u.output_tokens);
    total.cacheWrite1h += Math.min(hour, written);
    total.cacheWrite += Math.max(0, written - hour);
    total.cacheRead += num(u.cache_read_input_tokens);
    this.#facts.usage.set(model, total);
  }
}

function remember(set: Set<string>, id: string): void {
  set.add(id);
  if (set.size > IDS_KEPT) set.delete(set.values().next().value!);
}
