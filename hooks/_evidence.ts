// Private: whether Claude Code took a delivery, as its session transcript tells (ARCHITECTURE.md,
// "Delivery guarantees and how they are kept").
//
// A hook's stdout reaches the session only if Claude Code accepts it: it discards the output of
// a hook it stopped at the hook's timeout, and a hook killed after its commit left nothing the
// next hook could see. What Claude Code did take, it writes to the session's transcript
// (`transcript_path`, one JSON record per line, appended in order): the delivered text, JSON
// string-escaped, in a record of its own (`hook_additional_context` for PostToolUse,
// UserPromptSubmit and SessionStart, the user record of the wake-up's notification). The
// frames carry the message ids (`<discord-message id="…"`), so a delivery is found by its ids.
//
// The delivering hook notes the transcript's size and the time just before it prints
// ({@linkcode Shown}); a later hook of the session reads from there:
//
// - every id found: Claude Code took the text (`taken`);
// - an `assistant` record of the main conversation, stamped after the delivery, without them:
//   Claude Code has answered since, and records are appended in order, so a text it had taken
//   would be written before that answer: it did not take it (`lost`, shown again);
// - neither yet (a hook of a parallel tool call, or Claude Code has not flushed its records):
//   `waiting`, asked again by the next hook.
//
// When the transcript cannot tell (no path, not there, not readable, or no answer within
// MAX_WAIT_MS), the delivery counts as taken (`blind`, with the reason): never a loop, never a
// stall, and the guarantee falls back to "handed over once".
import { describeError } from "../log.ts";
import { parseJson } from "../_shared/json.ts";
import { frameOpening } from "./_format.ts";

/** What a delivering hook notes before it prints (kept in the overflow file). */
export interface Shown {
  /** Ids of the events shown, in order. */
  ids: string[];
  /** The session's transcript (Claude Code's `transcript_path`). */
  transcript: string;
  /** Its size just before the text was printed (0 when it did not exist yet). */
  offset: number;
  /** When the text was printed: ISO 8601, this machine's clock. */
  at: string;
}

/** What the transcript says about a {@linkcode Shown} delivery. */
export interface Verdict {
  /** Ids Claude Code took (all of them when `blind`). */
  taken: Set<string>;
  /** Ids Claude Code answered without: to be shown again. */
  lost: string[];
  /** Nothing decided yet: ask again later (then `taken` and `lost` are empty). */
  waiting: boolean;
  /** Why the transcript could not tell, when it could not (everything counts as taken). */
  blind?: string;
}

/** How long a delivery may wait for Claude Code's next answer before it counts as taken. */
export const MAX_WAIT_MS = 10 * 60_000;

/** Bytes read from the transcript at a time. */
const CHUNK = 256 * 1024;

/** Marks a line worth parsing as a possible answer of the model. */
const ASSISTANT = '"type":"assistant"';

/** Marks a line that may hold a frame (the opening tag, as a JSON string holds it). */
const FRAME = 'discord-message id=\\"';

/**
 * The text an id's frame leaves in a transcript line: the frame's opening tag
 * (hooks/_format.ts `frameOpening`) as it appears inside a JSON string.
 */
export function evidenceOf(id: string): string {
  return JSON.stringify(frameOpening(id)).slice(1, -1);
}

/**
 * Notes a delivery about to be printed: the transcript's size now and the time.
 *
 * @param transcript The session's transcript path.
 * @param ids The ids of the events shown.
 * @param now The time, ms.
 * @returns The note, or a reason why the transcript cannot tell (then nothing is to be noted).
 */
export function noteShown(transcript: string, ids: string[], now: number): Shown | string {
  let offset = 0;
  try {
    offset = Deno.statSync(transcript).size;
  } catch (err) {
    // Not written yet (a session's first hooks run before its first record): all of it is new.
    if (!(err instanceof Deno.errors.NotFound)) {
      return `cannot read ${transcript}: ${describeError(err)}`;
    }
  }
  return { ids, transcript, offset, at: new Date(now).toISOString() };
}

/**
 * Reads what the transcript says about a delivery.
 *
 * @param shown The delivery's note.
 * @param now The time, ms.
 * @returns The verdict.
 */
export function verdictOn(shown: Shown, now: number): Verdict {
  const blind = (why: string): Verdict => ({
    taken: new Set(shown.ids),
    lost: [],
    waiting: false,
    blind: why,
  });
  const needles = new Map<string, string>();
  for (const id of shown.ids) needles.set(evidenceOf(id), id);
  let scan: { found: Set<string>; answered: boolean };
  try {
    scan = scanTranscript(shown.transcript, shown.offset, needles, shown.at);
  } catch (err) {
    // Whatever keeps the transcript from being read, it cannot tell (see above): never a loop.
    if (err instanceof Deno.errors.NotFound) return blind(`no transcript at ${shown.transcript}`);
    return blind(`cannot read ${shown.transcript}: ${describeError(err)}`);
  }
  if (scan.found.size === shown.ids.length) {
    return { taken: scan.found, lost: [], waiting: false };
  }
  if (scan.answered) {
    return {
      taken: scan.found,
      lost: shown.ids.filter((id) => !scan.found.has(id)),
      waiting: false,
    };
  }
  const age = now - Date.parse(shown.at);
  if (!(age <= MAX_WAIT_MS)) {
    return blind(`no answer of Claude Code in ${shown.transcript} for ${Math.round(age / 1000)} s`);
  }
  return { taken: new Set(), lost: [], waiting: true };
}

/**
 * Reads the transcript from `offset` (from its start when it is shorter: rewritten) until every
 * needle is found or an answer of the model stamped after `at` is, whichever comes first.
 */
function scanTranscript(
  path: string,
  offset: number,
  needles: ReadonlyMap<string, string>,
  at: string,
): { found: Set<string>; answered: boolean } {
  const found = new Set<string>();
  using file = Deno.openSync(path, { read: true });
  const size = file.statSync().size;
  file.seekSync(size >= offset ? offset : 0, Deno.SeekMode.Start);
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(CHUNK);
  let rest = new Uint8Array(0);
  for (;;) {
    const n = file.readSync(buffer);
    if (n === null || n === 0) break;
    const bytes = concat(rest, buffer.subarray(0, n));
    const end = bytes.lastIndexOf(10) + 1;
    // A line without its "\n" is still being written: it is read whole next time.
    rest = bytes.slice(end);
    if (end === 0) continue;
    for (const line of decoder.decode(bytes.subarray(0, end)).split("\n")) {
      if (line.includes(FRAME)) {
        for (const [needle, id] of needles) if (line.includes(needle)) found.add(id);
        if (found.size === needles.size) return { found, answered: false };
      }
      if (line.includes(ASSISTANT) && answersAfter(line, at)) return { found, answered: true };
    }
  }
  return { found, answered: false };
}

/** Whether a transcript line is an answer of the main conversation's model stamped after `at`. */
function answersAfter(line: string, at: string): boolean {
  // A line that is not JSON is not a record.
  const record = parseJson(line) as
    | { type?: unknown; isSidechain?: unknown; timestamp?: unknown }
    | null
    | undefined;
  return record?.type === "assistant" && record.isSidechain !== true &&
    typeof record.timestamp === "string" && record.timestamp > at;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
