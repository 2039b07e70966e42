// Private: the delivery hooks (PostToolUse, PostToolUseFailure, UserPromptSubmit, and the
// pending messages at SessionStart) and the shared "take what is pending" step the Stop
// wake-up uses too.
//
// Pending events come from two places, oldest first:
// 1. `$home/hooks/overflow/<sid>.jsonl`: events already claimed from the mailbox that did
//    not fit in the previous delivery (Claude Code moves additionalContext over 10,000
//    characters to a file, so a batch is cut at whole messages, about 9,000 characters);
// 2. the session mailbox (inbox.ts), claimed two-phase.
// Both are handled under the overflow lock, and the text is written to stdout (or stderr)
// inside the claim's deliver callback, before the commit: a hook killed before the commit
// delivers nothing (Claude Code discards a killed hook's output) and the events stay.
import { Inbox, type InboxEvent } from "../inbox.ts";
import {
  ensurePrivateDir,
  readDirIfExists,
  readFull,
  readJsonState,
  readTextIfExists,
  statIfExists,
  writePrivateFileAtomic,
} from "../_shared/fs.ts";
import type { Logger } from "../log.ts";
import { withFileLock } from "../_shared/lock.ts";
import { type HookContext, hookPaths } from "./_context.ts";
import { DEFAULT_BUDGET, deliveryText, type FrameContext, splitBatch } from "./_format.ts";
import type { HookInput } from "./_input.ts";
import { parseJson } from "../_shared/json.ts";

/** The text a delivery produces, and how many events it carried and left. */
export interface Taken {
  /** Events shown now. */
  shown: InboxEvent[];
  /** Events left for the next delivery. */
  left: number;
}

function overflowPath(home: string, sid: string): string {
  return `${hookPaths(home).overflowDir}/${sid}.jsonl`;
}

/**
 * The overflow file's events and size. Opened with `create`: an absent file becomes an empty
 * one (and stays, 0 bytes, like the session's lock file beside it), so this hot path throws
 * no error (a Deno process pays about a millisecond for its first one).
 */
function readOverflow(path: string): { events: InboxEvent[]; size: number } {
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
  for (const line of new TextDecoder().decode(bytes).split("\n")) {
    if (line.trim() === "") continue;
    // A damaged line cannot be shown; it is dropped with the rewrite.
    const e = parseJson(line) as InboxEvent | null | undefined;
    if (e && typeof e.id === "string" && e.author && typeof e.author.name === "string") {
      events.push(e);
    }
  }
  return { events, size: bytes.length };
}

/** Keeps `events` for the next delivery (an empty list empties the file). */
function writeOverflow(path: string, events: readonly InboxEvent[]): void {
  if (events.length === 0) {
    Deno.truncateSync(path, 0);
    return;
  }
  writePrivateFileAtomic(path, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
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

/**
 * Takes what is pending for `sid` (overflow first, then the mailbox), hands the text of
 * what fits to `emit` and keeps the rest in the overflow file.
 *
 * @param ctx The hook context.
 * @param sid The session id (mailbox name).
 * @param emit Writes the text; throwing means "not delivered" (nothing is consumed).
 * @param render Builds the text from frames (delivery or wake-up wording).
 * @returns What was shown and what was left.
 */
export async function takePending(
  ctx: HookContext,
  sid: string,
  emit: (text: string) => void,
  render: typeof deliveryText = deliveryText,
): Promise<Taken> {
  const paths = hookPaths(ctx.home);
  const path = overflowPath(ctx.home, sid);
  const inbox = new Inbox(ctx.home, { onWarning: (m) => ctx.log.warn(m) });
  ensurePrivateDir(paths.dir);
  ensurePrivateDir(paths.overflowDir);
  return await withFileLock(`${paths.overflowDir}/${sid}.lock`, async () => {
    const overflow = readOverflow(path);
    const carry = overflow.events;
    // Permission prompts leave files under hooks/perm: without it there is nothing to read.
    const perm = hasPermDir(ctx.home);
    let result: Taken = { shown: [], left: 0 };
    const show = async (events: InboxEvent[]) => {
      const seen = new Set<string>();
      const unique = events.filter((e) => !seen.has(e.id) && (seen.add(e.id), true));
      const fc = frameContext(ctx.home, sid, perm, ctx.log);
      const { frames, now, later } = splitBatch(unique, DEFAULT_BUDGET, fc);
      emit(render(frames, now, later.length, fc));
      // A text answer to an open permission prompt must stay visible to that prompt's hook.
      if (perm && mayHavePrompt(ctx.home, sid)) {
        (await import("./_perm_store.ts")).keepCandidates(ctx.home, sid, now, ctx.now());
      }
      // After the text is out: keep the rest for the next delivery.
      if (overflow.size > 0 || later.length > 0) writeOverflow(path, later);
      result = { shown: now, left: later.length };
    };
    let claimed = false;
    await inbox.claim(sid, async (events) => {
      claimed = true;
      await show([...carry, ...events]);
    });
    if (!claimed && carry.length > 0) await show(carry);
    return result;
  });
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
  });
  if (taken.shown.length > 0) {
    ctx.log.info(
      `${event} ${input.session_id.slice(0, 8)}: delivered ${taken.shown.length} event(s)` +
        (taken.left ? `, ${taken.left} left for the next call` : ""),
    );
  }
  return 0;
}
