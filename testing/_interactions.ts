// Interactions: button clicks (INTERACTION_CREATE type 3), slash commands (type 2) and their
// autocomplete (type 4), dispatched to every session as Discord does, and their callbacks
// (types 4–9): the first valid answer within 3 s wins, a second one gets 40060 and a late one
// 10062; the bot's answers (the original response and follow-ups, ephemeral ones kept for the
// invoking user only) are recorded per interaction. Follow-up routes: `_followups.ts`.
import {
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  RESTJSONErrorCodes,
} from "discord-api-types/v10";
import { DiscordHttpError, errors } from "./_errors.ts";
import { type MessageBody, validateMessageBody } from "./_messages.ts";
import type { DiscordState, NewMessage } from "./_state.ts";
import type { Message } from "./_types.ts";

/** What a user did: clicked a component, ran a slash command, or typed into an autocomplete. */
export type InteractionKind = "component" | "command" | "autocomplete";

/** The callback types each kind may answer with (Interaction Callback Type). */
const CALLBACK_TYPES: Record<InteractionKind, readonly number[]> = {
  component: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.DeferredMessageUpdate,
    InteractionResponseType.UpdateMessage,
    InteractionResponseType.Modal,
  ],
  command: [
    InteractionResponseType.ChannelMessageWithSource,
    InteractionResponseType.DeferredChannelMessageWithSource,
    InteractionResponseType.Modal,
  ],
  autocomplete: [InteractionResponseType.ApplicationCommandAutocompleteResult],
};

const INTERACTION_TYPE: Record<InteractionKind, number> = {
  component: InteractionType.MessageComponent,
  command: InteractionType.ApplicationCommand,
  autocomplete: InteractionType.ApplicationCommandAutocomplete,
};

/** Message flags an interaction answer may set (Interaction Callback Data Structure). */
const ANSWER_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.Ephemeral |
  MessageFlags.IsComponentsV2 | MessageFlags.IsVoiceMessage | MessageFlags.SuppressNotifications;

/** How long an interaction token takes follow-ups (Interaction Callback, "15 minutes"). */
export const FOLLOW_UP_WINDOW_MS = 15 * 60_000;

/** The permissions the invoking member and the app have (everything but administrator). */
const PERMISSIONS = "2248473465835073";

/** One interaction callback, as recorded for tests. */
export interface InteractionCallbackRecord {
  /** The interaction. */
  interactionId: string;
  /** What the user did. */
  kind: InteractionKind;
  /** The clicked component's custom id (component interactions; "" otherwise). */
  customId: string;
  /** The command's name (command and autocomplete interactions). */
  commandName?: string;
  /** Callback type (4–9). */
  type: number;
  /** Callback data. */
  data: unknown;
  /** Milliseconds between the interaction and the callback. */
  afterMs: number;
  /** Whether it came after the 3-second deadline (and was refused). */
  late: boolean;
  /** HTTP status answered. */
  status: number;
  /** ISO time of the callback. */
  time: string;
}

/** An interaction and everything the bot answered to it. */
export interface InteractionRecord {
  /** The interaction's id. */
  interactionId: string;
  /** What the user did. */
  kind: InteractionKind;
  /** The clicked component's custom id (component interactions). */
  customId?: string;
  /** The command's name (command and autocomplete interactions). */
  commandName?: string;
  /** The invoking user. */
  userId: string;
  /** Where it happened. */
  channelId: string;
  /** The message of the clicked component (component interactions). */
  messageId?: string;
  /** ISO time it was created. */
  createdAt: string;
  /** Whether a callback was accepted. */
  acknowledged: boolean;
  /** The accepted callback's type. */
  responseType?: number;
  /**
   * The bot's messages for it: the original response (a deferred one once edited) and the
   * follow-ups, in order, as they are now. Ephemeral ones (flag 64) exist only here and for the
   * invoking user: they are in no channel history and no gateway event.
   */
  messages: Message[];
  /** The choices an autocomplete callback (type 8) offered. */
  choices?: { name: string; value: string | number }[];
}

/** @internal A live interaction. */
export interface Pending extends InteractionRecord {
  token: string;
  createdAtMs: number;
  /** The original response, once there is one. */
  original?: Message;
  resolve: (answered: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** What {@linkcode Interactions.open} takes. */
export interface InteractionInit {
  kind: InteractionKind;
  userId: string;
  channelId: string;
  /** `data` of INTERACTION_CREATE. */
  data: Record<string, unknown>;
  /** The clicked component's message. */
  message?: Message;
  customId?: string;
  commandName?: string;
}

/** An interaction just created. */
export interface OpenedInteraction {
  /** The interaction's id. */
  interactionId: string;
  /** Resolves true when a callback arrives within the deadline, false otherwise. */
  answered: Promise<boolean>;
}

/** Result of a button click. */
export type ClickResult = OpenedInteraction;

/** The interaction half of the server. */
export class Interactions {
  readonly #state: DiscordState;
  readonly #deadlineMs: number;
  readonly #pending = new Map<string, Pending>();
  callbacks: InteractionCallbackRecord[] = [];
  readonly #listeners = new Set<(r: InteractionRecord) => void>();

  constructor(state: DiscordState, deadlineMs = 3000) {
    this.#state = state;
    this.#deadlineMs = deadlineMs;
  }

  /** The deadline for the first callback, in milliseconds. */
  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  /** Creates an interaction and dispatches INTERACTION_CREATE to every session. */
  open(init: InteractionInit): OpenedInteraction {
    const st = this.#state;
    const user = st.userOrThrow(init.userId);
    const channel = st.channelOrThrow(init.channelId);
    const id = st.snowflake();
    const token = `aW50ZXJhY3Rpb246${id}:${crypto.randomUUID().replaceAll("-", "")}`;
    let resolve!: (v: boolean) => void;
    const answered = new Promise<boolean>((r) => (resolve = r));
    const p: Pending = {
      interactionId: id,
      kind: init.kind,
      userId: user.id,
      channelId: channel.id,
      createdAt: new Date().toISOString(),
      acknowledged: false,
      messages: [],
      token,
      createdAtMs: Date.now(),
      resolve,
      timer: setTimeout(() => resolve(false), this.#deadlineMs),
    };
    if (init.customId !== undefined) p.customId = init.customId;
    if (init.commandName !== undefined) p.commandName = init.commandName;
    if (init.message) p.messageId = init.message.id;
    this.#pending.set(id, p);
    const payload: Record<string, unknown> = {
      id,
      application_id: st.applicationId,
      type: INTERACTION_TYPE[init.kind],
      data: init.data,
      guild: { id: st.guildId, locale: "en-US", features: [] },
      guild_id: st.guildId,
      channel,
      channel_id: channel.id,
      member: { ...st.member(user, true), permissions: PERMISSIONS },
      token,
      version: 1,
      app_permissions: PERMISSIONS,
      locale: "en-US",
      guild_locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": st.guildId },
      context: 0,
      attachment_size_limit: 10485760,
    };
    if (init.message) payload.message = init.message;
    st.dispatch("INTERACTION_CREATE", payload, { intent: 0 });
    return { interactionId: id, answered };
  }

  /** A user clicks a button on a bot message: dispatches INTERACTION_CREATE (type 3). */
  click(opts: { messageId: string; customId: string; userId: string }): ClickResult {
    const st = this.#state;
    const msg = st.findMessage(opts.messageId);
    if (!msg) throw errors.unknownMessage();
    st.userOrThrow(opts.userId);
    if (msg.author.id !== st.bot.id && msg.application_id !== st.applicationId) {
      throw badRequest("Only components of the bot's own messages can be clicked");
    }
    const button = msg.components
      .flatMap((row) => (row.components ?? []) as Record<string, unknown>[])
      .find((c) => c.custom_id === opts.customId);
    if (!button) throw badRequest(`The message has no component with custom_id ${opts.customId}`);
    if (button.disabled) throw badRequest("The button is disabled");
    return this.open({
      kind: "component",
      userId: opts.userId,
      channelId: msg.channel_id,
      data: { custom_id: opts.customId, component_type: button.type ?? 2 },
      message: msg,
      customId: opts.customId,
    });
  }

  /** Handles `POST /interactions/{id}/{token}/callback`. */
  callback(id: string, token: string, body: unknown, withResponse: boolean): Response {
    const p = this.#pending.get(id);
    if (!p || p.token !== token) throw errors.unknownInteraction();
    const afterMs = Date.now() - p.createdAtMs;
    const b = (body ?? {}) as { type?: unknown; data?: unknown };
    const record: InteractionCallbackRecord = {
      interactionId: id,
      kind: p.kind,
      customId: p.customId ?? "",
      type: typeof b.type === "number" ? b.type : -1,
      data: b.data ?? null,
      afterMs,
      late: afterMs > this.#deadlineMs,
      status: 204,
      time: new Date().toISOString(),
    };
    if (p.commandName !== undefined) record.commandName = p.commandName;
    this.callbacks.push(record);
    const fail = (e: DiscordHttpError): never => {
      record.status = e.status;
      throw e;
    };
    if (record.late) fail(errors.unknownInteraction());
    if (p.acknowledged) fail(errors.alreadyAcknowledged());
    const allowed = CALLBACK_TYPES[p.kind];
    if (!allowed.includes(record.type)) {
      fail(errors.invalidFormBody({
        type: {
          _errors: [{
            code: "BASE_TYPE_CHOICES",
            message: `Value must be one of {${allowed.join(", ")}}.`,
          }],
        },
      }));
    }
    let message: Message | undefined;
    try {
      message = this.#answer(p, record.type, b.data);
    } catch (e) {
      if (e instanceof DiscordHttpError) fail(e);
      throw e;
    }
    p.acknowledged = true;
    p.responseType = record.type;
    clearTimeout(p.timer);
    p.resolve(true);
    this.changed(p);
    if (!withResponse) return new Response(null, { status: 204 });
    record.status = 200;
    const interaction: Record<string, unknown> = { id, type: INTERACTION_TYPE[p.kind] };
    if (message) {
      interaction.response_message_id = message.id;
      interaction.response_message_loading = (message.flags & MessageFlags.Loading) !== 0;
      interaction.response_message_ephemeral = (message.flags & MessageFlags.Ephemeral) !== 0;
    }
    const withMessage = record.type === InteractionResponseType.ChannelMessageWithSource ||
      record.type === InteractionResponseType.UpdateMessage;
    return Response.json(
      withMessage && message
        ? { interaction, resource: { type: record.type, message } }
        : { interaction },
    );
  }

  /** Carries out an accepted callback; returns the message it made or changed. */
  #answer(p: Pending, type: number, raw: unknown): Message | undefined {
    const st = this.#state;
    switch (type) {
      case InteractionResponseType.ChannelMessageWithSource:
        return this.respond(p, validateMessageBody(raw ?? {}, { requireSomething: true }));
      case InteractionResponseType.DeferredChannelMessageWithSource: {
        const flags = ((raw as { flags?: unknown })?.flags as number | undefined) ?? 0;
        return this.respond(p, { content: "", flags: flags & MessageFlags.Ephemeral }, {
          loading: true,
        });
      }
      case InteractionResponseType.UpdateMessage: {
        const data = validateMessageBody(raw ?? {}, { requireSomething: false });
        return st.editMessage(p.channelId, p.messageId!, data);
      }
      case InteractionResponseType.ApplicationCommandAutocompleteResult: {
        const choices = (raw as { choices?: unknown })?.choices;
        p.choices = Array.isArray(choices) ? choices.filter(Boolean) : [];
        return undefined;
      }
      default: // 6 (the component's message is edited later), 9 (a modal shown to the user)
        return undefined;
    }
  }

  /**
   * Posts an answer of the bot for an interaction: the original response, or a follow-up.
   * An ephemeral one (flag 64) is kept only with the interaction; any other goes to the
   * channel (MESSAGE_CREATE).
   */
  respond(
    p: Pending,
    data: MessageBody & { attachments?: unknown[] },
    opts: { loading?: boolean; followUp?: boolean; files?: NewMessage["attachments"] } = {},
  ): Message {
    const st = this.#state;
    const flags = ((data.flags ?? 0) & ANSWER_FLAGS) | (opts.loading ? MessageFlags.Loading : 0);
    const metadata: Record<string, unknown> = {
      id: p.interactionId,
      type: INTERACTION_TYPE[p.kind],
      user: st.userOrThrow(p.userId),
      authorizing_integration_owners: { "0": st.guildId },
    };
    if (p.kind === "component") metadata.interacted_message_id = p.messageId;
    if (opts.followUp && p.original) metadata.original_response_message_id = p.original.id;
    const init: NewMessage = {
      channelId: p.channelId,
      author: st.bot,
      content: data.content,
      embeds: data.embeds,
      components: data.components,
      attachments: opts.files,
      webhookId: st.applicationId,
      applicationId: st.applicationId,
      flags,
      interactionMetadata: metadata,
    };
    if (!opts.followUp) {
      if (p.kind === "command") init.type = MessageType.ChatInputCommand;
      else init.messageReference = { message_id: p.messageId, fail_if_not_exists: false };
    }
    const message = (flags & MessageFlags.Ephemeral)
      ? this.#ephemeral(init)
      : st.createMessage(init);
    p.messages.push(message);
    if (!opts.followUp) p.original = message;
    return message;
  }

  /** An ephemeral message: made as Discord shows it to the invoking user, stored nowhere else. */
  #ephemeral(init: NewMessage): Message {
    const st = this.#state;
    const id = st.snowflake();
    const m: Message = {
      id,
      type: init.type ?? (init.messageReference ? MessageType.Reply : MessageType.Default),
      channel_id: init.channelId,
      author: init.author,
      content: init.content ?? "",
      timestamp: new Date(st.now()).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: init.attachments ?? [],
      embeds: init.embeds ?? [],
      components: init.components ?? [],
      pinned: false,
      flags: init.flags ?? MessageFlags.Ephemeral,
      webhook_id: init.webhookId,
      application_id: init.applicationId,
    };
    if (init.interactionMetadata) m.interaction_metadata = init.interactionMetadata;
    return m;
  }

  /**
   * The live interaction of a follow-up token: acknowledged, less than 15 minutes old, not an
   * autocomplete (its token takes no webhook). Undefined otherwise (Discord: Unknown Webhook).
   */
  byToken(token: string): Pending | undefined {
    for (const p of this.#pending.values()) {
      if (p.token !== token) continue;
      const live = Date.now() - p.createdAtMs < FOLLOW_UP_WINDOW_MS;
      return live && p.acknowledged && p.kind !== "autocomplete" ? p : undefined;
    }
    return undefined;
  }

  /** Tells listeners that an interaction changed. */
  changed(p: Pending): void {
    const view = this.#view(p);
    for (const l of [...this.#listeners]) l(view);
  }

  /**
   * Calls `fn` after an interaction changed (a callback, a follow-up, an edit, a deletion).
   * Returns an unsubscribe.
   */
  listen(fn: (r: InteractionRecord) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Resolves once an interaction has `messages` answers, or after `timeoutMs`, with its record. */
  waitForAnswers(
    id: string,
    opts: { messages?: number; timeoutMs?: number } = {},
  ): Promise<InteractionRecord | undefined> {
    const want = opts.messages ?? 1;
    const now = this.record(id);
    if (!now || now.messages.length >= want) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve(this.record(id));
      };
      const timer = setTimeout(done, opts.timeoutMs ?? 5000);
      const off = this.listen((r) => {
        if (r.interactionId === id && r.messages.length >= want) done();
      });
    });
  }

  /** An interaction by id, as tests and the sandbox page see it. */
  record(id: string): InteractionRecord | undefined {
    const p = this.#pending.get(id);
    return p ? this.#view(p) : undefined;
  }

  /** Every interaction, oldest first. */
  records(): InteractionRecord[] {
    return [...this.#pending.values()].map((p) => this.#view(p));
  }

  #view(p: Pending): InteractionRecord {
    const { token: _t, createdAtMs: _c, original: _o, resolve: _r, timer: _tm, ...view } = p;
    return structuredClone(view);
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

function badRequest(message: string): DiscordHttpError {
  return new DiscordHttpError(400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, message);
}
