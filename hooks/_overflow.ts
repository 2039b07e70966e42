// Private: a session's overflow file, `$home/hooks/overflow/<sid>.jsonl`: the events claimed
// from its mailbox (inbox.ts) that the session has not been shown to have taken yet. One event
// per line, oldest first; while a delivery awaits its evidence (hooks/_evidence.ts), a first
// line `{"shown":{…}}` notes it, and its events are the first ones of the file.
//
// fast.sh starts Deno for a delivery hook while this file (or the mailbox) is non-empty, so a
// delivery is confirmed (or shown again) by the session's next hook even when no new message
// came. Written atomically (temporary file + rename) under the session's overflow lock.
import type { InboxEvent } from "../inbox.ts";
import { readFull, writePrivateFileAtomic } from "../_shared/fs.ts";
import { parseJson } from "../_shared/json.ts";
import type { Shown } from "./_evidence.ts";

/** What an overflow file holds. */
export interface Overflow {
  /** The delivery awaiting evidence, if any. */
  shown?: Shown;
  /** The events, oldest first (the shown ones first). */
  events: InboxEvent[];
  /** The file's size in bytes (0: empty or absent). */
  size: number;
}

/**
 * Reads an overflow file. Opened with `create`: an absent file becomes an empty one (and stays,
 * 0 bytes, like the session's lock file beside it), so this hot path throws no error (a Deno
 * process pays about a millisecond for its first one). Damaged lines are dropped (a line that
 * cannot be shown is lost with the next rewrite; the file is only ever replaced whole).
 */
export function readOverflow(path: string): Overflow {
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(file.statSync().size);
    bytes = bytes.subarray(0, readFull(file, bytes));
  } finally {
    file.close();
  }
  const events: InboxEvent[] = [];
  if (bytes.length === 0) return { events, size: 0 };
  let shown: Shown | undefined;
  for (const line of new TextDecoder().decode(bytes).split("\n")) {
    if (line.trim() === "") continue;
    // A damaged line cannot be shown.
    const value = parseJson(line) as Record<string, unknown> | null | undefined;
    if (value === null || typeof value !== "object") continue;
    if ("shown" in value) {
      shown = parseShown(value.shown);
      continue;
    }
    const e = value as Partial<InboxEvent>;
    if (typeof e.id === "string" && typeof e.author?.name === "string") {
      events.push(e as InboxEvent);
    }
  }
  return { ...(shown ? { shown } : {}), events, size: bytes.length };
}

/**
 * Replaces an overflow file's content: `shown` (when given) and `events`. Nothing to keep
 * empties it (truncated, not removed: fast.sh tests `-s`).
 */
export function writeOverflow(path: string, events: readonly InboxEvent[], shown?: Shown): void {
  if (events.length === 0) {
    Deno.truncateSync(path, 0);
    return;
  }
  const lines = events.map((e) => JSON.stringify(e));
  if (shown !== undefined) lines.unshift(JSON.stringify({ shown }));
  writePrivateFileAtomic(path, lines.join("\n") + "\n");
}

function parseShown(value: unknown): Shown | undefined {
  const s = value as Partial<Shown> | null;
  if (
    s === null || typeof s !== "object" || !Array.isArray(s.ids) ||
    !s.ids.every((id) => typeof id === "string") || typeof s.transcript !== "string" ||
    typeof s.offset !== "number" || !(s.offset >= 0) || typeof s.at !== "string"
  ) return undefined;
  return { ids: s.ids, transcript: s.transcript, offset: s.offset, at: s.at };
}
