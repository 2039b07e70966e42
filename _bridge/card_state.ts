// Private: what a session's status card says (card.ts renders it), decided from three sources:
// the session's activity file (written by its hooks: waiting, idle, error, ended), its
// transcript (turns, tool calls, tokens: _bridge/transcript.ts) and a stop marker (the bridge
// writes `$home/stop/<session>` when someone stops it from Discord). Also the small record of
// what the cards show (`bridge/cards.json`), so that a restarted bridge edits only cards whose
// state changed while it was down.
import type { CardState } from "../card.ts";
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";
import type { SessionActivity } from "../activity.ts";
import { readStop } from "../stop.ts";
import type { TranscriptFacts } from "./transcript.ts";

/** Who stopped a session from Discord, and when (ms). */
export interface StopNote {
  /** The user's display name. */
  by: string;
  /** When (ms). */
  at: number;
}

/** What {@linkcode cardState} decides from. */
export interface CardSources {
  /** The activity file. */
  activity?: SessionActivity;
  /** The transcript, as read so far. */
  transcript?: TranscriptFacts;
  /** The last stop from Discord. */
  stop?: StopNote;
  /** Whether the session counts as live (its Claude Code process runs). */
  live: boolean;
  /** When the session started (ISO 8601). */
  startedAt: string;
}

/**
 * The card's state. In order: ended (SessionEnd, or the process is gone); stopped by a user
 * (until the next turn starts); the hooks' last word when nothing happened in the transcript
 * since (waiting for approval, idle, an API error); working, while the transcript moves; else
 * idle since the start.
 *
 * @param s The sources.
 * @returns The state.
 */
export function cardState(s: CardSources): CardState {
  const a = s.activity;
  if (a?.state === "ended") return { kind: "ended", reason: a.reason ?? "Claude Code exited" };
  if (!s.live) return { kind: "ended", reason: "its Claude Code process is gone" };
  const t = s.transcript;
  const turnAt = t?.turnStartedAt ?? -Infinity;
  if (s.stop !== undefined && s.stop.at >= turnAt) return { kind: "stopped", by: s.stop.by };
  const movedAt = t?.lastActivityAt ?? -Infinity;
  if (a !== undefined && Date.parse(a.at) >= movedAt) {
    if (a.state === "waiting") return { kind: "waiting", tool: a.tool ?? "a tool" };
    if (a.state === "idle") return { kind: "idle", since: a.at };
    return { kind: "error", reason: a.reason ?? "Stopped by an API error" };
  }
  if (t?.lastActivityAt !== undefined) {
    return {
      kind: "working",
      ...(t.lastTool !== undefined ? { tool: t.lastTool } : {}),
      tools: t.tools,
      since: new Date(t.turnStartedAt ?? t.lastActivityAt).toISOString(),
    };
  }
  return { kind: "idle", since: s.startedAt };
}

/**
 * The session's pending stop (stop.ts `readStop`: the bridge writes `$home/stop/<session>` when
 * someone stops it from Discord), as the card needs it.
 *
 * @param home The state directory.
 * @param session The session id.
 * @param onDamaged Told when a damaged marker was moved aside.
 * @returns Who and when, or `undefined` when none is pending.
 */
export function readStopNote(
  home: string,
  session: string,
  onDamaged?: (message: string) => void,
): StopNote | undefined {
  const stop = readStop(home, session, onDamaged);
  const at = stop === undefined ? NaN : Date.parse(stop.at);
  return stop === undefined || !Number.isFinite(at) ? undefined : { by: stop.by, at };
}

/** What a card shows, as the bridge last sent it. */
export interface ShownCard {
  /** A hash of the body sent. */
  hash: string;
  /** Whether it shows the session ended (no more edits). */
  ended: boolean;
}

/** The record of what the cards show (`bridge/cards.json`). */
export class ShownCards {
  readonly #path: string;
  readonly #onWarning: (message: string) => void;
  readonly #cards: Map<string, ShownCard>;

  /**
   * @param dir The bridge's directory (`$home/bridge`).
   * @param onWarning Told when a damaged file was moved aside.
   */
  constructor(dir: string, onWarning: (message: string) => void) {
    this.#path = `${dir}/cards.json`;
    this.#onWarning = onWarning;
    const read = readJsonState(this.#path, (v) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
      const out = new Map<string, ShownCard>();
      for (const [id, c] of Object.entries(v as Record<string, ShownCard>)) {
        if (typeof c?.hash === "string" && typeof c.ended === "boolean") out.set(id, c);
      }
      return out;
    }, new Map<string, ShownCard>());
    if (read.damaged) onWarning(read.damaged);
    this.#cards = read.value;
  }

  /** What the card of `session` shows, if known. */
  get(session: string): ShownCard | undefined {
    return this.#cards.get(session);
  }

  /** Records what a card shows now, keeping only the sessions in `keep`. */
  set(session: string, card: ShownCard, keep: (session: string) => boolean): void {
    this.#cards.set(session, card);
    for (const id of this.#cards.keys()) if (!keep(id)) this.#cards.delete(id);
    try {
      ensurePrivateDir(this.#path.slice(0, this.#path.lastIndexOf("/")));
      writePrivateFileAtomic(this.#path, JSON.stringify(Object.fromEntries(this.#cards)) + "\n");
    } catch (err) {
      this.#onWarning(`cannot record the cards shown (${err}): a restart edits them again`);
    }
  }
}

/**
 * A short hash of a text (FNV-1a, 32 bits, hex): enough to tell a card body from the last one.
 *
 * @param text The text.
 * @returns 8 hex digits.
 */
export function hashOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
