// Interaction follow-ups (Receiving and Responding, Followup Messages): the webhook routes
// with the application id and an interaction token. Create a follow-up (the first one after a
// deferred answer edits the loading message instead, as Discord still does), get, edit and
// delete the original response (`@original`) or a follow-up, for 15 minutes after the
// interaction; ephemeral messages are edited where only the invoking user sees them.
import { MessageFlags } from "discord-api-types/v10";
import { errors } from "./_errors.ts";
import type { Pending } from "./_interactions.ts";
import { type MessageBody, validateMessageBody } from "./_messages.ts";
import { type Ctx, json, noContent, present } from "./_router.ts";
import type { Message } from "./_types.ts";

/** The live interaction of the request's token, or 10015 Unknown Webhook. */
function interactionOf(ctx: Ctx): Pending {
  const p = ctx.hub.interactions.byToken(ctx.params.webhook_token);
  if (!p) throw errors.unknownWebhook();
  return p;
}

/** `POST /webhooks/{application_id}/{token}`: a follow-up message. */
export async function createFollowUp(ctx: Ctx): Promise<Message> {
  const p = interactionOf(ctx);
  const st = ctx.hub.state;
  const { json: raw, files } = await ctx.body();
  const body = validateMessageBody(raw, { requireSomething: true, hasFiles: files.length > 0 });
  const original = p.original;
  if (original && (original.flags & MessageFlags.Loading)) {
    // Right after a deferred answer, a follow-up edits the loading message; its ephemeral
    // state stays what the deferral set.
    return edit(ctx, p, original, body);
  }
  const attachments = files.map((f) => st.attachment(p.channelId, f));
  const message = ctx.hub.interactions.respond(p, body, { followUp: true, files: attachments });
  ctx.hub.interactions.changed(p);
  return message;
}

/** The message a follow-up route names: `@original` or one of the interaction's messages. */
function target(ctx: Ctx, p: Pending): Message {
  const id = ctx.params.message_id ?? "@original";
  if (id === "@original") {
    if (p.original) return p.original;
    // A component interaction answered without a message: its original is the clicked one.
    const clicked = p.messageId ? ctx.hub.state.findMessage(p.messageId) : undefined;
    if (clicked) return clicked;
    throw errors.unknownMessage();
  }
  const m = p.messages.find((x) => x.id === id);
  if (!m) throw errors.unknownMessage();
  return m;
}

function ephemeral(m: Message): boolean {
  return (m.flags & MessageFlags.Ephemeral) !== 0;
}

function edit(ctx: Ctx, p: Pending, m: Message, body: MessageBody): Message {
  const st = ctx.hub.state;
  const flags = m.flags & ~MessageFlags.Loading;
  let out: Message;
  if (ephemeral(m)) {
    if (body.content !== undefined) m.content = body.content;
    if (body.embeds !== undefined) m.embeds = body.embeds;
    if (body.components !== undefined) m.components = body.components;
    m.flags = flags;
    m.edited_timestamp = new Date(st.now()).toISOString();
    out = m;
  } else {
    out = st.editMessage(m.channel_id, m.id, { ...body, flags });
  }
  ctx.hub.interactions.changed(p);
  return out;
}

/** `GET /webhooks/{application_id}/{token}/messages/{id|@original}`. */
export function getFollowUp(ctx: Ctx): Response {
  const p = interactionOf(ctx);
  const m = target(ctx, p);
  return json(ephemeral(m) ? m : present(ctx.hub.state, m));
}

/** `PATCH /webhooks/{application_id}/{token}/messages/{id|@original}`. */
export async function editFollowUp(ctx: Ctx): Promise<Response> {
  const p = interactionOf(ctx);
  const m = target(ctx, p);
  const body = validateMessageBody((await ctx.body()).json, { requireSomething: false });
  return json(edit(ctx, p, m, body));
}

/** `DELETE /webhooks/{application_id}/{token}/messages/{id|@original}`. */
export function deleteFollowUp(ctx: Ctx): Response {
  const p = interactionOf(ctx);
  const m = target(ctx, p);
  if (!ephemeral(m)) ctx.hub.state.deleteMessage(m.channel_id, m.id);
  p.messages = p.messages.filter((x) => x.id !== m.id);
  if (p.original?.id === m.id) p.original = undefined;
  ctx.hub.interactions.changed(p);
  return noContent();
}
