// Private: the two Stop hooks.
//
// - `status` (synchronous, network): posts the session's STATUS "done" with Claude's final
//   text (`last_assistant_message`) into its thread.
// - `wake` (asyncRewake, no network): waits for the next Discord message addressed to the
//   session, up to `wakeTimeoutSeconds`, then writes it to stderr and exits 2, which wakes
//   the idle session. It exits 0 (no wake) on timeout, when wakeOnMessage is off, when a
//   newer wait of the same session takes over (one waiter per session: each Stop starts a
//   new one), when UserPromptSubmit or SessionEnd cancels it, or when the Claude Code
//   process is gone (the hook's parent pid changes: Deno lets only --allow-all look into
//   /proc, but `Deno.ppid` is live), or when the session is stopped from Discord (its stop
//   marker, stop.ts: the wait ends without waking, and the stop is over). Those checks run
//   again inside the claim, before the commit, so a message is never consumed for a session
//   that cannot read it.
//
// stop_hook_active: Claude Code 2.1.x sets it on the Stop that follows an asyncRewake
// wake-up (checked with the real CLI: the interactive run in tests/e2e/claude_cli_test.ts),
// so skipping the wait when it is set would deafen the
// session after one Discord exchange. Instead: neither hook ever answers `decision:
// block`, and the wake-up exits 2 only with events it claimed (each delivered once), so it
// cannot wake Claude twice with the same text or wake it with nothing; and a runaway guard
// allows at most MAX_WAKES wake-ups per session in WAKE_WINDOW_MS.
import { sleep } from "../_shared/sleep.ts";
import { Inbox } from "../inbox.ts";
import {
  ensurePrivateDir,
  readJsonState,
  readTextIfExists,
  writePrivateFileAtomic,
} from "../_shared/fs.ts";
import { appendAudit } from "../_shared/audit.ts";
import { type HookContext, hookPaths, remaining } from "./_context.ts";
import { takePending } from "./_deliver.ts";
import { wakeText } from "./_format.ts";
import { type HookInput, str } from "./_input.ts";
import { postStatus } from "./_post.ts";
import { clearStop, markStopApplied, readStop } from "../stop.ts";
import { noteActivity } from "./_activity.ts";

/** Most wake-ups per session within {@linkcode WAKE_WINDOW_MS}. */
export const MAX_WAKES = 20;
/** The window of the runaway guard. */
export const WAKE_WINDOW_MS = 10 * 60_000;
/** How soon the wake-up looks again while the last delivery awaits its evidence. */
const WAITING_RECHECK_MS = 250;

/**
 * The Stop status role.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The exit code (always 0).
 */
export async function statusRole(input: HookInput, ctx: HookContext): Promise<number> {
  noteActivity(ctx, input.session_id, { state: "idle" });
  const config = ctx.config();
  const text = str(input, "last_assistant_message")?.trim();
  const fields = config.wakeOnMessage
    ? [{ name: "Reply", value: "Write in this thread: the session wakes up and reads it." }]
    : [];
  await postStatus(input, ctx, {
    state: "done",
    title: "Finished its turn",
    text: text || "(no final text)",
    fields,
  });
  return 0;
}

function waitFile(ctx: HookContext, sid: string): string {
  return `${hookPaths(ctx.home).waitDir}/${sid}`;
}

/**
 * Cancels a session's pending wake-up wait (UserPromptSubmit fast path does the same by
 * emptying the file; SessionEnd calls this).
 *
 * @param home The state directory.
 * @param sid The session id.
 */
export function cancelWait(home: string, sid: string): void {
  try {
    Deno.writeTextFileSync(`${hookPaths(home).waitDir}/${sid}`, "");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err; // no wait directory: nothing waits
  }
}

/**
 * Whether the session was stopped from Discord; if so the stop is over once this wait ends
 * (audited the first time a hook acts on it, then the marker removed) and it is logged.
 */
function stoppedFromDiscord(ctx: HookContext, sid: string): boolean {
  const applied = markStopApplied(ctx.home, sid, ctx.now());
  if (applied === undefined) return false;
  const { stop, first } = applied;
  if (first) {
    appendAudit(ctx.home, {
      at: new Date(ctx.now()).toISOString(),
      session: sid,
      decision: "stop applied",
      ended: "the wait for messages",
      by: { id: stop.userId, name: stop.by },
      via: stop.via,
      requestedAt: stop.at,
    });
  }
  clearStop(ctx.home, sid);
  ctx.log.info(`Stop ${sid.slice(0, 8)}: stopped from Discord by ${stop.by}; not waiting`);
  return true;
}

function recentWakes(ctx: HookContext, sid: string): number[] {
  const read = readJsonState(`${waitFile(ctx, sid)}.wakes`, (value) => {
    return Array.isArray(value) ? value.filter((t) => typeof t === "number") : undefined;
  }, []);
  if (read.damaged) ctx.log.warn(read.damaged);
  return read.value;
}

/**
 * The Stop wake-up role.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns 2 when it woke Claude with a message on stderr, else 0.
 */
export async function wakeRole(input: HookInput, ctx: HookContext): Promise<number> {
  const sid = input.session_id;
  const config = ctx.config();
  if (!config.wakeOnMessage) return 0;
  if (ctx.env.CLAUDE_CODE_ENTRYPOINT === "sdk-cli") {
    // `claude -p`: it exits after the turn and cannot be woken, but it would wait for this
    // background hook (about 30 s, checked with 2.1.330) before exiting.
    ctx.log.info(`Stop ${sid.slice(0, 8)}: claude -p session, no wake-up wait`);
    return 0;
  }
  if (stoppedFromDiscord(ctx, sid)) return 0;
  const since = ctx.now() - WAKE_WINDOW_MS;
  const wakes = recentWakes(ctx, sid).filter((t) => t > since);
  if (wakes.length >= MAX_WAKES) {
    ctx.log.warn(`Stop ${sid.slice(0, 8)}: ${wakes.length} wake-ups in 10 min; not waiting`);
    return 0;
  }
  const dir = hookPaths(ctx.home).waitDir;
  ensurePrivateDir(dir);
  const token = crypto.randomUUID();
  const file = waitFile(ctx, sid);
  writePrivateFileAtomic(file, token);
  // The hook's parent is Claude Code (sh execs the deno command): when it dies, the hook
  // is re-parented and this changes.
  const parent = Deno.ppid;
  const stillMine = () =>
    readTextIfExists(file) === token && Deno.ppid === parent &&
    readStop(ctx.home, sid) === undefined;
  const until = Math.min(ctx.now() + config.wakeTimeoutSeconds * 1000, ctx.deadline - 1000);
  const inbox = new Inbox(ctx.home, { onWarning: (m) => ctx.log.warn(m) });
  ctx.log.info(
    `Stop ${sid.slice(0, 8)}: waiting up to ${Math.round((until - ctx.now()) / 1000)} s`,
  );
  try {
    for (;;) {
      if (!stillMine()) {
        if (!stoppedFromDiscord(ctx, sid)) {
          ctx.log.info(`Stop ${sid.slice(0, 8)}: wait cancelled or taken over`);
        }
        return 0;
      }
      const taken = await takePending(ctx, sid, (text) => {
        // Re-checked under the lock, after the text is staged: never shown to nobody.
        if (!stillMine()) throw new Error("the wait was cancelled");
        ctx.err(text);
      }, {
        render: wakeText,
        transcript: str(input, "transcript_path"),
        ready: stillMine,
      }).catch((err) => {
        if (err instanceof Error && err.message === "the wait was cancelled") return undefined;
        throw err;
      });
      if (taken === undefined) {
        stoppedFromDiscord(ctx, sid);
        return 0;
      }
      if (taken.shown.length > 0) {
        writePrivateFileAtomic(`${file}.wakes`, JSON.stringify([...wakes, ctx.now()]));
        ctx.log.info(`Stop ${sid.slice(0, 8)}: woke Claude with ${taken.shown.length} event(s)`);
        return 2;
      }
      if (taken.waiting) {
        // The last delivery awaits Claude Code's next record in the transcript (written within
        // about 100 ms of its answer): ask again shortly instead of waiting for new mail.
        if (until - ctx.now() <= 0 || remaining(ctx) <= 1000) return 0;
        await sleep(WAITING_RECHECK_MS, ctx.signal);
        continue;
      }
      const left = Math.min(until - ctx.now(), remaining(ctx) - 1000);
      if (left <= 0) {
        ctx.log.info(`Stop ${sid.slice(0, 8)}: no message before the wake timeout`);
        return 0;
      }
      const stop = new AbortController();
      const check = setInterval(() => {
        if (!stillMine()) stop.abort();
      }, 1000);
      const onDeadline = () => stop.abort();
      ctx.signal.addEventListener("abort", onDeadline, { once: true });
      try {
        await inbox.waitForMessages(sid, { signal: stop.signal, timeoutMs: left });
      } finally {
        clearInterval(check);
        ctx.signal.removeEventListener("abort", onDeadline);
      }
    }
  } finally {
    if (readTextIfExists(file) === token) cancelWait(ctx.home, sid);
  }
}
