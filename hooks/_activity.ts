// Private: the hooks note what the session is doing (sessions.ts `writeActivity`), for its
// status card: waiting for a permission answer, idle, stopped by an API error, ended. A file
// write, no network; a failure is logged and the role goes on.
import { describeError } from "../log.ts";
import { type SessionActivity, writeActivity } from "../activity.ts";
import type { HookContext } from "./_context.ts";

/**
 * Notes the session's activity; never throws.
 *
 * @param ctx The hook context.
 * @param sid The session id.
 * @param activity The state, and its tool or reason.
 */
export function noteActivity(
  ctx: HookContext,
  sid: string,
  activity: Omit<SessionActivity, "at">,
): void {
  try {
    writeActivity(ctx.home, sid, activity, ctx.now);
  } catch (err) {
    ctx.log.warn(`${sid.slice(0, 8)}: cannot note the session's activity: ${describeError(err)}`);
  }
}
