// Webhook routes (create, list, execute with wait/thread_id/thread_name, message
// get/edit/delete), interaction callbacks; interaction follow-ups go to `_followups.ts`.
import { ChannelType, MessageFlags, RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError, errors, invalidForm } from "./_errors.ts";
import { validateMessageBody } from "./_messages.ts";
import { type Ctx, json, noContent, present, type Route } from "./_router.ts";
import type { DiscordState, WebhookExecution } from "./_state.ts";
import type { User, Webhook } from "./_types.ts";
import { createFollowUp, deleteFollowUp, editFollowUp, getFollowUp } from "./_followups.ts";

function hookOrThrow(st: DiscordState, id: string, token?: string): Webhook {
  const hook = st.webhooks.get(id);
  if (!hook) throw errors.unknownWebhook();
  if (token !== undefined && hook.token !== token) throw errors.invalidWebhookToken();
  return hook;
}

function publicHook(hook: Webhook, withToken: boolean): Record<string, unknown> {
  const { url: _url, token, ...rest } = hook;
  return withToken ? { ...rest, token, url: hook.url } : rest;
}

/** The author of a webhook's messages: a bot user with the webhook's id and name. */
export function webhookUser(hook: Webhook, username?: string): User {
  return {
    id: hook.id,
    username: username ?? hook.name,
    discriminator: "0000",
    global_name: null,
    avatar: null,
    bot: true,
    public_flags: 0,
    flags: 0,
    primary_guild: null,
  };
}

function boolQuery(ctx: Ctx, name: string): boolean {
  const v = ctx.url.searchParams.get(name);
  if (v === null) return false;
  if (v === "true" || v === "True" || v === "1") return true;
  if (v === "false" || v === "False" || v === "0") return false;
  throw invalidForm([name], "BOOLEAN_TYPE_COERCE", `Value "${v}" is not a valid boolean.`);
}

/** Resolves where a webhook message goes: the hook's channel or a thread of it. */
function targetChannel(st: DiscordState, hook: Webhook, threadId: string | null): string {
  if (threadId === null) return hook.channel_id;
  if (!/^\d{1,20}$/.test(threadId)) {
    throw invalidForm(["thread_id"], "NUMBER_TYPE_COERCE", `Value "${threadId}" is not snowflake.`);
  }
  const thread = st.channels.get(threadId);
  if (!thread || thread.parent_id !== hook.channel_id) throw errors.unknownChannel();
  return thread.id;
}

/** Starts the record of a webhook execution (kept for tests, refused ones included). */
function executionRecord(ctx: Ctx): WebhookExecution {
  const record: WebhookExecution = {
    webhookId: ctx.params.webhook_id,
    query: Object.fromEntries(ctx.url.searchParams),
    queryString: ctx.url.search,
    body: null,
    status: 0,
    messageId: undefined,
    channelId: undefined,
    time: new Date().toISOString(),
  };
  ctx.hub.state.webhookExecutions.push(record);
  return record;
}

async function execute(ctx: Ctx): Promise<Response> {
  const st = ctx.hub.state;
  const { webhook_id: id, webhook_token: token } = ctx.params;
  const record = executionRecord(ctx);
  try {
    if (id === st.applicationId) {
      // An interaction follow-up: `wait` is always true.
      record.body = (await ctx.body()).json;
      const msg = await createFollowUp(ctx);
      record.status = 200;
      record.messageId = msg.id;
      record.channelId = msg.channel_id;
      return json(msg);
    }
    const hook = hookOrThrow(st, id, token);
    const { json: raw, files } = await ctx.body();
    record.body = raw;
    const wait = boolQuery(ctx, "wait");
    const body = validateMessageBody(raw, { requireSomething: true, hasFiles: files.length > 0 });
    const channel = st.channelOrThrow(hook.channel_id);
    const threadId = ctx.url.searchParams.get("thread_id");
    const author = webhookUser(hook, body.username);
    const common = {
      author,
      content: body.content,
      embeds: body.embeds,
      // Webhooks owned by a user, not an application, cannot carry interactive components.
      components: hook.application_id ? body.components : undefined,
      webhookId: hook.id,
      allowedMentions: body.allowed_mentions,
      flags: body.flags
        ? body.flags & (MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications)
        : 0,
    };
    let msg;
    if (channel.type === ChannelType.GuildForum) {
      if (threadId !== null && body.thread_name !== undefined) throw errors.threadNameAndId();
      if (threadId === null && body.thread_name === undefined) throw errors.threadNameRequired();
      if (body.thread_name !== undefined) {
        const { starter } = st.createThread({
          parentId: channel.id,
          name: body.thread_name,
          ownerId: hook.id,
          starter: { ...common, attachments: files.map((f) => st.attachment(channel.id, f)) },
        });
        msg = starter!;
      } else {
        const target = targetChannel(st, hook, threadId);
        msg = st.createMessage({
          ...common,
          channelId: target,
          attachments: files.map((f) => st.attachment(target, f)),
        });
      }
    } else {
      if (body.thread_name !== undefined) throw errors.threadNameNotForum();
      const target = targetChannel(st, hook, threadId);
      msg = st.createMessage({
        ...common,
        channelId: target,
        attachments: files.map((f) => st.attachment(target, f)),
      });
    }
    record.messageId = msg.id;
    record.channelId = msg.channel_id;
    record.status = wait ? 200 : 204;
    return wait ? json(msg) : noContent();
  } catch (e) {
    if (e instanceof DiscordHttpError) record.status = e.status;
    throw e;
  }
}

/** Finds a webhook message and checks it belongs there. */
function hookMessage(ctx: Ctx): { channelId: string; messageId: string } {
  const st = ctx.hub.state;
  const { webhook_id: id, webhook_token: token } = ctx.params;
  const message_id = ctx.params.message_id ?? "@original";
  const hook = hookOrThrow(st, id, token);
  const threadId = ctx.url.searchParams.get("thread_id");
  const channelId = targetChannel(st, hook, threadId);
  const m = st.messagesByChannel.get(channelId)?.find((x) => x.id === message_id);
  if (!m || m.webhook_id !== hook.id) throw errors.unknownMessage();
  return { channelId, messageId: m.id };
}

const byHook = (p: Record<string, string>) => ({
  rule: "webhook" as const,
  major: p.webhook_id,
  global: false,
});

/** Webhook and interaction routes. */
export const webhookRoutes: Route[] = [
  {
    method: "POST",
    template: "/channels/{channel_id}/webhooks",
    auth: true,
    limit: (p) => ({ rule: "default", major: p.channel_id, global: true }),
    handler: async (ctx) => {
      const st = ctx.hub.state;
      const b = (await ctx.body()).json as { name?: unknown };
      if (typeof b?.name !== "string" || b.name.length < 1 || b.name.length > 80) {
        throw invalidForm(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.");
      }
      const channel = st.channelOrThrow(ctx.params.channel_id);
      if (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildForum) {
        throw new DiscordHttpError(
          400,
          RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
          "Cannot execute action on this channel type",
        );
      }
      const hook = st.createWebhook(channel.id, b.name, st.bot);
      hook.application_id = st.applicationId;
      return json(publicHook(hook, true));
    },
  },
  {
    method: "GET",
    template: "/channels/{channel_id}/webhooks",
    auth: true,
    limit: (p) => ({ rule: "default", major: p.channel_id, global: true }),
    handler: (ctx) => {
      const st = ctx.hub.state;
      st.channelOrThrow(ctx.params.channel_id);
      const hooks = [...st.webhooks.values()].filter((h) => h.channel_id === ctx.params.channel_id);
      return json(hooks.map((h) => publicHook(h, true)));
    },
  },
  {
    method: "GET",
    template: "/webhooks/{webhook_id}",
    auth: true,
    limit: byHook,
    handler: (ctx) => json(publicHook(hookOrThrow(ctx.hub.state, ctx.params.webhook_id), true)),
  },
  {
    method: "GET",
    template: "/webhooks/{webhook_id}/{webhook_token}",
    auth: false,
    limit: byHook,
    handler: (ctx) => {
      const hook = hookOrThrow(ctx.hub.state, ctx.params.webhook_id, ctx.params.webhook_token);
      const { user: _user, ...rest } = publicHook(hook, false);
      return json(rest);
    },
  },
  {
    method: "POST",
    template: "/webhooks/{webhook_id}/{webhook_token}",
    auth: false,
    limit: (p, hub) => ({
      rule: "webhook",
      major: p.webhook_id,
      global: false,
      webhookChannel: hub.state.webhooks.get(p.webhook_id)?.channel_id,
    }),
    handler: execute,
    rejected: async (ctx, e) => {
      const record = executionRecord(ctx);
      record.body = await ctx.body().then((b) => b.json, () => null);
      record.status = e.status;
    },
  },
  // A message by id, or the interaction's original answer (`@original`, its own operation).
  ...["{message_id}", "@original"].flatMap((last): Route[] => [
    {
      method: "GET",
      template: `/webhooks/{webhook_id}/{webhook_token}/messages/${last}`,
      auth: false,
      limit: byHook,
      handler: (ctx) => {
        const st = ctx.hub.state;
        if (ctx.params.webhook_id === st.applicationId) return getFollowUp(ctx);
        const { channelId, messageId } = hookMessage(ctx);
        return json(present(st, st.messageOrThrow(channelId, messageId)));
      },
    },
    {
      method: "PATCH",
      template: `/webhooks/{webhook_id}/{webhook_token}/messages/${last}`,
      auth: false,
      limit: byHook,
      handler: async (ctx) => {
        const st = ctx.hub.state;
        if (ctx.params.webhook_id === st.applicationId) return await editFollowUp(ctx);
        const { channelId, messageId } = hookMessage(ctx);
        const body = validateMessageBody((await ctx.body()).json, { requireSomething: false });
        return json(st.editMessage(channelId, messageId, body));
      },
    },
    {
      method: "DELETE",
      template: `/webhooks/{webhook_id}/{webhook_token}/messages/${last}`,
      auth: false,
      limit: byHook,
      handler: (ctx) => {
        if (ctx.params.webhook_id === ctx.hub.state.applicationId) return deleteFollowUp(ctx);
        const { channelId, messageId } = hookMessage(ctx);
        ctx.hub.state.deleteMessage(channelId, messageId);
        return noContent();
      },
    },
  ]),
  {
    method: "POST",
    template: "/interactions/{interaction_id}/{interaction_token}/callback",
    auth: false,
    limit: (p) => ({ rule: "default", major: p.interaction_id, global: false }),
    handler: async (ctx) => {
      const body = (await ctx.body()).json;
      const withResponse = ctx.url.searchParams.get("with_response") === "true";
      return ctx.hub.interactions.callback(
        ctx.params.interaction_id,
        ctx.params.interaction_token,
        body,
        withResponse,
      );
    },
  },
];
