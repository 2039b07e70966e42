// Private: the MCP server's Discord REST client: `fetch`, `Authorization: Bot <token>`,
// `${apiUrl}/v10`, JSON or multipart bodies, 429 `retry_after` honoured, 5xx and network
// errors retried a few times, every failure turned into one DiscordApiError sentence.
import { DiscordApiError } from "./errors.ts";

/** Injectable transport and time. */
export interface RestDeps {
  /** The fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Waits `ms` milliseconds. Default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** A number in [0, 1), for backoff jitter. Default `Math.random`. */
  random?: () => number;
}

/** Options of {@linkcode DiscordRest}. */
export interface RestOptions extends RestDeps {
  /** REST base without the version, e.g. `https://discord.com/api`. */
  apiUrl: string;
  /** The bot token (never logged, never in an error). */
  token: string;
  /** Longest total wait for rate limits and retries of one request. Default 60 000 ms. */
  budgetMs?: number;
  /** Most attempts after 5xx answers or network errors. Default 3. */
  maxAttempts?: number;
  /** Aborts one attempt after this long. Default 20 000 ms. */
  timeoutMs?: number;
  /** Called whenever the client waits (for the log). */
  onWait?: (what: string, ms: number) => void;
}

/** One request. */
export interface RestRequest {
  /** HTTP method. */
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path under `/v10`, starting with `/`. */
  path: string;
  /** Query parameters. */
  query?: Record<string, string | number | undefined>;
  /** JSON body. */
  json?: unknown;
  /** Builds a multipart body (called once per attempt, so retries send it again). */
  form?: () => FormData;
  /** Rate-limit route key; default: the path with ids after the first one replaced. */
  route?: string;
  /** What is being done, for error messages, e.g. `send a message to channel 123`. */
  action: string;
  /** Skip the bot token (webhook routes carry their own secret). */
  unauthenticated?: boolean;
}

interface Bucket {
  remaining?: number;
  resetAt: number;
}

/** A small REST client for the MCP server. One per process; requests may run concurrently. */
export class DiscordRest {
  readonly #base: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #budgetMs: number;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #onWait: (what: string, ms: number) => void;
  readonly #buckets = new Map<string, Bucket>();
  #globalUntil = 0;

  constructor(options: RestOptions) {
    this.#base = `${options.apiUrl.replace(/\/+$/, "")}/v10`;
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#sleep = options.sleep ??
      ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#budgetMs = options.budgetMs ?? 60_000;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#timeoutMs = options.timeoutMs ?? 20_000;
    this.#onWait = options.onWait ?? (() => {});
  }

  /**
   * Sends a request and returns the parsed JSON answer (`undefined` for 204).
   *
   * @throws {DiscordApiError} on a 4xx answer, or when the budget or attempts run out.
   */
  async request<T = unknown>(req: RestRequest): Promise<T> {
    const route = req.route ?? routeOf(req.method, req.path);
    const start = this.#now();
    let failures = 0;
    const wait = async (ms: number, why: string, status: number): Promise<void> => {
      if (ms <= 0) return;
      const spent = this.#now() - start;
      if (spent + ms > this.#budgetMs) {
        throw new DiscordApiError(
          `Cannot ${req.action}: ${why}, and waiting ${
            Math.ceil(ms / 1000)
          } s more would pass the ${Math.round(this.#budgetMs / 1000)} s budget: try again later`,
          status,
          status === 429 ? 429 : undefined,
        );
      }
      this.#onWait(`${req.method} ${route}: ${why}`, ms);
      await this.#sleep(ms);
    };
    for (;;) {
      await wait(this.#readyIn(route), "Discord's rate limit is exhausted", 429);
      let res: Response;
      let text: string;
      try {
        res = await this.#send(req);
        text = await res.text();
      } catch (err) {
        failures++;
        const why = `Discord could not be reached (${describeNetworkError(err, this.#timeoutMs)})`;
        if (failures >= this.#maxAttempts) {
          throw new DiscordApiError(
            `Cannot ${req.action}: ${why} after ${failures} attempts: check DISCORD_API_URL and the network`,
            0,
            undefined,
            { cause: err },
          );
        }
        await wait(this.#backoff(failures), why, 0);
        continue;
      }
      this.#learn(route, res.headers);
      const body = parseJson(text);
      const obj = body !== null && typeof body === "object" ? body as Record<string, unknown> : {};
      if (res.status === 429) {
        const seconds = typeof obj.retry_after === "number"
          ? obj.retry_after
          : headerNumber(res.headers, "retry-after") ??
            headerNumber(res.headers, "x-ratelimit-reset-after") ?? 1;
        const ms = Math.ceil(seconds * 1000) + 5;
        const global = obj.global === true || res.headers.get("x-ratelimit-global") === "true" ||
          res.headers.get("x-ratelimit-scope") === "global";
        if (global) this.#globalUntil = Math.max(this.#globalUntil, this.#now() + ms);
        const bucket = this.#bucket(route);
        bucket.remaining = 0;
        bucket.resetAt = Math.max(bucket.resetAt, this.#now() + ms);
        await wait(ms, `Discord answered 429 (rate limited${global ? ", global" : ""})`, 429);
        continue;
      }
      if (res.status >= 500) {
        failures++;
        const why = `Discord answered ${res.status} ${res.statusText}`.trim();
        if (failures >= this.#maxAttempts) {
          throw new DiscordApiError(
            `Cannot ${req.action}: ${why} ${failures} times in a row: try again later`,
            res.status,
          );
        }
        await wait(this.#backoff(failures), why, res.status);
        continue;
      }
      if (res.status >= 400) throw apiError(req.action, res.status, obj);
      return body as T;
    }
  }

  async #send(req: RestRequest): Promise<Response> {
    const url = new URL(`${this.#base}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {
      "user-agent": "DiscordBot (https://github.com/x/claude-discord, 0.1.0)",
    };
    if (!req.unauthenticated) headers.authorization = `Bot ${this.#token}`;
    let body: BodyInit | undefined;
    if (req.form) body = req.form();
    else if (req.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(req.json);
    }
    const signal = AbortSignal.timeout(this.#timeoutMs);
    return await this.#fetch(url, { method: req.method, headers, body, signal });
  }

  #backoff(failures: number): number {
    const ceiling = Math.min(4000, 250 * 2 ** (failures - 1));
    return Math.round(ceiling / 2 + this.#random() * ceiling / 2);
  }

  #bucket(route: string): Bucket {
    let b = this.#buckets.get(route);
    if (!b) {
      b = { resetAt: 0 };
      this.#buckets.set(route, b);
    }
    return b;
  }

  #readyIn(route: string): number {
    const now = this.#now();
    let ms = Math.max(0, this.#globalUntil - now);
    const b = this.#buckets.get(route);
    if (b && b.remaining === 0) {
      if (b.resetAt > now) ms = Math.max(ms, b.resetAt - now);
      else b.remaining = undefined;
    }
    return ms;
  }

  #learn(route: string, headers: Headers): void {
    const remaining = headerNumber(headers, "x-ratelimit-remaining");
    const resetAfter = headerNumber(headers, "x-ratelimit-reset-after");
    if (remaining === undefined && resetAfter === undefined) return;
    const b = this.#bucket(route);
    if (remaining !== undefined) b.remaining = remaining;
    if (resetAfter !== undefined) b.resetAt = this.#now() + Math.ceil(resetAfter * 1000) + 5;
  }
}

/** The rate-limit route of a request: major parameter (channel id) kept, other ids masked. */
export function routeOf(method: string, path: string): string {
  let seenMajor = false;
  const parts = path.split("/").map((part, i, all) => {
    if (!/^[0-9]{15,21}$/.test(part)) return part;
    if (!seenMajor && (all[i - 1] === "channels" || all[i - 1] === "webhooks")) {
      seenMajor = true;
      return part;
    }
    return ":id";
  });
  return `${method} ${parts.join("/").replace(/\/reactions\/[^/]+/, "/reactions/:emoji")}`;
}

function apiError(action: string, status: number, body: Record<string, unknown>): DiscordApiError {
  const code = typeof body.code === "number" ? body.code : undefined;
  const said = typeof body.message === "string" ? body.message : "";
  const detail = fieldErrors(body.errors);
  const answer = `Discord answered ${status}${said ? ` ${said}` : ""}${
    code !== undefined ? ` (code ${code})` : ""
  }${detail ? ` [${detail}]` : ""}`;
  const fix = status === 401
    ? "the bot token is not valid: run `deno task setup`"
    : code === 50013 || code === 50001 || status === 403
    ? "give the bot View Channel, Send Messages, Send Messages in Threads, Read Message History, Add Reactions and Attach Files in this channel"
    : code === 10008
    ? "check the message id and the channel_id it was posted in (use fetch_messages)"
    : code === 10003
    ? "check the channel id"
    : code === 50005
    ? "only messages the bot posted can be edited"
    : code === 40005
    ? "the file is too large for this server: send a smaller one"
    : code === 10014
    ? "use a unicode emoji like 👍 or a custom one as name:id"
    : "check the arguments";
  return new DiscordApiError(`Cannot ${action}: ${answer}: ${fix}`, status, code);
}

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

function headerNumber(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/https?:\/\/\S+/g, "<url>").slice(0, 160);
}
