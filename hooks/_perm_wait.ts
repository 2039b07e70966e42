// Private: the permission hook's wait for an answer (`_permission.ts`): a button click in the
// prompt's own mailbox (`perm-<requestId>`, claimed), or a text answer in the session's mailbox
// or among the delivery hooks' candidates (read, never taken), woken by `Deno.watchFs` on the
// mailbox directory and the stop markers' (a session stopped from Discord is answered deny,
// stop.ts), until the answer, the time limit, or the news that the prompt will not be posted.
import { Inbox, type InboxEvent } from "../inbox.ts";
import { closedWatcher, ensurePrivateDir, readTextIfExists } from "../_shared/fs.ts";
import { parseJson } from "../_shared/json.ts";
import { type HookContext, remaining } from "./_context.ts";
import { answerOf, type PermAnswer, permMailbox } from "./_perm_text.ts";
import { readCandidates } from "./_perm_store.ts";
import { markStopApplied, stopDir } from "../stop.ts";

/** Where a prompt is once the bridge posted it. */
export interface PostedAt {
  /** The prompt's message. */
  messageId: string;
  /** Its channel or thread. */
  channelId: string;
}

/** Why a prompt will not be posted; `close`: it may still be, so its closing edit should follow. */
export interface NotPosted {
  /** Why, for the log. */
  notPosted: string;
  /** Whether to enqueue the closing edit all the same. */
  close: boolean;
}

/** What {@linkcode waitForAnswer} waits for. */
export interface WaitSpec {
  sid: string;
  requestId: string;
  /** Where the prompt is, once posted; why it will not be, when it will not. */
  posted: () => PostedAt | NotPosted | undefined;
  allowed: ReadonlySet<string>;
  until: number;
  onlyPrompt: () => boolean;
}

function sessionMailboxEvents(home: string, sid: string): InboxEvent[] {
  const text = readTextIfExists(`${home}/inbox/${sid}.jsonl`) ?? "";
  const out: InboxEvent[] = [];
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  for (const line of complete.split("\n")) {
    if (line.trim() === "") continue;
    const event = parseJson(line); // malformed: inbox.ts deals with it
    if (event !== undefined) out.push(event as InboxEvent);
  }
  return out;
}

/**
 * Waits for an allowed user's answer to a prompt.
 *
 * @param ctx The hook context.
 * @param spec The prompt, who may answer, and until when.
 * @returns The answer; `undefined` at the time limit; why the prompt will not be posted.
 */
export async function waitForAnswer(
  ctx: HookContext,
  spec: WaitSpec,
): Promise<PermAnswer | NotPosted | undefined> {
  const inbox = new Inbox(ctx.home, { onWarning: (m) => ctx.log.warn(m) });
  const inboxDir = `${ctx.home}/inbox`;
  ensurePrivateDir(inboxDir);
  // Until the bridge posted it, the prompt has no message: only its buttons can answer it.
  let where: PostedAt = { messageId: "", channelId: "" };
  const rules = () => ({
    requestId: spec.requestId,
    promptMessageId: where.messageId,
    channelId: where.channelId,
    allowed: spec.allowed,
    plainTextAnswers: spec.onlyPrompt(),
  });
  const check = async (): Promise<PermAnswer | NotPosted | undefined> => {
    const stopped = markStopApplied(ctx.home, spec.sid, ctx.now())?.stop;
    if (stopped !== undefined) {
      const by = { id: stopped.userId, name: stopped.by };
      return { decision: "deny", by, via: "stop", eventId: `stop:${stopped.at}` };
    }
    const posted = spec.posted();
    if (posted !== undefined && "notPosted" in posted) return posted;
    if (posted !== undefined) where = posted;
    let found: PermAnswer | undefined;
    await inbox.claim(permMailbox(spec.requestId), (events) => {
      for (const e of events) {
        const a = answerOf(e, rules());
        if (typeof a === "string") {
          ctx.log.info(`PermissionRequest: ignored ${e.kind} ${e.id}: ${a}`);
        } else found ??= a;
      }
    });
    if (found) return found;
    const r = rules();
    for (
      const e of [
        ...readCandidates(ctx.home, spec.sid),
        ...sessionMailboxEvents(ctx.home, spec.sid),
      ]
    ) {
      const a = answerOf(e, r);
      if (typeof a !== "string") return a;
    }
    return undefined;
  };
  const stops = stopDir(ctx.home);
  ensurePrivateDir(stops);
  const watcher = Deno.watchFs([inboxDir, stops], { recursive: false });
  let wake = () => {};
  const pump = (async () => {
    try {
      for await (const _ of watcher) wake();
    } catch (err) {
      if (!closedWatcher(err)) throw err;
    }
  })();
  try {
    for (;;) {
      const a = await check();
      if (a) return a;
      const left = Math.min(spec.until - ctx.now(), remaining(ctx) - 8000);
      if (left <= 0 || ctx.signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = () => {};
    }
  } finally {
    watcher.close();
    await pump;
  }
}
