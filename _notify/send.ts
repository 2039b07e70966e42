// Private: delivers one webhook payload into a session's thread, creating, recreating or
// unarchiving the thread as needed (forum channels by `thread_name`, text channels by the bot).

import type { WebhookParts } from "../config.ts";
import { DiscordApiError } from "../errors.ts";
import type { DiscordHttp, DiscordResponse } from "../_discord/http.ts";
import {
  type StatusSession,
  threadNameFor,
  type WebhookPayload,
  withSessionPrefix,
} from "./render.ts";
import type { ThreadsFile, WebhookState } from "./store.ts";

/** Discord JSON error codes this module acts on. */
export const CODES = {
  unknownChannel: 10003,
  unknownWebhook: 10015,
  invalidWebhookToken: 50027,
  archivedThread: 50083,
  threadLocked: 160005,
  forumNeedsThread: 220001,
  forumBothThreadParams: 220002,
  threadNameNotForum: 220003,
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
  /** The rate-limited client. */
  http: DiscordHttp;
  /** The webhook. */
  webhook: WebhookParts;
  /** Bot token, for threads in text channels and unarchiving. */
  botToken?: string;
  /** REST base without version. */
  apiUrl: string;
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
  res: DiscordResponse,
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
  );
}

/** Posts payloads for sessions, keeping the session → thread map in `threads`. */
export class Sender {
  #o: SenderOptions;
  #webhookBase: string;

  /** @param options What the sender needs. */
  constructor(options: SenderOptions) {
    this.#o = options;
    const base = options.webhook.base.replace(/\/+$/, "");
    this.#webhookBase = /\/v[0-9]+$/.test(base) ? base : `${base}/v10`;
  }

  #state(threads: ThreadsFile): WebhookState {
    const id = this.#o.webhook.id;
    return threads.webhooks[id] ??= { sessions: {} };
  }

  async #execute(
    payload: WebhookPayload,
    query: { thread_id?: string },
    threadName?: string,
  ): Promise<DiscordResponse> {
    const { id, token } = this.#o.webhook;
    const params = new URLSearchParams({ wait: "true" });
    if (query.thread_id) params.set("thread_id", query.thread_id);
    const body = threadName ? { ...payload, thread_name: threadName } : payload;
    return await this.#o.http.request({
      method: "POST",
      url: `${this.#webhookBase}/webhooks/${id}/${token}?${params}`,
      route: `webhook:${id}`,
      body,
    });
  }

  async #bot(
    method: "POST" | "PATCH",
    path: string,
    route: string,
    body: unknown,
  ): Promise<DiscordResponse> {
    return await this.#o.http.request({
      method,
      url: `${this.#o.apiUrl.replace(/\/+$/, "")}/v10${path}`,
      route,
      body,
      authorization: `Bot ${this.#o.botToken}`,
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
      if (ok(res)) return { messageId: messageId(res), threadId: record.threadId };
      if (res.code === CODES.archivedThread || res.code === CODES.threadLocked) {
        if (this.#o.botToken && await this.#unarchive(record.threadId)) {
          res = await this.#execute(payload, { thread_id: record.threadId });
          if (ok(res)) return { messageId: messageId(res), threadId: record.threadId };
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
      if (ok(res)) {
        const threadId = channelIdOf(res);
        wh.channel = "forum";
        wh.sessions[session.id] = {
          threadId,
          name: session.name,
          createdAt: new Date(this.#o.now()).toISOString(),
        };
        return { messageId: messageId(res), threadId, newThread: true, warning };
      }
      if (res.code !== CODES.threadNameNotForum) throw apiError(name, res, "webhook");
      wh.channel = "text";
    }

    if (this.#o.botToken) {
      const res = await this.#execute(payload, {});
      if (!ok(res)) throw apiError(name, res, "webhook");
      const id = messageId(res);
      const channelId = channelIdOf(res);
      let thread: DiscordResponse | undefined;
      let why: string;
      try {
        thread = await this.#bot(
          "POST",
          `/channels/${channelId}/messages/${id}/threads`,
          `threads:${channelId}`,
          { name, auto_archive_duration: 10080 },
        );
        why = `${thread.status} ${thread.message ?? STATUS_TEXT[thread.status] ?? ""}`.trim();
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
      }
      if (thread && ok(thread) && typeof (thread.body as { id?: unknown })?.id === "string") {
        const threadId = (thread.body as { id: string }).id;
        wh.sessions[session.id] = {
          threadId,
          name: session.name,
          createdAt: new Date(this.#o.now()).toISOString(),
        };
        return { messageId: id, threadId, newThread: true, warning };
      }
      return {
        messageId: id,
        warning: `posted in the channel: the bot could not start a thread for "${name}" (${why})`,
      };
    }

    const res = await this.#execute(withSessionPrefix(payload, session.name), {});
    if (!ok(res)) throw apiError(name, res, "webhook");
    return { messageId: messageId(res), warning };
  }

  async #unarchive(threadId: string): Promise<boolean> {
    try {
      const res = await this.#bot("PATCH", `/channels/${threadId}`, `channel:${threadId}`, {
        archived: false,
        locked: false,
      });
      return ok(res);
    } catch {
      return false;
    }
  }
}

function ok(res: DiscordResponse): boolean {
  return res.status >= 200 && res.status < 300;
}

function messageId(res: DiscordResponse): string {
  const id = (res.body as { id?: unknown } | undefined)?.id;
  return typeof id === "string" ? id : "";
}

function channelIdOf(res: DiscordResponse): string {
  const id = (res.body as { channel_id?: unknown } | undefined)?.channel_id;
  if (typeof id !== "string") {
    throw new DiscordApiError(
      "Discord answered a webhook post without the message's channel_id: check DISCORD_API_URL",
      res.status,
    );
  }
  return id;
}
