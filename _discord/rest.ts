// Private: the REST client on Discord's JSON, with retries and 429 handling (on top of
// http.ts), plus snowflake helpers. It never loads the gateway library (gateway.ts).
import {
  DEFAULT_RETRY,
  DiscordHttp,
  DiscordUnreachableError,
  type GaveUp,
  type RetryPolicy,
  routeOf,
} from "./http.ts";
import { parseWebhookUrl } from "../config.ts";
import { DiscordApiError } from "../errors.ts";
import type { RawChannel, RawMessage } from "./raw.ts";

/** Options of {@linkcode DiscordRest}. */
export interface DiscordRestOptions {
  /** Bot token. */
  token: string;
  /** REST base without version (`DISCORD_API_URL`). */
  apiUrl: string;
  /** fetch, for tests. */
  fetch?: typeof fetch;
  /** Clock, ms. */
  now?: () => number;
  /** Randomness in [0, 1). */
  random?: () => number;
  /** Sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Retry budget and backoff (see `http.ts`). */
  retry?: Partial<RetryPolicy>;
  /** Told before every wait for a rate limit or a retry (for a log). */
  onWait?: (what: string, ms: number) => void;
  /**
   * The fix to name after a 4xx answer (`give the bot …`), or `undefined` for none; the
   * sentence is `Cannot <what>: Discord answered <status> <message> (code <code>): <fix>`.
   */
  fixFor?: (status: number, code: number | undefined) => string | undefined;
}

/** One request of {@linkcode DiscordRest.request}. */
export interface RestCall {
  /** What the call does, for error messages: "read messages of channel 123". */
  what: string;
  /** JSON body. */
  body?: unknown;
  /** A multipart body instead (built again for every attempt). */
  form?: () => FormData;
  /** Query parameters (`undefined` values are left out). */
  query?: Record<string, string | number | undefined>;
  /** Send the bot token (default true). */
  auth?: boolean;
  /** Rate-limit route key; default derived from the path. */
  route?: string;
}

/**
 * A REST client for the few routes this package uses, on Discord's JSON. Honours 429
 * (`retry_after`, `Retry-After`, `X-RateLimit-Reset-After`, global or per route), waits out
 * exhausted buckets, and retries 5xx answers and network errors with capped exponential
 * backoff and jitter within a time budget. Errors are {@linkcode DiscordApiError}s whose
 * messages hold no token.
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
  readonly #http: DiscordHttp;
  readonly #token: string;
  readonly #base: string;
  readonly #fixFor: DiscordRestOptions["fixFor"];

  /** @param options Token, API base, injectable transport, clock and retry policy. */
  constructor(options: DiscordRestOptions) {
    this.#token = options.token;
    this.#base = `${options.apiUrl.replace(/\/+$/, "")}/v10`;
    this.#fixFor = options.fixFor;
    this.#http = new DiscordHttp(
      {
        fetch: options.fetch ?? ((input, init) => fetch(input, init)),
        now: options.now ?? Date.now,
        random: options.random ?? Math.random,
        sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
        ...(options.onWait ? { onWait: options.onWait } : {}),
      },
      { ...DEFAULT_RETRY, ...options.retry },
      [options.token],
    );
  }

  /**
   * Sends one request and returns the parsed JSON answer.
   *
   * @param method HTTP method.
   * @param pathOrUrl A path under `/v10` (`/channels/1/messages`) or a full URL.
   * @param call What it does (for errors), body or form, query, auth, route key.
   * @returns The JSON body (`undefined` for 204).
   * @throws {DiscordApiError} On a 4xx answer, or when Discord stays unreachable; the
   * message is one sentence: `Cannot <what>: <what Discord did>: <what to do>`.
   */
  async request<T = unknown>(method: RestMethod, pathOrUrl: string, call: RestCall): Promise<T> {
    let url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${this.#base}${pathOrUrl}`;
    const query = Object.entries(call.query ?? {}).filter(([, v]) => v !== undefined);
    if (query.length > 0) {
      const params = new URLSearchParams(query.map(([k, v]) => [k, String(v)]));
      url += `${url.includes("?") ? "&" : "?"}${params}`;
    }
    let res;
    try {
      res = await this.#http.request({
        method,
        url,
        route: call.route ?? routeOf(method, pathOrUrl),
        body: call.body,
        ...(call.form ? { form: call.form } : {}),
        authorization: call.auth === false ? undefined : `Bot ${this.#token}`,
      });
    } catch (err) {
      if (err instanceof DiscordUnreachableError) {
        throw new DiscordApiError(unreachable(call.what, err.gaveUp), err.status, undefined, {
          cause: err,
        });
      }
      throw err;
    }
    if (res.status >= 200 && res.status < 300) return res.body as T;
    const detail = fieldErrors((res.body as { errors?: unknown } | undefined)?.errors);
    const fix = this.#fixFor?.(res.status, res.code);
    throw new DiscordApiError(
      `Cannot ${call.what}: Discord answered ${res.status}${res.message ? ` ${res.message}` : ""}${
        res.code ? ` (code ${res.code})` : ""
      }${detail ? ` [${detail}]` : ""}${fix ? `: ${fix}` : ""}`,
      res.status,
      res.code,
    );
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
    const limit = options.limit ?? 100;
    const page = await this.request<RawMessage[]>(
      "GET",
      `/channels/${channelId}/messages?after=${options.after}&limit=${limit}`,
      { what: `read the messages of channel ${channelId}` },
    );
    return [...(page ?? [])].sort((a, b) => compareIds(a.id, b.id));
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
   * Reads a webhook by its URL, without the bot token (to learn its channel).
   *
   * @param webhookUrl `…/webhooks/{id}/{token}`.
   * @returns Its id, channel and guild.
   */
  async getWebhook(
    webhookUrl: string,
  ): Promise<{ id: string; channel_id: string; guild_id?: string }> {
    const w = parseWebhookUrl(webhookUrl);
    return await this.request("GET", `${w.base}/webhooks/${w.id}/${w.token}`, {
      what: `read webhook ${w.id}`,
      auth: false,
      route: `webhook:${w.id}`,
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
   * @param body `{type: 6}`, or `{type: 4, data: {content, flags: 64}}` for an ephemeral reply.
   */
  async interactionCallback(
    interactionId: string,
    token: string,
    body: { type: number; data?: Record<string, unknown> },
  ): Promise<void> {
    await this.request("POST", `/interactions/${interactionId}/${token}/callback`, {
      what: `answer interaction ${interactionId}`,
      body,
      auth: false,
      route: `interaction:${interactionId}`,
      // An answer after 3 s is useless: do not let retries stretch it.
    });
  }
}

/** HTTP methods of {@linkcode DiscordRest.request}. */
export type RestMethod = "GET" | "POST" | "PATCH" | "DELETE" | "PUT";

/** The sentence for a request that gave up: what went wrong, and what to do. */
function unreachable(what: string, g: GaveUp): string {
  if (g.attempts > 0) {
    return g.status === 0
      ? `Cannot ${what}: ${g.why} after ${g.attempts} attempts: check DISCORD_API_URL and the network`
      : `Cannot ${what}: ${g.why} ${g.attempts} times in a row: try again later`;
  }
  return `Cannot ${what}: ${g.why}, and waiting ${
    Math.ceil(g.waitMs / 1000)
  } s more would pass the ${Math.round(g.budgetMs / 1000)} s budget: try again later`;
}

/** Discord's per-field complaints of a 400 (`{errors: {content: {_errors: [...]}}}`), joined. */
function fieldErrors(errors: unknown, path = ""): string {
  if (errors === null || typeof errors !== "object") return "";
  const out: string[] = [];
  for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
    if (key === "_errors" && Array.isArray(value)) {
      for (const e of value) {
        const msg = (e as { message?: unknown })?.message;
        if (typeof msg === "string") out.push(path ? `${path}: ${msg}` : msg);
      }
    } else {
      const sub = fieldErrors(value, path ? `${path}.${key}` : key);
      if (sub) out.push(sub);
    }
  }
  return out.join("; ");
}

/**
 * Compares two snowflakes numerically.
 *
 * @param a A snowflake.
 * @param b Another.
 * @returns Negative, zero or positive, as for `Array.prototype.sort`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareIds } from "./rest.ts";
 * assert(compareIds("9", "10") < 0);
 * ```
 */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The snowflake of a moment (the smallest id Discord could give at that time).
 *
 * @param ms Milliseconds since the Unix epoch.
 * @returns The snowflake, as a decimal string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snowflakeAt, timeOfSnowflake } from "./rest.ts";
 * const t = Date.UTC(2025, 0, 1);
 * assert(timeOfSnowflake(snowflakeAt(t)) === t);
 * ```
 */
export function snowflakeAt(ms: number): string {
  return ((BigInt(Math.max(0, Math.floor(ms) - DISCORD_EPOCH))) << 22n).toString();
}

/**
 * The creation time of a snowflake.
 *
 * @param id A snowflake.
 * @returns Milliseconds since the Unix epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeOfSnowflake } from "./rest.ts";
 * assert(timeOfSnowflake("175928847299117063") === 1462015105796);
 * ```
 */
export function timeOfSnowflake(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

const DISCORD_EPOCH = 1420070400000;
