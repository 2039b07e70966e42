// Private: the delivery hooks (PostToolUse, PostToolUseFailure, UserPromptSubmit, and the
// pending messages at SessionStart) and the shared "take what is pending" step the Stop
// wake-up uses too.
//
// Pending events come from two places, oldest first:
// 1. `$home/hooks/overflow/<sid>.jsonl` (hooks/_overflow.ts): events already claimed from the
//    mailbox that the session has not been shown to have taken: the last delivery, while its
//    evidence is awaited, and what did not fit in it (Claude Code moves additionalContext over
//    10,000 characters to a file, so a batch is cut at whole messages, about 9,000 characters);
// 2. the session mailbox (inbox.ts), claimed two-phase into the overflow file.
// Under the overflow lock, a hook first settles the last delivery with the transcript
// (hooks/_evidence.ts: taken, shown again, or still awaited, and then nothing new is shown, so
// the order holds), then claims the mailbox: inside the claim it writes every pending event to
// the overflow file, noting the transcript's size and the time, and only after the claim has
// committed it prints. A hook killed anywhere leaves the events in the overflow file or the
// mailbox, and the next hook shows them again unless the transcript holds them (ARCHITECTURE.md,
// "Delivery guarantees and how they are kept").
import { Inbox, type InboxEvent, noteLastDelivered } from "../inbox.ts";
import {
  ensurePrivateDir,
  readDirIfExists,
  readJsonState,
  readTextIfExists,
  statIfExists,
} from "../_shared/fs.ts";
import type { Logger } from "../log.ts";
import { withFileLock } from "../_shared/lock.ts";
import { type HookContext, hookPaths } from "./_context.ts";
import { noteShown, type Shown, verdictOn } from "./_evidence.ts";
import { DEFAULT_BUDGET, deliveryText, type FrameContext, splitBatch } from "./_format.ts";
import { type HookInput, str } from "./_input.ts";
import { readOverflow, writeOverflow } from "./_overflow.ts";
import { parseJson } from "../_shared/json.ts";

/** The text a delivery produces, and how many events it carried and left. */
export interface Taken {
  /** Events shown now. */
  shown: InboxEvent[];
  /** Events left for the next delivery. */
  left: number;
  /** The last delivery awaits its evidence: nothing new was taken (ask again shortly). */
  waiting?: boolean;
}

function overflowPath(home: string, sid: string): string {
  return `${hookPaths(home).overflowDir}/${sid}.jsonl`;
}

/** Whether `$home/hooks/perm` exists (a listing of `$home/hooks`: no error when it does not). */
function hasPermDir(home: string): boolean {
  // No hooks directory: no prompts either.
  return readDirIfExists(hookPaths(home).dir).some((e) => e.name === "perm" && e.isDirectory);
}

/** Notes for events that answered a permission prompt (written by the permission hook). */
export function readPermNotes(home: string): Map<string, string> {
  const notes = new Map<string, string>();
  const text = readTextIfExists(hookPaths(home).permAnswers);
  if (!text) return notes;
  for (const line of text.split("\n")) {
    const a = parseJson(line) as { id?: unknown; note?: unknown } | null | undefined; // torn: none
    if (typeof a?.id === "string" && typeof a.note === "string") notes.set(a.id, a.note);
  }
  return notes;
}

/**
 * What the session record tells the frames. The record (sessions.ts, the file `fast.sh`
 * tests too) is read directly: this is the hot path, and the registry module with its
 * liveness checks is more code to load than the two fields it would give. `perm: false`
 * (no `hooks/perm` directory) skips the permission notes. A damaged record is moved aside and
 * told to `log`.
 */
export function frameContext(
  home: string,
  sid: string,
  perm = true,
  log?: Pick<Logger, "warn">,
): FrameContext {
  type Fields = { id?: unknown; name?: unknown; threadId?: unknown };
  const read = readJsonState<Fields | undefined>(
    `${home.replace(/\/+$/, "")}/sessions/${sid}.json`,
    (value) => value !== null && typeof value === "object" ? value : undefined,
    undefined,
  );
  if (read.damaged) log?.warn(read.damaged);
  const record = read.value;
  const ok = record?.id === sid;
  return {
    ...(ok && typeof record?.name === "string" && record.name ? { sessionName: record.name } : {}),
    ...(ok && typeof record?.threadId === "string" && record.threadId
      ? { threadId: record.threadId }
      : {}),
    notes: perm ? readPermNotes(home) : new Map(),
  };
}

/**
 * Whether the session may have a permission prompt open: only then are its text answers
 * kept (and the permission modules loaded).
 */
function mayHavePrompt(home: string, sid: string): boolean {
  return statIfExists(`${hookPaths(home).permDir}/${sid}`)?.isDirectory ?? false;
}

/** Options of {@linkcode takePending}. */
export interface TakeOptions {
  /** Builds the text from frames (delivery or wake-up wording). Default {@linkcode deliveryText}. */
  render?: typeof deliveryText;
  /** The session's transcript (hook input `transcript_path`). Default: the session record's. */
  transcript?: string;
  /** Checked under the lock before anything is taken; `false` takes nothing. */
  ready?: () => boolean;
}

/**
 * Settles the last delivery, then takes what is pending for `sid` (overflow first, then the
 * mailbox), hands the text of what fits to `emit` and keeps everything not yet known to be
 * taken in the overflow file.
 *
 * @param ctx The hook context.
 * @param sid The session id (mailbox name).
 * @param emit Writes the text; throwing means "not delivered" (nothing is consumed).
 * @param options Wording, transcript, readiness.
 * @returns What was shown and what was left.
 */
export async function takePending(
  ctx: HookContext,
  sid: string,
  emit: (text: string) => void,
  options: TakeOptions = {},
): Promise<Taken> {
  const render = options.render ?? deliveryText;
  const paths = hookPaths(ctx.home);
  const path = overflowPath(ctx.home, sid);
  const inbox = new Inbox(ctx.home, { onWarning: (m) => ctx.log.warn(m) });
  ensurePrivateDir(paths.dir);
  ensurePrivateDir(paths.overflowDir);
  return await withFileLock(`${paths.overflowDir}/${sid}.lock`, async () => {
    if (options.ready && !options.ready()) return { shown: [], left: 0 };
    const overflow = readOverflow(path);
    let carry = overflow.events;
    if (overflow.shown !== undefined) {
      const settled = settle(ctx, sid, overflow.shown);
      if (settled === undefined) return { shown: [], left: carry.length, waiting: true };
      carry = carry.filter((e) => !settled.has(e.id));
    }
    // Permission prompts leave files under hooks/perm: without it there is nothing to read.
    const perm = hasPermDir(ctx.home);
    let staged: { text: string; shown?: Shown; kept: InboxEvent[]; now: InboxEvent[] } | undefined;
    let result: Taken = { shown: [], left: 0 };
    const stage = (events: InboxEvent[]) => {
      const seen = new Set<string>();
      const unique = events.filter((e) => !seen.has(e.id) && (seen.add(e.id), true));
      const fc = frameContext(ctx.home, sid, perm, ctx.log);
      const { frames, now, later } = splitBatch(unique, DEFAULT_BUDGET, fc);
      const shown = watchFor(ctx, sid, options.transcript, now);
      // Before the text is out: everything stays until the transcript tells it was taken.
      const kept = shown ? unique : later;
      writeOverflow(path, kept, shown);
      staged = { text: render(frames, now, later.length, fc), shown, kept, now };
      result = { shown: now, left: later.length };
    };
    let claimed = false;
    await inbox.claim(sid, (events) => {
      claimed = true;
      stage([...carry, ...events]);
    });
    if (!claimed) {
      if (carry.length > 0) stage(carry);
      else if (overflow.size > 0) writeOverflow(path, []);
    }
    if (staged === undefined) return result;
    const { text, shown, kept, now } = staged as NonNullable<typeof staged>;
    try {
      emit(text);
    } catch (err) {
      // Not printed: no evidence to wait for; the events stay for the next delivery.
      if (shown) writeOverflow(path, kept);
      throw err;
    }
    // Where the session was last spoken to: its `reply` answers there by default.
    try {
      noteLastDelivered(ctx.home, sid, now, ctx.now());
    } catch (err) {
      ctx.log.warn(`${sid.slice(0, 8)}: cannot note the last message delivered: ${err}`);
    }
    // A text answer to an open permission prompt must stay visible to that prompt's hook.
    if (perm && mayHavePrompt(ctx.home, sid)) {
      (await import("./_perm_store.ts")).keepCandidates(ctx.home, sid, now, ctx.now());
    }
    return result;
  });
}

/**
 * What the transcript says about the last delivery: the ids to drop from the overflow (taken),
 * or `undefined` while it cannot tell yet. Logs what it decided unless it was plain.
 */
function settle(ctx: HookContext, sid: string, shown: Shown): Set<string> | undefined {
  const verdict = verdictOn(shown, ctx.now());
  if (verdict.waiting) return undefined;
  const who = sid.slice(0, 8);
  if (verdict.blind !== undefined) {
    ctx.log.warn(`${who}: ${verdict.blind}; ${shown.ids.length} event(s) counted as delivered`);
  } else if (verdict.lost.length > 0) {
    ctx.log.warn(
      `${who}: Claude Code did not take ${verdict.lost.length} of ${shown.ids.length} ` +
        `delivered event(s) (not in its transcript); showing them again`,
    );
  }
  return verdict.taken;
}

/**
 * The note of a delivery about to be shown, or `undefined` when the session's transcript is
 * unknown or unreadable (then the delivery counts once handed over: logged).
 */
function watchFor(
  ctx: HookContext,
  sid: string,
  given: string | undefined,
  events: InboxEvent[],
): Shown | undefined {
  const transcript = given !== undefined && given.startsWith("/")
    ? given
    : recordedTranscript(ctx.home, sid);
  if (transcript === undefined) return undefined;
  const note = noteShown(transcript, events.map((e) => e.id), ctx.now());
  if (typeof note === "string") {
    ctx.log.warn(`${sid.slice(0, 8)}: ${note}; delivery counted once handed over`);
    return undefined;
  }
  return note;
}

/** The transcript path the session record holds (written by the register hook), if any. */
function recordedTranscript(home: string, sid: string): string | undefined {
  const text = readTextIfExists(`${home.replace(/\/+$/, "")}/sessions/${sid}.json`);
  // A damaged record has none (frameContext, which reads it first, moves it aside and says so).
  const record = text === undefined
    ? undefined
    : parseJson(text) as { id?: unknown; transcriptPath?: unknown } | null | undefined;
  const path = record?.id === sid ? record.transcriptPath : undefined;
  return typeof path === "string" && path.startsWith("/") ? path : undefined;
}

/**
 * The delivery role: prints pending Discord messages as `additionalContext`.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The exit code (always 0).
 */
export async function deliverRole(input: HookInput, ctx: HookContext): Promise<number> {
  const event = input.hook_event_name;
  const name = event === "UserPromptSubmit" || event === "PostToolUseFailure" ||
      event === "SessionStart"
    ? event
    : "PostToolUse";
  const taken = await takePending(ctx, input.session_id, (text) => {
    ctx.out(
      JSON.stringify({ hookSpecificOutput: { hookEventName: name, additionalContext: text } }),
    );
  }, { transcript: str(input, "transcript_path") });
  if (taken.shown.length > 0) {
    ctx.log.info(
      `${event} ${input.session_id.slice(0, 8)}: delivered ${taken.shown.length} event(s)` +
        (taken.left ? `, ${taken.left} left for the next call` : ""),
    );
  }
  return 0;
}
