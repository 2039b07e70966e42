// Private: error and attention notices into the session's thread (StopFailure,
// PostToolUseFailure, Notification) and the end of a session (SessionEnd).
//
// A permission_prompt notification while a Discord prompt is open (or being posted) for the
// session says nothing new: the prompt already asks, and says what the terminal does. Such a
// notice is posted only when Discord is not asking (no token, nobody allowlisted, the post
// refused), to say the terminal waits.
//
// Notices repeat-protect themselves: the same kind of notice with the same text is not
// posted twice within REPEAT_MS, and PostToolUseFailure notices (a failing command is
// ordinary work) at most once per FAILURE_MS per session.
import { ensurePrivateDir, readTextIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
import type { StatusInput } from "../notify.ts";
import { type HookContext, hookPaths } from "./_context.ts";
import { sessionRegistry } from "./_registry.ts";
import { type HookInput, str } from "./_input.ts";
import { openPrompts } from "./_perm_store.ts";
import { postStatus } from "./_post.ts";
import { cancelWait } from "./_stop.ts";

/** The same notice is not repeated within this time. */
export const REPEAT_MS = 10 * 60_000;
/** At most one tool-failure notice per session within this time. */
export const FAILURE_MS = 5 * 60_000;

type Notice = Omit<StatusInput, "session" | "cwd" | "startedAt"> & { key: string };

function clip(text: string | undefined, max = 1500): string | undefined {
  if (text === undefined) return undefined;
  return text.length > max
    ? `${text.slice(0, max)} [… ${text.length - max} more characters]`
    : text;
}

/**
 * What to post for an event, or `undefined` for nothing.
 *
 * @param input The hook input.
 * @returns The notice, with a key for the repeat guard.
 */
export function noticeFor(input: HookInput): Notice | undefined {
  switch (input.hook_event_name) {
    case "StopFailure": {
      const error = str(input, "error") ?? "unknown";
      const details = str(input, "error_details") ?? str(input, "last_assistant_message");
      const label = error === "rate_limit"
        ? "Stopped: rate limited by the API"
        : `Stopped by an API error (${error})`;
      return {
        key: `StopFailure:${error}`,
        state: "error",
        title: label,
        ...(details ? { text: clip(details) } : {}),
        mention: true,
      };
    }
    case "PostToolUseFailure": {
      const tool = str(input, "tool_name") ?? "a tool";
      const interrupted = input.is_interrupt === true;
      return {
        key: "PostToolUseFailure",
        state: interrupted ? "info" : "error",
        title: interrupted ? `${tool} was interrupted` : `${tool} failed`,
        ...(str(input, "error") ? { text: clip(str(input, "error"), 800) } : {}),
      };
    }
    case "Notification": {
      const type = str(input, "notification_type") ?? "other";
      const message = str(input, "message") ?? "";
      if (type === "permission_prompt") {
        return {
          key: `Notification:${type}:${message}`,
          state: "waiting",
          title: "Waiting for a permission answer in the terminal",
          text: clip(message),
          mention: true,
        };
      }
      if (type === "idle_prompt") {
        return {
          key: `Notification:${type}`,
          state: "waiting",
          title: "Waiting for input",
          text: clip(message),
        };
      }
      if (type === "elicitation_dialog") {
        return {
          key: `Notification:${type}:${message}`,
          state: "waiting",
          title: "Waiting for an answer in the terminal",
          text: clip(message),
          mention: true,
        };
      }
      return { key: `Notification:${type}:${message}`, state: "info", text: clip(message) };
    }
    case "SessionEnd": {
      const reason = str(input, "reason") ?? "other";
      return { key: `SessionEnd:${reason}`, state: "info", title: `Session ended (${reason})` };
    }
    default:
      return undefined;
  }
}

function waiting(home: string, sid: string): boolean {
  try {
    return Deno.statSync(`${hookPaths(home).waitDir}/${sid}`).size > 0;
  } catch {
    return false;
  }
}

/** How long a permission notice waits for a prompt that is being posted to be posted. */
export const POSTING_WAIT_MS = 15_000;

/**
 * Whether a Discord prompt asks for the session's pending permission: one is open, or is being
 * posted (then this waits, up to {@linkcode POSTING_WAIT_MS}, to learn whether the post worked).
 */
async function discordAsks(ctx: HookContext, sid: string): Promise<boolean> {
  const open = openPrompts(ctx.home, sid);
  const until = Math.min(ctx.now() + POSTING_WAIT_MS, ctx.deadline);
  for (;;) {
    const prompts = open.list(ctx.now());
    if (prompts.some((p) => p.messageId !== "")) return true;
    if (prompts.length === 0 || ctx.now() >= until || ctx.signal.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Tells whether the repeat guard lets a notice through, and records it if so. */
function admit(ctx: HookContext, sid: string, notice: Notice): boolean {
  const dir = hookPaths(ctx.home).noticeDir;
  ensurePrivateDir(dir);
  const path = `${dir}/${sid}.json`;
  let seen: Record<string, number> = {};
  try {
    const parsed = JSON.parse(readTextIfExists(path) ?? "{}");
    if (parsed && typeof parsed === "object") seen = parsed;
  } catch {
    seen = {};
  }
  const now = ctx.now();
  const window = notice.key === "PostToolUseFailure" ? FAILURE_MS : REPEAT_MS;
  const last = seen[notice.key];
  if (typeof last === "number" && now - last < window) return false;
  for (const [k, t] of Object.entries(seen)) if (now - t > REPEAT_MS) delete seen[k];
  seen[notice.key] = now;
  writePrivateFileAtomic(path, JSON.stringify(seen));
  return true;
}

/**
 * The notice role.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The exit code (always 0).
 */
export async function noticeRole(input: HookInput, ctx: HookContext): Promise<number> {
  const notice = noticeFor(input);
  if (notice === undefined) return 0;
  if (notice.key === "Notification:idle_prompt" && waiting(ctx.home, input.session_id)) {
    // The Stop STATUS already says a reply in the thread wakes the session.
    ctx.log.info(`Notification: idle, but the wake-up wait listens; no notice`);
    return 0;
  }
  if (
    notice.key.startsWith("Notification:permission_prompt:") &&
    await discordAsks(ctx, input.session_id)
  ) {
    ctx.log.info(`Notification: the Discord prompt for this request is open; no second notice`);
    return 0;
  }
  if (!admit(ctx, input.session_id, notice)) {
    ctx.log.info(`${input.hook_event_name}: repeated notice "${notice.key}" skipped`);
    return 0;
  }
  const { key: _key, ...status } = notice;
  await postStatus(input, ctx, status);
  return 0;
}

/**
 * The SessionEnd role: stops the wake-up wait, unregisters the session, posts a notice.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The exit code (always 0).
 */
export async function endRole(input: HookInput, ctx: HookContext): Promise<number> {
  const sid = input.session_id;
  cancelWait(ctx.home, sid);
  const registry = sessionRegistry(ctx.home);
  const record = registry.get(sid);
  // First, while Claude Code still waits for this hook: the session is gone.
  await registry.unregister(sid);
  ctx.log.info(`SessionEnd ${sid.slice(0, 8)}: unregistered`);
  const notice = noticeFor(input);
  if (record !== undefined && notice !== undefined && admit(ctx, sid, notice)) {
    const { key: _key, ...status } = notice;
    await postStatus(input, ctx, status, record);
  }
  return 0;
}
