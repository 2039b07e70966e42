// Private: what the hooks post for a session goes through the outbox (outbox.ts): rendered here,
// written to a file, sent by the bridge, which opens the session's thread, records it in the
// session registry and records every posted message in the posts index (so that replies route
// back to the session). A hook never waits on Discord: it writes, makes sure the bridge runs,
// and returns.
import { describeError } from "../log.ts";
import { enqueueStatus, type StatusInput } from "../notify.ts";
import type { OutboxEntry } from "../outbox.ts";
import type { SessionRecord } from "../sessions.ts";
import type { HookContext } from "./_context.ts";
import { sessionRegistry } from "./_registry.ts";
import { ensureBridge } from "./_ensure_bridge.ts";
import { configuredLabel, findClaudePid } from "./_register.ts";
import { type HookInput, str } from "./_input.ts";

/**
 * The session's record, registering it first when the hooks were installed mid-session.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The record.
 */
export async function sessionRecord(input: HookInput, ctx: HookContext): Promise<SessionRecord> {
  const registry = sessionRegistry(ctx.home, ctx.log, () => configuredLabel(ctx));
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
 * Makes sure the bridge runs, which sends the outbox; never waits for it. A failure to start it
 * is logged: the entries wait in the outbox for the next hook that starts it.
 *
 * @param ctx The hook context.
 * @param transcript The hook input's `transcript_path` (see `ensureBridge`).
 * @returns What happened, for the log line.
 */
export async function startBridge(ctx: HookContext, transcript?: string): Promise<string> {
  try {
    return await ensureBridge(ctx, transcript);
  } catch (err) {
    return `bridge start failed: ${describeError(err)}`;
  }
}

/**
 * Puts a STATUS for the session's thread into the outbox (notify.ts `enqueueStatus`) and makes
 * sure the bridge runs to send it. Without a STATUS channel (no webhook configured) it logs
 * and returns `undefined`.
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @param status What to post (the session is filled in).
 * @param known The session's record when the caller has it (else read or registered).
 * @returns The outbox entries written, or `undefined` when nothing could be posted.
 */
export async function postStatus(
  input: HookInput,
  ctx: HookContext,
  status: Omit<StatusInput, "session" | "cwd" | "startedAt">,
  known?: SessionRecord,
): Promise<OutboxEntry[] | undefined> {
  const config = ctx.config();
  if (!config.webhookUrl) {
    ctx.log.warn(`${input.hook_event_name}: no webhook configured; status not posted`);
    return undefined;
  }
  const record = known ?? await sessionRecord(input, ctx);
  const entries = await enqueueStatus({
    ...status,
    session: { id: record.id, name: record.name },
    cwd: record.cwd || str(input, "cwd") || "",
    startedAt: record.started,
  }, {
    stateDir: ctx.home,
    ...(config.mentionUserId ? { mentionUserId: config.mentionUserId } : {}),
    maxEntries: config.outboxMaxPosts,
    maxBytes: config.outboxMaxBytes,
    now: ctx.now,
    onWarning: (m) => ctx.log.warn(m),
  });
  const bridge = await startBridge(ctx, str(input, "transcript_path"));
  ctx.log.info(
    `${input.hook_event_name} ${record.id.slice(0, 8)}: status "${status.state}" queued ` +
      `(${entries.length} post${entries.length === 1 ? "" : "s"}); ${bridge}`,
  );
  return entries;
}
