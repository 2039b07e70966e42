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
import {
  ensurePrivateDir,
  readJsonState,
  statIfExists,
  writePrivateFileAtomic,
} from "../_shared/fs.ts";
import type { StatusInput } from "../notify.ts";
import { type HookContext, hookPaths } from "./_context.ts";
import { sessionRegistry } from "./_registry.ts";
import { type HookInput, str } from "./_input.ts";
import { openPrompts } from "./_perm_store.ts";
import { postStatus } from "./_post.ts";
import { cancelWait } from "./_stop.ts";
import { clearStop } from "../stop.ts";
import { noteActivity } from "./_activity.ts";

/** The same notice is not repeated within this time. */
export const REPEAT_MS = 10 * 60_000;
/** At most one tool-failure notice per session within this time. */
export const FAILURE_MS = 5 * 60_000;

type Notice = Omit<StatusInput, "session" | "cwd" | "startedAt"> & { key: string };

/**
 * Claude Code's reason codes in words, for notice titles: SessionEnd `reason` and StopFailure
 * `error` (the values Claude Code 2.1.330 sends, and `bypass_permissions_disabled` from its
 * hooks documentation). A code not listed is shown as it came.
 */
export const REASON_WORDS: {
  readonly SessionEnd: Readonly<Record<string, string>>;
  readonly StopFailure: Readonly<Record<string, string>>;
} = {
  SessionEnd: {
    clear: "Session ended: the conversation was cleared (/clear)",
    resume: "Session ended: another conversation was resumed (/resume)",
    logout: "Session ended: logged out of Claude Code (/logout)",
    prompt_input_exit: "Session ended: exited at the prompt (/exit, Ctrl+D or Ctrl+C)",
    bypass_permissions_disabled: "Session ended: bypass-permissions mode was switched off",
    other: "Session ended: Claude Code exited",
  },
  StopFailure: {
    authentication_failed: "Stopped: Claude Code could not sign in to the API (run /login)",
    oauth_org_not_allowed: "Stopped: this organization may not use this sign-in (run /login)",
    account_on_hold: "Stopped: the Anthropic account is on hold",
    verification_required: "Stopped: the Anthropic account needs verification",
    billing_error: "Stopped: a billing problem (credits or plan)",
    rate_limit: "Stopped: rate limited by the API",
    overloaded: "Stopped: the API is overloaded",
    invalid_request: "Stopped: the API refused the request as invalid",
    model_not_found: "Stopped: the model was not found",
    server_error: "Stopped: the API had a server error",
    unknown: "Stopped by an unknown API error",
    max_output_tokens: "Stopped: the answer reached the output token limit",
    cloud_credential_error: "Stopped: the cloud provider refused the credentials",
  },
};

/** The words for a code of `event`, or `undefined` when the table has none. */
function words(event: keyof typeof REASON_WORDS, code: string): string | undefined {
  const table = REASON_WORDS[event];
  return Object.hasOwn(table, code) ? table[code] : undefined;
}

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
      const label = words("StopFailure", error) ?? `Stopped by an API error (${error})`;
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
      return {
        key: `SessionEnd:${reason}`,
        state: "info",
        title: words("SessionEnd", reason) ?? `Session ended (${reason})`,
      };
    }
    default:
      return undefined;
  }
}

/**
 * Why a session ended, for its status card: `Claude Code exited`, `exited at the prompt: /exit,
 * Ctrl+D or Ctrl+C` (the SessionEnd words without their "Session ended: ").
 *
 * @param reason SessionEnd's `reason`.
 * @returns The words.
 */
export function endedWords(reason: string): string {
  const said = words("SessionEnd", reason);
  if (said === undefined) return reason;
  return said.replace(/^Session ended: /, "").replace(/ \((.*)\)$/, ": $1");
}

function waiting(home: string, sid: string): boolean {
  return (statIfExists(`${hookPaths(home).waitDir}/${sid}`)?.size ?? 0) > 0;
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
  const read = readJsonState<Record<string, number>>(
    path,
    (value) => value && typeof value === "object" ? value as Record<string, number> : undefined,
    {},
  );
  if (read.damaged) ctx.log.warn(read.damaged);
  const seen = read.value;
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
  if (input.hook_event_name === "StopFailure") {
    noteActivity(ctx, input.session_id, { state: "error", reason: notice.title ?? "Stopped" });
  }
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
  clearStop(ctx.home, sid);
  noteActivity(ctx, sid, { state: "ended", reason: endedWords(str(input, "reason") ?? "other") });
  const registry = sessionRegistry(ctx.home, ctx.log);
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
