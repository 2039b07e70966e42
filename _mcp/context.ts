// Private: what the MCP tool handlers share: their context, argument schema helpers with
// clear messages, the default target (the session's thread) and message lookup.
import { z } from "zod";
import { DiscordApiError } from "../errors.ts";
import { describeError, type Logger } from "../log.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import type { SessionLike, SessionMatch } from "./session.ts";
import type { ChannelGuard, Target } from "./targets.ts";
import type { DiscordMessage } from "./text.ts";
import { JsonErrorCode } from "../_discord/numbers.ts";
import type { FileAccess } from "./file_access.ts";
import type { LastDelivered } from "../inbox.ts";

/** What every tool handler gets. */
export interface ToolContext {
  rest: DiscordRest;
  guard: ChannelGuard;
  /** Resolves the session served now (lazy; see session.ts). */
  session: () => Promise<SessionMatch>;
  /** The bot's user id (from the token). */
  botId: string;
  /** Directory that relative file paths start from when the session's cwd is unknown. */
  projectDir: string;
  /** What files may be read besides the project (file_access.ts); the project comes per call. */
  files: Omit<FileAccess, "projectDirs">;
  /**
   * Largest file `send_file` accepts, in bytes, and where that number comes from: `--max-upload-mib`,
   * the guild's `attachment_size_limit` (recorded by the bridge), or Discord's default.
   */
  uploadLimit: () => UploadLimit;
  /** Records that the session posted a message (posts.ts `recordPost`). */
  recordPost: (sessionId: string, messageId: string) => Promise<void>;
  /** The last Discord message a hook delivered to a session (inbox.ts `readLastDelivered`). */
  lastDelivered?: (sessionId: string) => LastDelivered | undefined;
  log: Logger;
}

/** The upload limit of `send_file`, and its source. */
export interface UploadLimit {
  /** Bytes. */
  bytes: number;
  /** `flag`: --max-upload-mib; `guild`: the guild's attachment_size_limit; `default`: 10 MiB. */
  source: "flag" | "guild" | "default";
}

const SNOWFLAKE = /^[0-9]{15,21}$/;

/** The fix a tool's error names after Discord refused a call (`DiscordRest`'s `fixFor`). */
export function discordFix(status: number, code: number | undefined): string {
  return status === 401
    ? "the bot token is not valid: run `deno task setup`"
    : code === JsonErrorCode.MissingPermissions || code === JsonErrorCode.MissingAccess ||
        status === 403
    ? "give the bot View Channel, Send Messages, Send Messages in Threads, Read Message History, Add Reactions and Attach Files in this channel"
    : code === JsonErrorCode.UnknownMessage
    ? "check the message id and the channel_id it was posted in (use fetch_messages)"
    : code === JsonErrorCode.UnknownChannel
    ? "check the channel id"
    : code === JsonErrorCode.CannotEditMessageAuthoredByAnotherUser
    ? "only messages the bot posted can be edited"
    : code === JsonErrorCode.RequestEntityTooLarge
    ? "the file is too large for this server: send a smaller one"
    : code === JsonErrorCode.UnknownEmoji
    ? "use a unicode emoji like 👍 or a custom one as name:id"
    : "check the arguments";
}

/** A required string argument with clear messages. */
export function text(name: string, fix: string): z.ZodString {
  return z.string({
    required_error: `${name} is missing: ${fix}`,
    invalid_type_error: `${name} must be a string: ${fix}`,
  });
}

/** An id argument (snowflake) with clear messages. */
export function snowflake(name: string, what: string, where: string): z.ZodString {
  return text(name, `pass the numeric id of ${what}`).regex(
    SNOWFLAKE,
    `${name} must be the numeric id of ${what} (15 to 21 digits): ${where}`,
  );
}

/** The optional `channel_id` argument shared by all tools. */
export const channelIdArg = snowflake(
  "channel_id",
  "the chat channel or one of its threads",
  "use the chat_id of a message you received, or leave channel_id out",
).optional().describe(
  "Where to act: the chat channel id or one of its threads (the chat_id of a received message). Leave it out for your session's thread (or the chat channel if your session has none).",
);

/** `z.object(shape).strict()` whose unknown-key error names the accepted arguments. */
export function strictObject<T extends z.ZodRawShape>(shape: T): z.ZodObject<T, "strict"> {
  const names = Object.keys(shape).join(", ");
  return z.object(shape, {
    errorMap: (issue, ctx) =>
      issue.code === "unrecognized_keys"
        ? {
          message: `Unknown argument ${
            issue.keys.map((k) => `"${k}"`).join(", ")
          }: this tool takes ${names}`,
        }
        : { message: ctx.defaultError },
  }).strict();
}

/** The session's thread when it has a usable one, else the main channel. */
export async function defaultTarget(
  ctx: ToolContext,
): Promise<{ target: Target; session?: SessionLike }> {
  const m = await ctx.session();
  if (m.session?.threadId) {
    try {
      const t = await ctx.guard.check(m.session.threadId, "the session's thread");
      return { target: { ...t, label: `your session's ${t.label}` }, session: m.session };
    } catch (err) {
      ctx.log.warn(
        `session ${m.session.name}: thread ${m.session.threadId} unusable, using the main channel: ${
          describeError(err)
        }`,
      );
    }
  }
  return { target: ctx.guard.main, session: m.session };
}

/** Finds a message in `channelId`, or (without it) in the default target, then the main channel. */
export async function locate(
  ctx: ToolContext,
  messageId: string,
  channelId: string | undefined,
  field: string,
): Promise<{ target: Target; message: DiscordMessage; session?: SessionLike }> {
  const base = await defaultTarget(ctx);
  const candidates = channelId
    ? [await ctx.guard.check(channelId)]
    : [base.target, ...(base.target.id === ctx.guard.main.id ? [] : [ctx.guard.main])];
  for (const target of candidates) {
    try {
      const message = await ctx.rest.request<DiscordMessage>(
        "GET",
        `/channels/${target.id}/messages/${messageId}`,
        { what: `read message ${messageId} in ${target.label}` },
      );
      return { target, message, session: base.session };
    } catch (err) {
      if (
        err instanceof DiscordApiError &&
        (err.code === JsonErrorCode.UnknownMessage || err.status === 404)
      ) continue;
      throw err;
    }
  }
  throw new RangeError(
    `Message ${messageId} (${field}) is not in ${
      candidates.map((t) => t.label).join(" or ")
    }: pass the channel_id it was posted in (the chat_id of a received message)`,
  );
}

/** A message reference that answers `messageId` (still posted when it is gone). */
export interface ReplyReference {
  message_id: string;
  channel_id: string;
  fail_if_not_exists: false;
}

/**
 * Where a new message goes: with `reply_to`, the channel that message is in (as a reply to
 * it); else `channel_id` when allowed; else the default target. `match` spares resolving the
 * session again.
 */
export async function replyTarget(
  ctx: ToolContext,
  args: { reply_to?: string; channel_id?: string },
  match?: SessionMatch,
): Promise<{ target: Target; session?: SessionLike; reference?: ReplyReference }> {
  if (args.reply_to) {
    const { target, session } = await locate(ctx, args.reply_to, args.channel_id, "reply_to");
    const reference: ReplyReference = {
      message_id: args.reply_to,
      channel_id: target.id,
      fail_if_not_exists: false,
    };
    return { target, session, reference };
  }
  if (args.channel_id) {
    const target = await ctx.guard.check(args.channel_id);
    return { target, session: (match ?? await ctx.session()).session };
  }
  return await lastSpokenTarget(ctx, match) ?? await defaultTarget(ctx);
}

/**
 * Where the session was last spoken to: the last message a hook delivered to it, answered
 * where it was written (channel or thread), or `undefined` when there is none (or its channel
 * is not one this server posts in).
 */
async function lastSpokenTarget(
  ctx: ToolContext,
  match?: SessionMatch,
): Promise<{ target: Target; session?: SessionLike; reference: ReplyReference } | undefined> {
  const session = (match ?? await ctx.session()).session;
  const last = session ? ctx.lastDelivered?.(session.id) : undefined;
  if (session === undefined || last === undefined) return undefined;
  try {
    const target = await ctx.guard.check(last.channelId, "the last message's channel");
    const label = session.threadId === target.id ? `your session's ${target.label}` : target.label;
    return {
      target: { ...target, label },
      session,
      reference: { message_id: last.messageId, channel_id: target.id, fail_if_not_exists: false },
    };
  } catch (err) {
    ctx.log.warn(
      `session ${session.name}: cannot answer message ${last.messageId} where it was written: ${
        describeError(err)
      }`,
    );
    return undefined;
  }
}

/** Records posts for the session; a failure is logged, never fatal (the message is out). */
export async function recordPosts(
  ctx: ToolContext,
  session: SessionLike | undefined,
  ids: string[],
): Promise<void> {
  if (!session) return;
  for (const id of ids) {
    try {
      await ctx.recordPost(session.id, id);
    } catch (err) {
      ctx.log.error(`could not record post ${id} for session ${session.name}`, err);
    }
  }
}
