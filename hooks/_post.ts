// Private: STATUS posts for a session (notify.ts), with the thread recorded in the session
// registry and every posted message recorded in the posts index, so that replies to it
// route back to the session (posts.ts).
import { createNotifier, type StatusInput, type StatusResult } from "../notify.ts";
import { recordPost } from "../posts.ts";
import type { SessionRecord } from "../sessions.ts";
import { type HookContext, remaining } from "./_context.ts";
import { sessionRegistry } from "./_registry.ts";
import { findClaudePid } from "./_register.ts";
import { type HookInput, str } from "./_input.ts";

/**
 * The session's record, registering it first when the hooks were installed mid-session.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The record.
 */
export async function sessionRecord(input: HookInput, ctx: HookContext): Promise<SessionRecord> {
  const registry = sessionRegistry(ctx.home, ctx.log);
  const found = registry.get(input.session_id);
  if (found !== undefined && found.ended === undefined) {
    await registry.touch(input.session_id);
    return found;
  }
  const pid = findClaudePid(ctx.env);
  return await registry.register({
    id: input.session_id,
    cwd: str(input, "cwd") ?? found?.cwd ?? "",
    ...(pid ? { pid } : {}),
  });
}

/**
 * Posts a STATUS into the session's thread. Without a webhook configured it logs and
 * returns `undefined`. Discord being down is not an error here: notify.ts spools the post.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @param status What to post (the session is filled in).
 * @param known The session's record when the caller has it (else read or registered).
 * @returns The notifier's result, or `undefined` when nothing could be posted.
 */
export async function postStatus(
  input: HookInput,
  ctx: HookContext,
  status: Omit<StatusInput, "session" | "cwd" | "startedAt">,
  known?: SessionRecord,
): Promise<StatusResult | undefined> {
  const config = ctx.config();
  if (!config.webhookUrl) {
    ctx.log.warn(`${input.hook_event_name}: no webhook configured; status not posted`);
    return undefined;
  }
  const record = known ?? await sessionRecord(input, ctx);
  const registry = sessionRegistry(ctx.home, ctx.log);
  const notifier = createNotifier({
    webhookUrl: config.webhookUrl,
    stateDir: ctx.home,
    apiUrl: config.apiUrl,
    ...(config.token ? { botToken: config.token } : {}),
    ...(config.mentionUserId ? { mentionUserId: config.mentionUserId } : {}),
    onThread: async (sessionId, threadId) => {
      try {
        await registry.setThread(sessionId, threadId);
      } catch (err) {
        ctx.log.warn(`thread ${threadId} not recorded for ${sessionId.slice(0, 8)}: ${err}`);
      }
    },
    retry: { budgetMs: Math.max(1000, Math.min(30_000, remaining(ctx) - 3000)) },
    lockTimeoutMs: Math.max(1000, Math.min(20_000, remaining(ctx) - 5000)),
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    now: ctx.now,
  });
  const result = await notifier.status({
    ...status,
    session: { id: record.id, name: record.name },
    cwd: record.cwd || str(input, "cwd") || "",
    startedAt: record.started,
  });
  for (const id of result.messageIds) await recordPost(ctx.home, record.id, id);
  for (const w of result.warnings) ctx.log.warn(`notify: ${w}`);
  ctx.log.info(
    `${input.hook_event_name} ${record.id.slice(0, 8)}: status "${status.state}" ` +
      (result.spooled ? "spooled (Discord unreachable)" : `posted (${result.messageIds.length})`),
  );
  return result;
}
