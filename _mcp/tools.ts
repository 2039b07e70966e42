// Private: the MCP tools (reply, react, edit_message, fetch_messages, send_file), their
// input schemas (zod, with one clear sentence per invalid input) and their handlers.
import { z } from "zod";
import { DiscordApiError } from "../errors.ts";
import { chunkText, type DiscordMessage, formatHistory, MESSAGE_LIMIT } from "./text.ts";
import {
  channelIdArg,
  defaultTarget,
  locate,
  recordPosts,
  replyTarget,
  snowflake,
  strictObject,
  text,
  type ToolContext,
} from "./context.ts";
import { sendFile, sendFileSchema } from "./files.ts";
import { describeError } from "../log.ts";

/** One tool: schema, description for the model, and handler returning the answer text. */
export interface ToolDef {
  name: string;
  title: string;
  description: string;
  schema: z.ZodTypeAny;
  annotations: {
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    idempotentHint?: boolean;
    openWorldHint?: boolean;
  };
  run: (args: never, ctx: ToolContext) => Promise<string>;
}

/** Most parts one `reply` may be split into. */
export const MAX_REPLY_PARTS = 20;

const replySchema = strictObject({
  text: text("text", "pass the message to send").describe(
    "The message (Discord markdown). Longer than 2,000 characters is split at line or word boundaries into several messages.",
  ),
  channel_id: channelIdArg,
  reply_to: snowflake(
    "reply_to",
    "the message to answer",
    "use the message_id of a received message, or leave reply_to out",
  ).optional().describe(
    "Id of a message to reply to (shown as a Discord reply). Without channel_id the reply goes where that message is. Leave reply_to and channel_id out to answer the last message you received.",
  ),
});

const reactSchema = strictObject({
  message_id: snowflake(
    "message_id",
    "the message to react to",
    "use the message_id of a received message",
  ).describe("The message to react to."),
  emoji: text("emoji", "pass an emoji character like 👍").describe(
    "A unicode emoji character (👍, ✅, 👀) or a custom emoji as name:id.",
  ),
  channel_id: channelIdArg,
});

const editSchema = strictObject({
  message_id: snowflake(
    "message_id",
    "one of your own messages",
    "use an id returned by reply or shown by fetch_messages",
  ).describe("A message this bot posted (ids are returned by reply)."),
  text: text("text", "pass the new message text").describe(
    "The new text, at most 2,000 characters.",
  ),
  channel_id: channelIdArg,
});

const fetchSchema = strictObject({
  channel_id: channelIdArg,
  limit: z.number({ invalid_type_error: "limit must be a number from 1 to 100" })
    .int("limit must be a whole number from 1 to 100")
    .min(1, "limit must be at least 1")
    .max(100, "limit must be at most 100 (Discord's page size): page with before")
    .optional().describe("How many messages, 1 to 100 (default 20)."),
  before: snowflake(
    "before",
    "a message",
    "use the oldest message id of the previous page",
  ).optional().describe("Only messages older than this message id (to page back)."),
});

async function reply(args: z.infer<typeof replySchema>, ctx: ToolContext): Promise<string> {
  if (args.text.trim() === "") {
    throw new TypeError("text is empty: pass the message to send");
  }
  const chunks = chunkText(args.text, MESSAGE_LIMIT);
  if (chunks.length > MAX_REPLY_PARTS) {
    throw new RangeError(
      `text is ${args.text.length} characters, more than ${MAX_REPLY_PARTS} Discord messages: send it as a file with send_file, or shorten it`,
    );
  }
  const { target, session, reference } = await replyTarget(ctx, args);
  const ids: string[] = [];
  for (const [i, content] of chunks.entries()) {
    let msg: DiscordMessage;
    try {
      msg = await ctx.rest.request<DiscordMessage>("POST", `/channels/${target.id}/messages`, {
        body: {
          content,
          allowed_mentions: { parse: [] },
          ...(i === 0 && reference ? { message_reference: reference } : {}),
        },
        what: `send a message to ${target.label}`,
      });
    } catch (err) {
      if (ids.length === 0) throw err;
      await recordPosts(ctx, session, ids);
      const msg = describeError(err);
      throw new DiscordApiError(
        `Sent ${ids.length} of ${chunks.length} parts (${ids.join(", ")}), then: ${msg}`,
        err instanceof DiscordApiError ? err.status : 0,
        err instanceof DiscordApiError ? err.code : undefined,
        { cause: err },
      );
    }
    ids.push(msg.id);
  }
  await recordPosts(ctx, session, ids);
  const parts = ids.length === 1
    ? `message ${ids[0]}`
    : `${ids.length} messages (split at 2,000 characters): ${ids.join(", ")}`;
  return `Sent to ${target.label}${
    reference ? `, replying to ${reference.message_id}` : ""
  } as ${parts}.`;
}

const CUSTOM_EMOJI = /^<?a?:?([A-Za-z0-9_]{2,32}):([0-9]{15,21})>?$/;
const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;

/** Normalises an emoji argument to what the reactions route takes, or throws a sentence. */
export function parseEmoji(raw: string): string {
  const e = raw.trim();
  const custom = e.match(CUSTOM_EMOJI);
  if (custom) return `${custom[1]}:${custom[2]}`;
  if (/^:[A-Za-z0-9_+-]+:$/.test(e)) {
    throw new TypeError(
      `emoji "${e}" is a shortcode, which Discord's API does not take: pass the emoji character itself, e.g. 👍`,
    );
  }
  if (e === "" || e.length > 32 || /\s|[A-Za-z]/.test(e) || !PICTOGRAPHIC.test(e)) {
    throw new TypeError(
      `emoji "${
        e.slice(0, 40)
      }" is not one emoji: pass a single unicode emoji like 👍 or a custom one as name:id`,
    );
  }
  return e;
}

async function react(args: z.infer<typeof reactSchema>, ctx: ToolContext): Promise<string> {
  const emoji = parseEmoji(args.emoji);
  const { target } = await locate(ctx, args.message_id, args.channel_id, "message_id");
  await ctx.rest.request(
    "PUT",
    `/channels/${target.id}/messages/${args.message_id}/reactions/${encodeURIComponent(emoji)}/@me`,
    { what: `react to message ${args.message_id} in ${target.label}` },
  );
  return `Reacted ${emoji} to message ${args.message_id} in ${target.label}.`;
}

async function editMessage(args: z.infer<typeof editSchema>, ctx: ToolContext): Promise<string> {
  if (args.text.trim() === "") {
    throw new TypeError("text is empty: pass the new text (Discord messages cannot be blank)");
  }
  if (args.text.length > MESSAGE_LIMIT) {
    throw new RangeError(
      `text is ${args.text.length} characters; an edited message holds at most 2,000: shorten it, or reply with the rest`,
    );
  }
  const { target, message } = await locate(ctx, args.message_id, args.channel_id, "message_id");
  if (message.author.id !== ctx.botId || message.webhook_id) {
    const who = message.webhook_id
      ? `the webhook "${message.author.username}"`
      : `${message.author.global_name || message.author.username} (user ${message.author.id})`;
    throw new RangeError(
      `Message ${args.message_id} was posted by ${who}, not by this bot: only messages you sent with reply or send_file can be edited`,
    );
  }
  await ctx.rest.request("PATCH", `/channels/${target.id}/messages/${args.message_id}`, {
    body: { content: args.text, allowed_mentions: { parse: [] } },
    what: `edit message ${args.message_id} in ${target.label}`,
  });
  return `Edited message ${args.message_id} in ${target.label}.`;
}

async function fetchMessages(
  args: z.infer<typeof fetchSchema>,
  ctx: ToolContext,
): Promise<string> {
  const target = args.channel_id
    ? await ctx.guard.check(args.channel_id)
    : (await defaultTarget(ctx)).target;
  const limit = args.limit ?? 20;
  const messages = await ctx.rest.request<DiscordMessage[]>(
    "GET",
    `/channels/${target.id}/messages`,
    { query: { limit, before: args.before }, what: `read the history of ${target.label}` },
  );
  const list = Array.isArray(messages) ? messages : [];
  let out = formatHistory(list, { botId: ctx.botId, channelLabel: target.label });
  if (list.length === limit) {
    const oldest = list.reduce((a, b) => (a.id.length < b.id.length || a.id < b.id ? a : b));
    out += `\n\n(There may be older messages: call fetch_messages with before="${oldest.id}".)`;
  }
  return out;
}

/** The tools, in the order they are listed. */
export const TOOLS: ToolDef[] = [
  {
    name: "reply",
    title: "Reply on Discord",
    description:
      "Post a message to Discord as the bot. By default it answers the last Discord message you received, where it was written (the chat channel or a thread), as a Discord reply to it; before any, it posts in your session's thread (or the chat channel when your session has none). Use it to answer the person who wrote to you, report progress, or ask a question. Mentions never ping anyone.",
    schema: replySchema,
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    run: reply as ToolDef["run"],
  },
  {
    name: "react",
    title: "React to a Discord message",
    description:
      "Add an emoji reaction to a Discord message (e.g. 👀 when you start on a request, ✅ when done).",
    schema: reactSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: react as ToolDef["run"],
  },
  {
    name: "edit_message",
    title: "Edit one of your Discord messages",
    description:
      "Replace the text of a message this bot posted earlier (for example a progress line). Only the bot's own messages can be edited.",
    schema: editSchema,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: editMessage as ToolDef["run"],
  },
  {
    name: "fetch_messages",
    title: "Read recent Discord messages",
    description:
      "Read the recent history of your session's thread (default) or of the chat channel, oldest first, with author, time and message id for each message.",
    schema: fetchSchema,
    annotations: { readOnlyHint: true, openWorldHint: true },
    run: fetchMessages as ToolDef["run"],
  },
  {
    name: "send_file",
    title: "Send a file to Discord",
    description:
      "Attach a local file (a log, a screenshot, a patch) to a Discord message, with an optional text. Files up to the Discord server's upload limit (10 MiB without boosts).",
    schema: sendFileSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    run: sendFile as ToolDef["run"],
  },
];
