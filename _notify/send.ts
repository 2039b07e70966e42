// Private: delivers one webhook payload into a session's thread, creating, recreating or
// unarchiving the thread as needed (forum channels by `thread_name`, text channels by the bot).

import type { WebhookParts } from "../config.ts";
import { DiscordApiError } from "../errors.ts";
import { JsonErrorCode, ONE_WEEK } from "../_discord/numbers.ts";
import { type Answer, DiscordRest, type Refusal, type RetryPolicy } from "../_discord/rest.ts";
import {
  type StatusSession,
  threadNameFor,
  type WebhookPayload,
  withSessionPrefix,
} from "./render.ts";
import type { ThreadsFile, WebhookState } from "./store.ts";
import { describeError } from "../log.ts";

/** Discord's JSON error codes this module acts on. */
export const CODES = {
  unknownChannel: JsonErrorCode.UnknownChannel,
  unknownWebhook: JsonErrorCode.UnknownWebhook,
  invalidWebhookToken: JsonErrorCode.InvalidWebhookToken,
  archivedThread: JsonErrorCode.InvalidActionOnArchivedThread,
  threadLocked: JsonErrorCode.ThreadLocked,
  forumNeedsThread: JsonErrorCode.WebhooksPostedToForumChannelsMustHaveAThreadNameOrThreadId,
  forumBothThreadParams:
    JsonErrorCode.WebhooksPostedToForumChannelsCannotHaveBothAThreadNameAndThreadId,
  threadNameNotForum: JsonErrorCode.WebhooksCanOnlyCreateThreadsInForumChannels,
} as const;

/** The outcome of one delivered payload. */
export interface Delivered {
  /** The posted message's id. */
  messageId: string;
  /** The thread it went to; `undefined` when posted straight into a text channel. */
  threadId?: string;
  /** A thread made for this post (for `onThread`). */
  newThread?: boolean;
  /** Something the caller should know (the post itself went through). */
  warning?: string;
}

/** Everything the sender needs. */
export interface SenderOptions {
  /** The webhook. */
  webhook: WebhookParts;
  /** Bot token, for threads in text channels and unarchiving. */
  botToken?: string;
  /** REST base without version, for the bot's calls (webhook calls go to the webhook's base). */
  apiUrl: string;
  /** Time budget per call, attempts, backoff. */
  retry?: Partial<RetryPolicy>;
  /** Transport, in place of the global `fetch`. */
  fetch?: typeof fetch;
  /** Now, for records. */
  now: () => number;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Payload Too Large",
};

/** True for answers that mean the webhook itself is gone or its token wrong. */
export function isBadWebhook(err: unknown): boolean {
  return err instanceof DiscordApiError &&
    (err.status === 401 || err.code === CODES.unknownWebhook ||
      err.code === CODES.invalidWebhookToken || (err.status === 404 && err.code === undefined));
}

/** Builds the one-sentence error for a refused request. */
export function apiError(
  threadName: string,
  res: Refusal,
  what: "webhook" | "bot",
): DiscordApiError {
  const said = `${res.status} ${res.message ?? STATUS_TEXT[res.status] ?? "error"}`;
  let fix: string;
  if (
    what === "webhook" &&
    (res.status === 401 || res.code === CODES.unknownWebhook ||
      res.code === CODES.invalidWebhookToken || (res.status === 404 && res.code === undefined))
  ) {
    fix = "run setup to create a new webhook";
  } else if (what === "bot" && res.status === 401) {
    fix = "the bot token was rejected: run setup with a fresh token";
  } else if (res.status === 403) {
    fix = what === "bot"
      ? "give the bot Create Public Threads and Send Messages in Threads in that channel"
      : "check the webhook's channel permissions";
  } else if (res.status === 413 || res.status === 400) {
    fix = "this post was refused as malformed; please report it with the text that caused it";
  } else {
    fix = "check the webhook and channel with setup's doctor";
  }
  return new DiscordApiError(
    `Cannot send status to thread "${threadName}": Discord answered ${said}: ${fix}`,
    res.status,
    res.code,
    { cause: res.error },
  );
}

/** A posted message, as far as the sender reads it. */
interface Posted {
  id?: unknown;
  channel_id?: unknown;
}

/** Posts payloads for sessions, keeping the session → thread map in `threads`. */
export class Sender {
  readonly #o: SenderOptions;
  /** Webhook calls: no bot token, at the base of the webhook's URL. */
  readonly #webhook: DiscordRest;
  /** Bot calls (threads in text channels, unarchiving), when there is a token. */
  readonly #bot: DiscordRest | undefined;

  /** @param options What the sender needs. */
  constructor(options: SenderOptions) {
    this.#o = options;
    const common = {
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    this.#webhook = new DiscordRest({
      apiUrl: options.webhook.base,
      secrets: [options.webhook.token],
      ...common,
    });
    this.#bot = options.botToken
      ? new DiscordRest({ apiUrl: options.apiUrl, token: options.botToken, ...common })
      : undefined;
  }

  #state(threads: ThreadsFile): WebhookState {
    const id = this.#o.webhook.id;
    return threads.webhooks[id] ??= { sessions: {} };
  }

  async #execute(
    payload: WebhookPayload,
    query: { thread_id?: string },
    threadName?: string,
  ): Promise<Answer<Posted>> {
    const { id, token } = this.#o.webhook;
    return await this.#webhook.answer<Posted>("POST", `/webhooks/${id}/${token}`, {
      what: `post to the STATUS webhook ${id}`,
      body: threadName ? { ...payload, thread_name: threadName } : payload,
      query: { wait: "true", thread_id: query.thread_id },
      auth: false,
    });
  }

  /**
   * Delivers `payload` for `session`, updating `threads` in place.
   *
   * @throws {DiscordApiError} when Discord refuses the post for good.
   * @throws {DiscordUnreachableError} when Discord cannot be reached within the budget.
   */
  async deliver(
    session: StatusSession,
    payload: WebhookPayload,
    threads: ThreadsFile,
  ): Promise<Delivered> {
    const wh = this.#state(threads);
    const name = threadNameFor(session.name);
    const record = wh.sessions[session.id];
    let warning: string | undefined;

    if (record) {
      let res = await this.#execute(payload, { thread_id: record.threadId });
      if (res.ok) return { messageId: messageId(res.body), threadId: record.threadId };
      if (res.code === CODES.archivedThread || res.code === CODES.threadLocked) {
        if (await this.#unarchive(record.threadId)) {
          res = await this.#execute(payload, { thread_id: record.threadId });
          if (res.ok) return { messageId: messageId(res.body), threadId: record.threadId };
        }
        warning = `thread of "${name}" was archived or locked: started a new one`;
      } else if (res.code === CODES.unknownChannel) {
        warning = `thread of "${name}" was deleted: started a new one`;
      } else {
        throw apiError(name, res, "webhook");
      }
      delete wh.sessions[session.id];
    }

    if (wh.channel !== "text") {
      const res = await this.#execute(payload, {}, name);
      if (res.ok) {
        const threadId = channelIdOf(res.body);
        wh.channel = "forum";
        wh.sessions[session.id] = {
          threadId,
          name: session.name,
          createdAt: new Date(this.#o.now()).toISOString(),
        };
        return { messageId: messageId(res.body), threadId, newThread: true, warning };
      }
      if (res.code !== CODES.threadNameNotForum) throw apiError(name, res, "webhook");
      wh.channel = "text";
    }

    if (this.#bot) {
      const res = await this.#execute(payload, {});
      if (!res.ok) throw apiError(name, res, "webhook");
      const id = messageId(res.body);
      const channelId = channelIdOf(res.body);
      let why: string;
      try {
        const thread = await this.#bot.answer<Posted>(
          "POST",
          `/channels/${channelId}/messages/${id}/threads`,
          {
            what: `start a thread on message ${id}`,
            body: { name, auto_archive_duration: ONE_WEEK },
          },
        );
        if (thread.ok && typeof thread.body?.id === "string") {
          wh.sessions[session.id] = {
            threadId: thread.body.id,
            name: session.name,
            createdAt: new Date(this.#o.now()).toISOString(),
          };
          return { messageId: id, threadId: thread.body.id, newThread: true, warning };
        }
        why = thread.ok
          ? "200 without a thread id"
          : `${thread.status} ${thread.message ?? STATUS_TEXT[thread.status] ?? ""}`.trim();
      } catch (err) {
        why = describeError(err);
      }
      return {
        messageId: id,
        warning: `posted in the channel: the bot could not start a thread for "${name}" (${why})`,
      };
    }

    const res = await this.#execute(withSessionPrefix(payload, session.name), {});
    if (!res.ok) throw apiError(name, res, "webhook");
    return { messageId: messageId(res.body), warning };
  }

  /** Unarchives (and unlocks) a thread with the bot; false without a bot or when refused. */
  async #unarchive(threadId: string): Promise<boolean> {
    if (!this.#bot) return false;
    try {
      const res = await this.#bot.answer("PATCH", `/channels/${threadId}`, {
        what: `unarchive thread ${threadId}`,
        body: { archived: false, locked: false },
      });
      return res.ok;
    } catch (err) {
      if (err instanceof DiscordApiError) return false; // unreachable: the post is spooled
      throw err;
    }
  }
}

function messageId(body: Posted | undefined): string {
  return typeof body?.id === "string" ? body.id : "";
}

function channelIdOf(body: Posted | undefined): string {
  if (typeof body?.channel_id !== "string") {
    throw new DiscordApiError(
      "Discord answered a webhook post without the message's channel_id: check DISCORD_API_URL",
      200,
    );
  }
  return body.channel_id;
}
