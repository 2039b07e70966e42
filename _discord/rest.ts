// Private: the Discord REST client, @discordjs/rest behind the methods this package calls, on
// Discord's JSON (snake_case, raw.ts). It never loads the gateway library (gateway.ts).
//
// The library keeps Discord's rate limits: buckets learnt from the X-RateLimit-* headers and
// waited out before a request goes, the global limit, sub-limits, 429 answers, and a timeout per
// attempt. What this wrapper adds, each piece named where it is:
// - `loadRestLibrary` (rest_library.ts): the library is loaded on the first call, not when a
//   module is imported;
// - `#answerOf` (and rest_errors.ts): the library's errors become one sentence naming the
//   call, Discord's answer and the fix, with no token in it (log.ts `scrub`);
// - `#attempt`: a time budget per call, so a caller can give up (notify.ts spools) while Discord
//   stays down or asks for long waits;
// - `#backoff`: retries after 5xx answers and network errors, with growing delays.
import type * as Lib from "@discordjs/rest";
// Type-only: the hooks load this module, and no npm package may join their start-up graph.
import type { InteractionResponseType } from "discord-api-types/v10";
import { parseWebhookUrl } from "../config.ts";
import { scrub } from "../log.ts";
import type { RawChannel, RawGatewayBot, RawMessage } from "./raw.ts";
import {
  backoffPastBudget,
  networkTrouble,
  noAnswerInBudget,
  outOfAttempts,
  rateLimitPastBudget,
  type Refusal,
  refusalOf,
  refused,
  serverTrouble,
  type Trouble,
} from "./rest_errors.ts";
import { loadRestLibrary } from "./rest_library.ts";
import { compareIds } from "./snowflake.ts";

/** How long one call may take, and how it retries. */
export interface RetryPolicy {
  /** Longest time one call may spend, waits and retries included, before it fails. */
  budgetMs: number;
  /** Most attempts after 5xx answers or network errors. */
  maxAttempts: number;
  /** First backoff delay between such attempts. */
  baseDelayMs: number;
  /** Backoff cap. */
  maxDelayMs: number;
  /** Abort one attempt after this long without an answer. */
  timeoutMs: number;
}

/** The default retry policy. */
export const DEFAULT_RETRY: RetryPolicy = {
  budgetMs: 30_000,
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  timeoutMs: 15_000,
};

/** Options of {@linkcode DiscordRest}. */
export interface DiscordRestOptions {
  /** Bot token; without it only calls with `auth: false` (webhooks, interactions) work. */
  token?: string;
  /** REST base without version (`DISCORD_API_URL`); every call goes to `<apiUrl>/v10/…`. */
  apiUrl: string;
  /** Time budget per call, attempts and backoff. */
  retry?: Partial<RetryPolicy>;
  /** Told before every wait for a rate limit or a retry (for a log). */
  onWait?: (what: string, ms: number) => void;
  /**
   * The fix to name after a 4xx answer (`give the bot …`), or `undefined` for none; the
   * sentence is `Cannot <what>: Discord answered <status> <message> (code <code>): <fix>`.
   */
  fixFor?: (status: number, code: number | undefined) => string | undefined;
  /**
   * The fix to name when no answer came (network errors, timeouts), one per sentence: default
   * `check DISCORD_API_URL and the network`; setup names the flag the API URL came from.
   */
  unreachableFix?: string;
  /** More strings to keep out of messages (the bot token always is). */
  secrets?: readonly string[];
  /** The transport, in place of the global `fetch` (the library's `makeRequest`). */
  fetch?: typeof fetch;
}

/** A file of a multipart call (sent as `files[i]`, with the body as `payload_json`). */
export interface RestFile {
  /** File name. */
  name: string;
  /** Contents. */
  data: Uint8Array;
  /** MIME type. */
  contentType: string;
}

/** One call of {@linkcode DiscordRest.request}. */
export interface RestCall {
  /** What the call does, for error messages: "read messages of channel 123". */
  what: string;
  /** JSON body (with `files`: the `payload_json` part). */
  body?: unknown;
  /** Files: the call goes as multipart. */
  files?: RestFile[];
  /** Query parameters (`undefined` values are left out). */
  query?: Record<string, string | number | undefined>;
  /** Send the bot token (default true). */
  auth?: boolean;
}

/** The outcome of {@linkcode DiscordRest.answer}: the JSON body, or Discord's refusal. */
export type Answer<T> = { ok: true; body: T } | ({ ok: false } & Refusal);

/** HTTP methods of {@linkcode DiscordRest.request}. */
export type RestMethod = "GET" | "POST" | "PATCH" | "DELETE" | "PUT";

export { DiscordUnreachableError, type Refusal } from "./rest_errors.ts";
export { REST_LIBRARY, REST_LIBRARY_ENV } from "./rest_env.ts";

/** The budget of a call ran out while an attempt was under way. */
const OUT_OF_TIME = Symbol("out of time");

/**
 * A REST client for the routes this package uses, on Discord's JSON. Calls wait out Discord's
 * rate limits, retry 5xx answers and network errors with backoff, and fail within a time
 * budget; every error is a {@linkcode DiscordApiError} whose message holds no token. Nothing is
 * loaded or sent before the first call.
 *
 * @example Against the local Discord server
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiscordRest } from "./rest.ts";
 * import { startDiscordServer } from "../testing/mod.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
 * await server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content: "hi" });
 * const [first] = await rest.getMessages(server.channelId, { after: "0" });
 * assert(first.content === "hi");
 * ```
 */
export class DiscordRest {
  readonly #options: DiscordRestOptions;
  readonly #apiUrl: string;
  readonly #policy: RetryPolicy;
  readonly #secrets: readonly string[];
  #lib: typeof Lib | undefined;
  #client: Promise<Lib.REST> | undefined;

  /** @param options Token, API base, retry policy, log and fix hooks, transport. */
  constructor(options: DiscordRestOptions) {
    this.#options = options;
    this.#apiUrl = apiBase(options.apiUrl);
    this.#policy = { ...DEFAULT_RETRY, ...options.retry };
    this.#secrets = [options.token ?? "", ...(options.secrets ?? [])].filter((s) => s !== "");
  }

  /**
   * Sends one call and returns the parsed JSON answer.
   *
   * @param method HTTP method.
   * @param path A path under `/v10`, e.g. `/channels/1/messages`.
   * @param call What it does (for errors), body, files, query, auth.
   * @returns The JSON body (`undefined` for 204).
   * @throws {DiscordApiError} On a 4xx answer: `Cannot <what>: Discord answered <status>
   * <message> (code <code>): <fix>`.
   * @throws {DiscordUnreachableError} When Discord stays unreachable: `Cannot <what>: <what
   * Discord did>: <what to do>`.
   */
  async request<T = unknown>(method: RestMethod, path: string, call: RestCall): Promise<T> {
    const answer = await this.answer<T>(method, path, call);
    if (answer.ok) return answer.body;
    throw refused(call.what, answer, this.#options.fixFor?.(answer.status, answer.code));
  }

  /**
   * Sends one call and returns Discord's answer, a refusal included (for callers that act on
   * Discord's error codes or phrase their own sentence).
   *
   * @param method HTTP method.
   * @param path A path under `/v10`.
   * @param call What it does, body, files, query, auth.
   * @returns The JSON body, or the 4xx refusal.
   * @throws {DiscordUnreachableError} When Discord stays unreachable.
   */
  async answer<T = unknown>(method: RestMethod, path: string, call: RestCall): Promise<Answer<T>> {
    if (call.auth !== false && !this.#options.token) {
      throw new TypeError(`Cannot ${call.what}: the call needs a bot token`);
    }
    const client = await this.#rest();
    const deadline = Date.now() + this.#policy.budgetMs;
    const budget = `${round(this.#policy.budgetMs / 1000)} s`;
    let last: Trouble | undefined;
    for (let attempt = 1;; attempt++) {
      let trouble: Trouble | Answer<T>;
      try {
        return { ok: true, body: await this.#attempt<T>(client, method, path, call, deadline) };
      } catch (err) {
        trouble = this.#answerOf<T>(err, call.what, budget, last);
      }
      if ("ok" in trouble) return trouble;
      last = trouble;
      if (attempt >= this.#policy.maxAttempts) {
        throw outOfAttempts(call.what, trouble, attempt, this.#options.unreachableFix);
      }
      const ms = this.#backoff(attempt);
      if (Date.now() + ms > deadline) throw backoffPastBudget(call.what, trouble, ms, budget);
      this.#options.onWait?.(this.#scrub(`${call.what}: ${trouble.why}`), ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }

  /** The library's client, built at the first call. */
  #rest(): Promise<Lib.REST> {
    return this.#client ??= loadRestLibrary().then((lib) => {
      this.#lib = lib;
      return new lib.REST({
        api: this.#apiUrl,
        version: "10",
        timeout: this.#policy.timeoutMs,
        // The library retries 5xx answers and timeouts at once, and refused connections not at
        // all: an outage outlasts immediate retries. `answer` retries instead, with backoff.
        retries: 0,
        // Called before every rate-limit wait; a wait longer than a whole call's budget fails at
        // once instead of sleeping (the budget would end the call anyway, mid-wait).
        rejectOnRateLimit: (limit) => {
          const ms = Math.max(limit.timeToReset, limit.sublimitTimeout);
          this.#options.onWait?.(
            this.#scrub(
              `${limit.method.toUpperCase()} ${limit.route}: rate limited${
                limit.global ? " (global)" : ""
              }`,
            ),
            ms,
          );
          return ms > this.#policy.budgetMs;
        },
        ...(this.#options.fetch
          ? { makeRequest: this.#options.fetch as unknown as Lib.RESTOptions["makeRequest"] }
          : {}),
      });
    });
  }

  /**
   * One attempt, within what is left of the call's budget. The library does not stop a
   * rate-limit wait when its signal aborts (only the request after it), so the budget is a
   * timer raced against the attempt; the abort keeps the request from going out after it.
   */
  async #attempt<T>(
    client: Lib.REST,
    method: RestMethod,
    path: string,
    call: RestCall,
    deadline: number,
  ): Promise<T> {
    const left = deadline - Date.now();
    if (left <= 0) throw OUT_OF_TIME;
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outOfTime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        stop.abort();
        reject(OUT_OF_TIME);
      }, left);
    });
    const auth = call.auth !== false;
    // The library forgets the token after a 401 (its later calls fail without asking
    // Discord); each call here gets Discord's own answer.
    if (auth) client.setToken(this.#options.token!);
    const query = Object.entries(call.query ?? {}).filter(([, v]) => v !== undefined);
    const sent = client.request({
      method: method as Lib.RequestMethod,
      fullRoute: path as Lib.RouteLike,
      auth,
      signal: stop.signal,
      ...(call.body !== undefined ? { body: call.body } : {}),
      ...(call.files ? { files: call.files } : {}),
      ...(query.length > 0
        ? { query: new URLSearchParams(query.map(([k, v]) => [k, String(v)])) }
        : {}),
    });
    sent.catch(() => {}); // settles after the budget when a rate-limit wait outlasts it
    try {
      const body = await Promise.race([sent, outOfTime]);
      return (body instanceof ArrayBuffer ? undefined : body) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * What a failed attempt means: Discord's refusal (an answer), a trouble worth another
   * attempt, or the end of the call (thrown).
   */
  #answerOf<T>(
    err: unknown,
    what: string,
    budget: string,
    last: Trouble | undefined,
  ): Trouble | Answer<T> {
    const lib = this.#lib!;
    if (err instanceof lib.DiscordAPIError) return { ok: false, ...refusalOf(err, this.#secrets) };
    if (err instanceof lib.HTTPError) return serverTrouble(err, this.#secrets);
    if (err instanceof lib.RateLimitError) throw rateLimitPastBudget(what, err, budget);
    if (err === OUT_OF_TIME) {
      throw noAnswerInBudget(what, budget, last, this.#options.unreachableFix);
    }
    return networkTrouble(err, this.#policy.timeoutMs, this.#secrets);
  }

  /**
   * The delay before attempt `failures + 1`: capped exponential with "equal jitter" (half
   * fixed, half random, so that many clients retrying after one outage spread out).
   */
  #backoff(failures: number): number {
    const { baseDelayMs, maxDelayMs } = this.#policy;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }

  #scrub(text: string): string {
    return scrub(text, this.#secrets);
  }

  /**
   * Reads up to `limit` messages of a channel after a message id, oldest first.
   *
   * @param channelId Channel or thread.
   * @param options `after` (exclusive; "0" = from the start) and `limit` (1–100, default 100).
   * @returns The messages, in ascending id order.
   */
  async getMessages(
    channelId: string,
    options: { after: string; limit?: number },
  ): Promise<RawMessage[]> {
    const page = await this.request<RawMessage[]>("GET", `/channels/${channelId}/messages`, {
      what: `read the messages of channel ${channelId}`,
      query: { after: options.after, limit: options.limit ?? 100 },
    });
    return [...(page ?? [])].sort((a, b) => compareIds(a.id, b.id));
  }

  /**
   * Reads one message (its attachments with freshly signed URLs).
   *
   * @param channelId Channel or thread.
   * @param messageId The message.
   * @returns The message.
   */
  async getMessage(channelId: string, messageId: string): Promise<RawMessage> {
    return await this.request<RawMessage>("GET", `/channels/${channelId}/messages/${messageId}`, {
      what: `read message ${messageId} of channel ${channelId}`,
    });
  }

  /**
   * Reads where to connect to the gateway and the token's IDENTIFY budget.
   *
   * @returns The gateway URL and `session_start_limit`.
   */
  async getGatewayBot(): Promise<RawGatewayBot> {
    return await this.request<RawGatewayBot>("GET", "/gateway/bot", {
      what: "read the gateway's address (GET /gateway/bot)",
    });
  }

  /**
   * Reads a channel or thread.
   *
   * @param channelId The id.
   * @returns The channel.
   */
  async getChannel(channelId: string): Promise<RawChannel> {
    return await this.request<RawChannel>("GET", `/channels/${channelId}`, {
      what: `read channel ${channelId}`,
    });
  }

  /**
   * Lists the active threads of a guild.
   *
   * @param guildId The guild.
   * @returns The threads.
   */
  async getActiveThreads(guildId: string): Promise<RawChannel[]> {
    const res = await this.request<{ threads?: RawChannel[] }>(
      "GET",
      `/guilds/${guildId}/threads/active`,
      { what: `list the active threads of guild ${guildId}` },
    );
    return res?.threads ?? [];
  }

  /**
   * Reads a webhook by its URL, without the bot token (to learn its channel), at the API base
   * the URL names (`/v10` whether or not the URL has a version).
   *
   * @param webhookUrl `…/webhooks/{id}/{token}`.
   * @returns Its id, channel and guild.
   */
  async getWebhook(
    webhookUrl: string,
  ): Promise<{ id: string; channel_id: string; guild_id?: string; name?: string }> {
    const w = parseWebhookUrl(webhookUrl);
    const base = apiBase(w.base);
    const client = base === this.#apiUrl ? this : new DiscordRest({
      apiUrl: base,
      retry: this.#policy,
      secrets: [w.token],
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    });
    return await client.request("GET", `/webhooks/${w.id}/${w.token}`, {
      what: `read webhook ${w.id}`,
      auth: false,
    });
  }

  /**
   * Posts a message as the bot (e.g. a permission prompt with buttons).
   *
   * @param channelId Channel or thread.
   * @param body Discord's message body (`content`, `embeds`, `components`, `allowed_mentions`, …).
   * @returns The created message.
   */
  async createMessage(channelId: string, body: Record<string, unknown>): Promise<RawMessage> {
    return await this.request<RawMessage>("POST", `/channels/${channelId}/messages`, {
      what: `post to channel ${channelId}`,
      body,
    });
  }

  /**
   * Edits a message the bot posted (e.g. to disable a prompt's buttons once answered).
   *
   * @param channelId Channel or thread.
   * @param messageId The message.
   * @param body Fields to change.
   * @returns The edited message.
   */
  async editMessage(
    channelId: string,
    messageId: string,
    body: Record<string, unknown>,
  ): Promise<RawMessage> {
    return await this.request<RawMessage>(
      "PATCH",
      `/channels/${channelId}/messages/${messageId}`,
      { what: `edit message ${messageId}`, body },
    );
  }

  /**
   * Answers an interaction (within 3 s of it; type 6 = deferred update, no visible change).
   *
   * @param interactionId The interaction.
   * @param token Its token.
   * @param body `{type: DeferredMessageUpdate}`, or `{type: ChannelMessageWithSource, data:
   * {content, flags: Ephemeral}}` for an ephemeral reply (discord-api-types' names).
   */
  async interactionCallback(
    interactionId: string,
    token: string,
    body: { type: InteractionResponseType; data?: Record<string, unknown> },
  ): Promise<void> {
    await this.request("POST", `/interactions/${interactionId}/${token}/callback`, {
      what: `answer interaction ${interactionId}`,
      body,
      auth: false,
    });
  }
}

/** A REST base without a trailing slash or version: `https://discord.com/api`. */
function apiBase(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v[0-9]+$/, "");
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
