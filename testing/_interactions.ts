// Button clicks (INTERACTION_CREATE type 3) and their callbacks (types 4–7),
// with Discord's 3-second deadline for the first answer and 15 minutes for follow-ups.
import {
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  RESTJSONErrorCodes,
} from "discord-api-types/v10";
import { DiscordHttpError, errors } from "./_errors.ts";
import { validateMessageBody } from "./_messages.ts";
import type { DiscordState } from "./_state.ts";
import type { Message } from "./_types.ts";

/** The callback types a component interaction may answer with. */
const ANSWER_TYPES = [
  InteractionResponseType.ChannelMessageWithSource,
  InteractionResponseType.DeferredChannelMessageWithSource,
  InteractionResponseType.DeferredMessageUpdate,
  InteractionResponseType.UpdateMessage,
  InteractionResponseType.Modal,
];

/** One interaction callback, as recorded for tests. */
export interface InteractionCallbackRecord {
  /** The interaction. */
  interactionId: string;
  /** The clicked button's custom id. */
  customId: string;
  /** Callback type (4–7, 9). */
  type: number;
  /** Callback data. */
  data: unknown;
  /** Milliseconds between the click and the callback. */
  afterMs: number;
  /** Whether it came after the 3-second deadline (and was refused). */
  late: boolean;
  /** HTTP status answered. */
  status: number;
  /** ISO time of the callback. */
  time: string;
}

interface Pending {
  id: string;
  token: string;
  customId: string;
  channelId: string;
  messageId: string;
  userId: string;
  createdAt: number;
  acknowledged: boolean;
  responseMessageId?: string;
  resolve: (answered: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Result of a button click. */
export interface ClickResult {
  /** The interaction's id. */
  interactionId: string;
  /** Resolves true when a callback arrives within 3 s, false otherwise. */
  answered: Promise<boolean>;
}

/** The interaction half of the server. */
export class Interactions {
  readonly #state: DiscordState;
  readonly #deadlineMs: number;
  readonly #pending = new Map<string, Pending>();
  callbacks: InteractionCallbackRecord[] = [];

  constructor(state: DiscordState, deadlineMs = 3000) {
    this.#state = state;
    this.#deadlineMs = deadlineMs;
  }

  /** A user clicks a button on a bot message: dispatches INTERACTION_CREATE. */
  click(opts: { messageId: string; customId: string; userId: string }): ClickResult {
    const st = this.#state;
    const msg = st.findMessage(opts.messageId);
    if (!msg) throw errors.unknownMessage();
    const user = st.userOrThrow(opts.userId);
    if (msg.author.id !== st.bot.id && msg.application_id !== st.applicationId) {
      throw new DiscordHttpError(
        400,
        RESTJSONErrorCodes.InvalidFormBodyOrContentType,
        "Only components of the bot's own messages can be clicked",
      );
    }
    const button = msg.components
      .flatMap((row) => (row.components ?? []) as Record<string, unknown>[])
      .find((c) => c.custom_id === opts.customId);
    if (!button) {
      throw new DiscordHttpError(
        400,
        RESTJSONErrorCodes.InvalidFormBodyOrContentType,
        `The message has no component with custom_id ${opts.customId}`,
      );
    }
    if (button.disabled) {
      throw new DiscordHttpError(
        400,
        RESTJSONErrorCodes.InvalidFormBodyOrContentType,
        "The button is disabled",
      );
    }
    const id = st.snowflake();
    const token = `aW50ZXJhY3Rpb246${id}:${crypto.randomUUID().replaceAll("-", "")}`;
    const channel = st.channelOrThrow(msg.channel_id);
    let resolve!: (v: boolean) => void;
    const answered = new Promise<boolean>((r) => (resolve = r));
    const pending: Pending = {
      id,
      token,
      customId: opts.customId,
      channelId: msg.channel_id,
      messageId: msg.id,
      userId: user.id,
      createdAt: Date.now(),
      acknowledged: false,
      resolve,
      timer: setTimeout(() => resolve(false), this.#deadlineMs),
    };
    this.#pending.set(id, pending);
    st.dispatch("INTERACTION_CREATE", {
      id,
      application_id: st.applicationId,
      type: InteractionType.MessageComponent,
      data: { custom_id: opts.customId, component_type: button.type ?? 2 },
      guild: { id: st.guildId, locale: "en-US", features: [] },
      guild_id: st.guildId,
      channel: channel,
      channel_id: msg.channel_id,
      member: { ...st.member(user, true), permissions: "2248473465835073" },
      token,
      version: 1,
      message: msg,
      app_permissions: "2248473465835073",
      locale: "en-US",
      guild_locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": st.guildId },
      context: 0,
      attachment_size_limit: 10485760,
    }, { intent: 0 });
    return { interactionId: id, answered };
  }

  /** Handles `POST /interactions/{id}/{token}/callback`. */
  callback(id: string, token: string, body: unknown, withResponse: boolean): Response {
    const p = this.#pending.get(id);
    if (!p || p.token !== token) throw errors.unknownInteraction();
    const afterMs = Date.now() - p.createdAt;
    const b = (body ?? {}) as { type?: unknown; data?: unknown };
    const record: InteractionCallbackRecord = {
      interactionId: id,
      customId: p.customId,
      type: typeof b.type === "number" ? b.type : -1,
      data: b.data ?? null,
      afterMs,
      late: afterMs > this.#deadlineMs,
      status: 204,
      time: new Date().toISOString(),
    };
    this.callbacks.push(record);
    const fail = (e: DiscordHttpError): never => {
      record.status = e.status;
      throw e;
    };
    if (record.late) fail(errors.unknownInteraction());
    if (p.acknowledged) fail(errors.alreadyAcknowledged());
    if (!(ANSWER_TYPES as number[]).includes(record.type)) {
      fail(errors.invalidFormBody({
        type: {
          _errors: [{
            code: "BASE_TYPE_CHOICES",
            message: "Value must be one of {4, 5, 6, 7, 9}.",
          }],
        },
      }));
    }
    const st = this.#state;
    let message: Message | undefined;
    try {
      if (
        record.type === InteractionResponseType.ChannelMessageWithSource ||
        record.type === InteractionResponseType.UpdateMessage
      ) {
        const data = validateMessageBody(b.data ?? {}, {
          requireSomething: record.type === InteractionResponseType.ChannelMessageWithSource,
        });
        if (record.type === InteractionResponseType.ChannelMessageWithSource) {
          const ephemeral = ((data.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
          const init = {
            channelId: p.channelId,
            author: st.bot,
            content: data.content,
            embeds: data.embeds,
            components: data.components,
            webhookId: st.applicationId,
            applicationId: st.applicationId,
            flags: data.flags,
            messageReference: { message_id: p.messageId, fail_if_not_exists: false },
            interactionMetadata: this.#metadata(p),
          };
          message = ephemeral ? this.#ephemeral(init) : st.createMessage(init);
          p.responseMessageId = message.id;
        } else {
          message = st.editMessage(p.channelId, p.messageId, data);
        }
      } else if (record.type === InteractionResponseType.DeferredChannelMessageWithSource) {
        message = st.createMessage({
          channelId: p.channelId,
          author: st.bot,
          content: "",
          webhookId: st.applicationId,
          applicationId: st.applicationId,
          flags: MessageFlags.Loading,
          messageReference: { message_id: p.messageId, fail_if_not_exists: false },
          interactionMetadata: this.#metadata(p),
        });
        p.responseMessageId = message.id;
      }
    } catch (e) {
      if (e instanceof DiscordHttpError) fail(e);
      throw e;
    }
    p.acknowledged = true;
    clearTimeout(p.timer);
    p.resolve(true);
    if (!withResponse) return new Response(null, { status: 204 });
    record.status = 200;
    return Response.json({
      interaction: {
        id,
        type: InteractionType.MessageComponent,
        activity_instance_id: null,
        response_message_id: message?.id ?? null,
        response_message_loading:
          record.type === InteractionResponseType.DeferredChannelMessageWithSource,
        response_message_ephemeral: ((message?.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
      },
      resource: message ? { type: record.type, message } : { type: record.type },
    });
  }

  #metadata(p: Pending): Record<string, unknown> {
    return {
      id: p.id,
      type: InteractionType.MessageComponent,
      user: this.#state.userOrThrow(p.userId),
      authorizing_integration_owners: { "0": this.#state.guildId },
      interacted_message_id: p.messageId,
    };
  }

  #ephemeral(init: { channelId: string; content?: string; flags?: number }): Message {
    const st = this.#state;
    return {
      id: st.snowflake(),
      type: MessageType.Reply,
      channel_id: init.channelId,
      author: st.bot,
      content: init.content ?? "",
      timestamp: new Date(st.now()).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      flags: init.flags ?? MessageFlags.Ephemeral,
    };
  }

  /** The pending interaction of a follow-up webhook token, if any (valid 15 minutes). */
  byToken(token: string): Pending | undefined {
    for (const p of this.#pending.values()) {
      if (p.token === token && Date.now() - p.createdAt < 15 * 60_000) return p;
    }
    return undefined;
  }

  /** The message `@original` points at for a follow-up token. */
  originalMessageId(token: string): { channelId: string; messageId: string } | undefined {
    const p = this.byToken(token);
    if (!p) return undefined;
    return { channelId: p.channelId, messageId: p.responseMessageId ?? p.messageId };
  }

  /** Clears pending deadlines (on reset and close). */
  reset(): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.resolve(p.acknowledged);
    }
    this.#pending.clear();
    this.callbacks = [];
  }
}
