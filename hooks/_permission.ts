// Private: PermissionRequest answered from Discord.
//
// Contract with the bridge (bridge.ts / outbox.ts / routing.ts / posts.ts):
// - The hook touches no network: it puts the prompt into the outbox (outbox.ts), a post keyed
//   and owned `perm-<requestId>`, with three buttons whose custom ids are
//   `cd:perm:<requestId>:allow|deny|always`. The bridge posts it AS THE BOT into the session's
//   thread and records the message in the posts index under that owner (not the session);
//   the hook reads where it went from the outbox record. Not posted within POST_WAIT_MS (the
//   bridge down, Discord unreachable), it expires and the hook gives no decision.
// - The bridge routes button clicks and reactions by the owner of their target message
//   (routing.ts: "button click / reaction on a message a session posted → that session"),
//   so they land in the mailbox `perm-<requestId>`, which only this hook reads. The bridge
//   acknowledges the interaction itself (within 3 s); this hook enqueues the edit that closes
//   the prompt after (an `edit` entry with the same key).
// - Text replies are messages in the session's thread, so they land in the session's own
//   mailbox. The hook does not consume them: it reads the mailbox file without taking
//   anything (and the candidates the delivery hooks saw meanwhile, see _deliver.ts), and
//   accepts `allow` / `deny` / `always` that is a Discord reply to the prompt, or plain text
//   in the thread when this is the session's only open prompt. The message is delivered to
//   Claude as usual later, with a note that it answered this prompt.
// - Only users in DISCORD_ALLOWED_USERS answer (checked here again, whatever the bridge
//   did). Every outcome is appended to `$home/audit.log` (0600): who, what, how, when.
// - What the prompt says happens without an answer is what Claude Code does (checked with the
//   real CLI, tests/e2e/): an interactive session shows its terminal dialog at once, and the
//   first answer from either side counts; `claude -p` refuses the call. On timeout the hook
//   gives no decision and the message is edited to say what follows.
// - "Allow for this session" adds one rule about this tool (`_perm_rule.ts`), named in the
//   prompt; Claude Code's suggested mode changes and directories are never passed on. Offered
//   only when a rule names the call; a text `always` without one allows this call only.
// - While a prompt is open (from before it is posted), the Notification hook posts no second
//   notice for the same request (`_notice.ts`).
import type { APIActionRowComponent, APIButtonComponentWithCustomId } from "discord-api-types/v10";
import { ButtonStyle, ComponentType } from "../_discord/numbers.ts";
import { threadNameFor } from "../notify.ts";
import { CARD_KEY } from "../card.ts";
import { Outbox } from "../outbox.ts";
import type { SessionRecord } from "../sessions.ts";
import { ensurePrivateDir, readTextIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
import { type HookContext, hookPaths, remaining } from "./_context.ts";
import { type HookInput, str } from "./_input.ts";
import { postStatus, sessionRecord, startBridge } from "./_post.ts";
import {
  outcomeLine,
  type PermAnswer,
  permMailbox,
  promptContent,
  type PromptMode,
  promptMode,
  toolSummary,
} from "./_perm_text.ts";
import { type PermRule, ruleText, sessionRules, sessionUpdate } from "./_perm_rule.ts";
import { openPrompts } from "./_perm_store.ts";
import { appendAudit } from "../_shared/audit.ts";
import { type NotPosted, type PostedAt, waitForAnswer } from "./_perm_wait.ts";
import { noteActivity } from "./_activity.ts";

/** A permission request, as the steps of {@linkcode permissionRole} pass it on. */
interface PermRequest {
  input: HookInput;
  ctx: HookContext;
  /** The session id. */
  sid: string;
  /** The tool, for the prompt. */
  tool: string;
  /** The tool call in one line, for the log and the audit. */
  summary: string;
  /** The prompt's id (its buttons' custom ids and its mailbox `perm-<requestId>`). */
  requestId: string;
  /** How the session runs: what an unanswered prompt leads to. */
  mode: PromptMode;
  /** What "Allow for this session" adds (empty: the button is not offered). */
  rules: PermRule[];
}

/** A prompt put into the outbox for the bridge to post. */
interface Prompt {
  requestId: string;
  /** The outbox entry that posts it (its key is the prompt's mailbox, `perm-<requestId>`). */
  entryId: string;
  /** Where the bridge posted it, once it did. */
  posted?: PostedAt;
  /** Its text (kept for the edit that closes it). */
  content: string;
  timeoutSeconds: number;
  /** The session's record. */
  record: SessionRecord;
}

/**
 * How long the bridge has to post a prompt. A prompt it could not post by then (the bridge
 * down, Discord unreachable) is not posted later, and the hook gives no decision: Claude Code
 * decides without Discord, as when Discord refuses the post.
 */
export const POST_WAIT_MS = 30_000;

/**
 * The permission role: asks in Discord, waits for an allowed user's answer, closes the prompt,
 * audits, and prints the decision (none on timeout: Claude Code decides without Discord).
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The exit code (always 0; the decision, if any, is on stdout).
 */
export async function permissionRole(input: HookInput, ctx: HookContext): Promise<number> {
  const tool = str(input, "tool_name") ?? "unknown tool";
  const req: PermRequest = {
    input,
    ctx,
    sid: input.session_id,
    tool,
    summary: toolSummary(tool, input.tool_input),
    requestId: crypto.randomUUID().replaceAll("-", "").slice(0, 16),
    mode: promptMode(ctx.env.CLAUDE_CODE_ENTRYPOINT),
    rules: sessionRules(tool, input.tool_input, input.permission_suggestions),
  };
  // The status card says so, whether Discord or the terminal answers.
  noteActivity(ctx, req.sid, { state: "waiting", tool: toolSummary(tool, input.tool_input, 200) });
  if (!canAsk(req)) return 0;
  // Open from now on, before it is posted: the Notification hook, which Claude Code fires a
  // few seconds into the same request, then knows not to post a second notice.
  const open = openPrompts(ctx.home, req.sid);
  const limit = ctx.now() + ctx.config().permissionTimeoutSeconds * 1000;
  open.add(req.requestId, { messageId: "", channelId: "", until: limit });
  let prompt: Prompt | undefined;
  let answer: PermAnswer | undefined;
  try {
    prompt = await postPrompt(req);
    if (prompt === undefined) return 0;
    const waited = await awaitAnswer(req, prompt);
    if (waited !== undefined && "notPosted" in waited) {
      ctx.log.warn(
        `PermissionRequest ${req.sid.slice(0, 8)}: prompt not posted (${waited.notPosted}); ` +
          `no decision from Discord`,
      );
      // Should the bridge post it after all, the edit that follows closes it.
      if (waited.close) await closePrompt(req, prompt, undefined);
      return 0;
    }
    answer = waited;
  } finally {
    open.remove(req.requestId);
  }
  await closePrompt(req, prompt, answer);
  auditOutcome(req, prompt, answer);
  if (answer === undefined) {
    ctx.log.info(
      `PermissionRequest ${req.sid.slice(0, 8)}: no answer in ${prompt.timeoutSeconds} s`,
    );
    return 0;
  }
  applyAnswer(req, answer);
  return 0;
}

/** Whether Discord can answer at all: a bot token to post with, and someone allowed to answer. */
function canAsk({ ctx, sid }: PermRequest): boolean {
  const config = ctx.config();
  if (!config.token) {
    ctx.log.warn(`PermissionRequest ${sid.slice(0, 8)}: no bot token; terminal prompt instead`);
    return false;
  }
  if (config.allowedUsers.length === 0) {
    ctx.log.warn(`PermissionRequest ${sid.slice(0, 8)}: nobody is allowlisted to answer`);
    return false;
  }
  return true;
}

/** Where a prompt goes: the session's thread (opened by the bridge) or a channel. */
type Target = { threadName: string } | { channelId: string };

/**
 * Where to ask: the session's thread in the STATUS channel (a session with no thread yet gets a
 * STATUS first, which opens it), else the chat channel; `undefined` (logged) when there is
 * neither.
 */
async function askWhere(
  { input, ctx, sid, summary }: PermRequest,
  outbox: Outbox,
): Promise<{ record: SessionRecord; target: Target } | undefined> {
  const config = ctx.config();
  const record = await sessionRecord(input, ctx);
  if (config.webhookUrl) {
    // The status card, queued at SessionStart, opens the thread; else a STATUS does.
    const opened = record.threadId !== undefined || outbox.record(sid).thread !== undefined ||
      outbox.hasPending(sid, CARD_KEY);
    if (!opened) {
      await postStatus(input, ctx, {
        state: "waiting",
        title: "Permission needed",
        text: summary,
      }, record);
    }
    return { record, target: { threadName: threadNameFor(record.name) } };
  }
  if (config.channelId) return { record, target: { channelId: config.channelId } };
  ctx.log.warn(`PermissionRequest ${sid.slice(0, 8)}: no thread or channel to ask in`);
  return undefined;
}

/**
 * Puts the prompt with its buttons into the outbox, for the bridge to post as the bot where
 * {@linkcode askWhere} says and to record in the posts index under the prompt's own mailbox;
 * makes sure the bridge runs.
 *
 * @returns The prompt, or `undefined` when there is nowhere to ask.
 */
async function postPrompt(req: PermRequest): Promise<Prompt | undefined> {
  const { input, ctx, sid } = req;
  const config = ctx.config();
  const outbox = promptOutbox(ctx);
  const where = await askWhere(req, outbox);
  if (where === undefined) return undefined;
  const { record, target } = where;

  const requestId = req.requestId;
  const timeoutSeconds = Math.max(
    1,
    Math.min(config.permissionTimeoutSeconds, Math.floor((remaining(ctx) - 10_000) / 1000)),
  );
  const content = promptContent({
    sessionName: record.name,
    tool: req.tool,
    input: input.tool_input,
    timeoutSeconds,
    mode: req.mode,
    sessionRules: req.rules,
    ...(config.mentionUserId ? { mentionUserId: config.mentionUserId } : {}),
  });
  const [entry] = await outbox.enqueue(sid, [{
    kind: "post",
    ...target,
    key: permMailbox(requestId),
    owner: permMailbox(requestId),
    expiresAt: new Date(ctx.now() + Math.min(POST_WAIT_MS, timeoutSeconds * 1000)).toISOString(),
    body: {
      content,
      allowed_mentions: config.mentionUserId
        ? { parse: [], users: [config.mentionUserId] }
        : { parse: [] },
      components: promptButtons(requestId, req.rules.length > 0),
    },
  }]);
  const bridge = await startBridge(ctx, str(input, "transcript_path"));
  ctx.log.info(
    `PermissionRequest ${sid.slice(0, 8)}: asking in Discord (${req.summary}); ${bridge}`,
  );
  return { requestId, entryId: entry.id, content, timeoutSeconds, record };
}

function promptOutbox(ctx: HookContext): Outbox {
  const config = ctx.config();
  return new Outbox(ctx.home, {
    maxEntries: config.outboxMaxPosts,
    maxBytes: config.outboxMaxBytes,
    now: ctx.now,
    onWarning: (m) => ctx.log.warn(m),
  });
}

/**
 * The Allow / Deny buttons of a prompt, and Allow for this session when a rule names the call.
 */
function promptButtons(
  requestId: string,
  session: boolean,
): APIActionRowComponent<APIButtonComponentWithCustomId>[] {
  const button = (
    style: APIButtonComponentWithCustomId["style"],
    label: string,
    answer: string,
  ): APIButtonComponentWithCustomId => ({
    type: ComponentType.Button,
    style,
    label,
    custom_id: `cd:perm:${requestId}:${answer}`,
  });
  const buttons = [
    button(ButtonStyle.Success, "Allow", "allow"),
    button(ButtonStyle.Danger, "Deny", "deny"),
  ];
  if (session) buttons.push(button(ButtonStyle.Secondary, "Allow for this session", "always"));
  return [{ type: ComponentType.ActionRow, components: buttons }];
}

/**
 * Waits for an allowed answer while the prompt is listed as open (with its message once the
 * bridge posted it); `undefined` on timeout; `notPosted` when the bridge did not post it
 * (`close`: it may still, so the closing edit should follow). The caller removes the listing.
 */
async function awaitAnswer(
  req: PermRequest,
  prompt: Prompt,
): Promise<PermAnswer | NotPosted | undefined> {
  const { ctx, sid } = req;
  const until = ctx.now() + prompt.timeoutSeconds * 1000;
  const postBy = ctx.now() + Math.min(POST_WAIT_MS, prompt.timeoutSeconds * 1000);
  const open = openPrompts(ctx.home, sid);
  const outbox = promptOutbox(ctx);
  const key = permMailbox(prompt.requestId);
  const posted = (): PostedAt | NotPosted | undefined => {
    if (prompt.posted) return prompt.posted;
    const record = outbox.record(sid);
    const message = record.message(key);
    if (message !== undefined) {
      prompt.posted = message;
      open.add(prompt.requestId, { ...message, until });
      ctx.log.info(`PermissionRequest ${sid.slice(0, 8)}: posted as ${message.messageId}`);
      return message;
    }
    const outcome = record.outcome(prompt.entryId);
    if (outcome !== undefined && "failed" in outcome) {
      return { notPosted: outcome.failed, close: false };
    }
    if (outcome !== undefined && "skipped" in outcome) {
      return { notPosted: outcome.skipped, close: false };
    }
    if (ctx.now() >= postBy) {
      return {
        notPosted: `the bridge did not post it within ${POST_WAIT_MS / 1000} s`,
        close: true,
      };
    }
    return undefined;
  };
  return await waitForAnswer(ctx, {
    sid,
    requestId: prompt.requestId,
    posted,
    allowed: new Set(ctx.config().allowedUsers),
    until,
    onlyPrompt: () => open.count(ctx.now()) === 1,
  });
}

/**
 * Closes the prompt: an edit into the outbox with the outcome appended and the buttons removed
 * (the bridge skips it when the prompt was never posted).
 */
async function closePrompt(
  { ctx, sid, mode, rules }: PermRequest,
  prompt: Prompt,
  answer: PermAnswer | undefined,
): Promise<void> {
  await promptOutbox(ctx).enqueue(sid, [{
    kind: "edit",
    key: permMailbox(prompt.requestId),
    body: {
      content: `${prompt.content}\n\n${
        outcomeLine(answer, { timeoutSeconds: prompt.timeoutSeconds, mode, sessionRules: rules })
      }`.slice(0, 2000),
      components: [],
      allowed_mentions: { parse: [] },
    },
  }]);
}

/** Appends the outcome to `$home/audit.log`: who, what, how, when. */
function auditOutcome(req: PermRequest, prompt: Prompt, answer: PermAnswer | undefined): void {
  const { ctx } = req;
  appendAudit(ctx.home, {
    at: new Date(ctx.now()).toISOString(),
    session: req.sid,
    sessionName: prompt.record.name,
    requestId: prompt.requestId,
    tool: req.summary,
    decision: answer?.decision ?? `none (timeout: ${timeoutFate(req.mode)})`,
    ...(answer?.decision === "always" ? { rules: req.rules.map(ruleText) } : {}),
    ...(answer ? { by: answer.by, via: answer.via, eventId: answer.eventId } : {}),
    ...(prompt.posted ? { promptMessageId: prompt.posted.messageId } : {}),
  });
}

/**
 * Prints the decision for Claude Code; a text answer also gets a note for when that message
 * is delivered to Claude.
 */
function applyAnswer(req: PermRequest, answer: PermAnswer): void {
  const { ctx, sid, summary } = req;
  if (answer.via === "text") {
    const word = answer.decision === "deny" ? "denied" : "allowed";
    notePermAnswer(
      ctx,
      answer.eventId,
      `this message answered the permission request ` +
        `for ${summary}: ${word}; that is already applied`,
    );
  }
  const decision = answer.via === "stop"
    ? {
      behavior: "deny",
      message: `Stopped from Discord by ${answer.by.name} (Discord user id ${answer.by.id}).`,
      // Ends the turn, as the stop does at the next PreToolUse (checked with the real CLI).
      interrupt: true,
    }
    : answer.decision === "deny"
    ? {
      behavior: "deny",
      message: `Denied from Discord by ${answer.by.name} (Discord user id ${answer.by.id}).`,
    }
    : answer.decision === "always" && req.rules.length > 0
    ? { behavior: "allow", updatedPermissions: sessionUpdate(req.rules) }
    : { behavior: "allow" };
  ctx.out(JSON.stringify({ hookSpecificOutput: { hookEventName: "PermissionRequest", decision } }));
  ctx.log.info(
    `PermissionRequest ${sid.slice(0, 8)}: ${answer.decision} by ${answer.by.name} ` +
      `(${answer.by.id}) via ${answer.via}`,
  );
}

/** What Claude Code does with a request the prompt did not answer, for the audit. */
function timeoutFate(mode: PromptMode): string {
  return mode === "interactive"
    ? "the terminal prompt decides"
    : mode === "print"
    ? "claude -p refuses the call"
    : "Claude Code decides";
}

function notePermAnswer(ctx: HookContext, eventId: string, note: string): void {
  const path = hookPaths(ctx.home).permAnswers;
  ensurePrivateDir(hookPaths(ctx.home).permDir);
  const lines = (readTextIfExists(path) ?? "").split("\n").filter((l) => l.trim() !== "")
    .slice(-199);
  lines.push(JSON.stringify({ id: eventId, note }));
  writePrivateFileAtomic(path, lines.join("\n") + "\n");
}
