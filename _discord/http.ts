// Private: a small rate-limit-aware Discord REST client built on `fetch`.
//
// It honours 429 answers (`retry_after` in the body, `Retry-After`, `X-RateLimit-Reset-After`;
// global vs per-route), waits pre-emptively when a bucket reports `X-RateLimit-Remaining: 0`,
// and retries 5xx answers and network errors with capped exponential backoff and jitter. Every
// request has a time budget; past it the request fails with `DiscordUnreachableError` so the
// caller can spool. Secrets (webhook tokens, the bot token) never appear in its messages
// (log.ts `scrub`). Bodies are JSON or multipart (rebuilt for every attempt).
import { scrub } from "../log.ts";

/** Injectable time, randomness and transport. */
export interface HttpDeps {
  /** The fetch implementation. */
  fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** A number in [0, 1). */
  random: () => number;
  /** Waits `ms` milliseconds. */
  sleep: (ms: number) => Promise<void>;
  /** Told before every wait: `route: why`, and how long (for a log). */
  onWait?: (what: string, ms: number) => void;
}

/** Retry tunables. */
export interface RetryPolicy {
  /** Longest time one request may spend waiting and retrying before it fails. */
  budgetMs: number;
  /** Most attempts after 5xx answers or network errors. */
  maxAttempts: number;
  /** First backoff delay. */
  baseDelayMs: number;
  /** Backoff cap. */
  maxDelayMs: number;
  /** Abort one attempt after this long. */
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

/** One request. */
export interface DiscordRequest {
  /** HTTP method. */
  method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  /** Full URL (may hold secrets: never shown). */
  url: string;
  /** Rate-limit route key, e.g. `webhook:123`; free of secrets. */
  route: string;
  /** JSON body. */
  body?: unknown;
  /** Builds a multipart body instead (called once per attempt, so a retry sends it again). */
  form?: () => FormData;
  /** `Authorization` header value. */
  authorization?: string;
}

/** A final answer: 2xx or a non-retryable 4xx. */
export interface DiscordResponse {
  /** HTTP status. */
  status: number;
  /** Parsed JSON body, or `undefined` when empty or not JSON. */
  body: unknown;
  /** Discord's JSON error code, when the body has one. */
  code: number | undefined;
  /** Discord's error message, when the body has one. */
  message: string | undefined;
}

/** Why a request gave up, for a sentence: see {@linkcode DiscordUnreachableError}. */
export interface GaveUp {
  /** Last HTTP status seen, or 0 for a network error. */
  status: number;
  /** The last trouble, as a clause: `Discord answered 500 Internal Server Error`. */
  why: string;
  /** Failed attempts in a row, when it gave up on the attempt count (else 0). */
  attempts: number;
  /** The wait that would have passed the budget, when it gave up on time (else 0). */
  waitMs: number;
  /** The budget. */
  budgetMs: number;
}

/** Discord could not be reached within the budget (network errors, 5xx, or long 429s). */
export class DiscordUnreachableError extends Error {
  /** Last HTTP status seen, or 0 for a network error. */
  readonly status: number;
  /** The details, for callers that phrase their own sentence. */
  readonly gaveUp: GaveUp;
  /**
   * @param message What happened, without secrets.
   * @param gaveUp Last status, last trouble, attempts or the wait past the budget.
   */
  constructor(message: string, gaveUp: GaveUp) {
    super(message);
    this.name = "DiscordUnreachableError";
    this.status = gaveUp.status;
    this.gaveUp = gaveUp;
  }
}

interface RawAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

interface Bucket {
  remaining: number | undefined;
  resetAt: number;
}

/**
 * The rate-limit route of a request: the major parameter (the channel, guild or webhook id)
 * is kept; other ids, a webhook's token and a reaction's emoji are masked; the host and the
 * query are dropped.
 */
export function routeOf(method: string, pathOrUrl: string): string {
  const clean = pathOrUrl.replace(/^https?:\/\/[^/]+/, "").split("?")[0];
  const parts = clean.split("/");
  const major = parts.findIndex((p) => p === "channels" || p === "guilds" || p === "webhooks");
  return `${method} ${
    parts.map((p, i) => (/^[0-9]{5,}$/.test(p) && i !== major + 1 ? ":id" : p)).join("/")
      .replace(/(\/webhooks\/[^/]+\/)[^/]+/, "$1:token")
      .replace(/\/reactions\/[^/]+/, "/reactions/:emoji")
  }`;
}

function headerSeconds(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A rate-limit-aware client; one per notifier, shared by all its requests. */
export class DiscordHttp {
  #deps: HttpDeps;
  #policy: RetryPolicy;
  #secrets: readonly string[];
  #globalUntil = 0;
  #routeBucket = new Map<string, string>();
  #buckets = new Map<string, Bucket>();

  /**
   * @param deps Transport, clock, randomness and sleep.
   * @param policy Retry tunables.
   * @param secrets Strings to scrub from every message.
   */
  constructor(deps: HttpDeps, policy: RetryPolicy, secrets: readonly string[]) {
    this.#deps = deps;
    this.#policy = policy;
    this.#secrets = secrets;
  }

  /**
   * Sends `req`, waiting and retrying as needed.
   *
   * @returns The answer for 2xx and non-retryable 4xx statuses.
   * @throws {DiscordUnreachableError} when the budget or attempts run out.
   */
  async request(req: DiscordRequest): Promise<DiscordResponse> {
    const { now, sleep } = this.#deps;
    const { budgetMs, maxAttempts } = this.#policy;
    const start = now();
    let slept = 0;
    let failures = 0;
    let lastStatus = 0;
    // The last trouble, for the message (`reason`) and as a clause for callers (`why`).
    let reason = "";
    let why = "Discord's rate limit is exhausted";
    const spent = () => Math.max(now() - start, slept);
    const giveUp = (message: string, attempts: number, waitMs: number) =>
      new DiscordUnreachableError(message, {
        status: lastStatus,
        why,
        attempts,
        waitMs,
        budgetMs,
      });
    const wait = async (ms: number): Promise<void> => {
      if (ms <= 0) return;
      if (spent() + ms > budgetMs) {
        throw giveUp(`gave up after ${Math.round(spent())} ms (${reason || "rate limit"})`, 0, ms);
      }
      this.#deps.onWait?.(`${req.route}: ${why}`, ms);
      slept += ms;
      await sleep(ms);
    };
    const failed = async (status: number): Promise<void> => {
      failures++;
      lastStatus = status;
      if (failures >= maxAttempts) {
        throw giveUp(`gave up after ${failures} attempts (${reason})`, failures, 0);
      }
      await wait(this.#backoff(failures));
    };

    for (let attempt = 0;; attempt++) {
      await wait(this.#readyIn(req.route));
      let res: RawAnswer;
      try {
        res = await this.#fetchOnce(req);
      } catch (err) {
        const detail = this.#describe(err);
        reason = `network error: ${detail}`;
        why = `Discord is unreachable (${detail})`;
        await failed(0);
        continue;
      }
      this.#learn(req.route, res.headers);
      const body = parseJson(res.text);
      const obj = (body && typeof body === "object") ? body as Record<string, unknown> : {};
      if (res.status === 429) {
        lastStatus = 429;
        const after = typeof obj.retry_after === "number"
          ? obj.retry_after
          : headerSeconds(res.headers, "x-ratelimit-reset-after") ??
            headerSeconds(res.headers, "retry-after") ?? 1;
        const ms = Math.ceil(after * 1000) + 10;
        const global = obj.global === true || res.headers.get("x-ratelimit-global") === "true" ||
          res.headers.get("x-ratelimit-scope") === "global";
        const bucket = this.#bucketFor(req.route);
        if (global) this.#globalUntil = Math.max(this.#globalUntil, now() + ms);
        else bucket.resetAt = Math.max(bucket.resetAt, now() + ms);
        bucket.remaining = 0;
        reason = `429 rate limited${global ? " (global)" : ""}`;
        why = `Discord answered 429 (rate limited${global ? ", global" : ""})`;
        if (attempt > 1000) throw giveUp(`too many 429 answers`, attempt, 0);
        // The wait happens at the top of the loop via #readyIn, against the budget.
        if (spent() + ms > budgetMs) {
          throw giveUp(
            `Discord asked to wait ${ms} ms, past the retry budget (${reason})`,
            0,
            ms,
          );
        }
        continue;
      }
      if (res.status >= 500) {
        reason = `${res.status} ${res.statusText || "server error"}`.trim();
        why = `Discord answered ${reason}`;
        await failed(res.status);
        continue;
      }
      return {
        status: res.status,
        body,
        code: typeof obj.code === "number" ? obj.code : undefined,
        message: typeof obj.message === "string" ? this.#scrub(obj.message) : undefined,
      };
    }
  }

  #scrub(text: string): string {
    return scrub(text, this.#secrets);
  }

  #describe(err: unknown): string {
    if (err instanceof DOMException && err.name === "AbortError") {
      return `no answer within ${this.#policy.timeoutMs} ms`;
    }
    const msg = err instanceof Error ? err.message : String(err);
    // Deno's fetch errors quote the URL; keep only the tail after the last colon.
    const tail = msg.includes("): ") ? msg.slice(msg.lastIndexOf("): ") + 3) : msg;
    return this.#scrub(tail).slice(0, 200);
  }

  async #fetchOnce(req: DiscordRequest): Promise<RawAnswer> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#policy.timeoutMs);
    try {
      const headers: Record<string, string> = {
        "user-agent": "DiscordBot (https://github.com/x/claude-discord, 0.1.0)",
      };
      let body: BodyInit | undefined;
      if (req.form) body = req.form();
      else if (req.body !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(req.body);
      }
      if (req.authorization) headers.authorization = req.authorization;
      const res = await this.#deps.fetch(req.url, {
        method: req.method,
        headers,
        body,
        signal: controller.signal,
      });
      const text = await res.text();
      return { status: res.status, statusText: res.statusText, headers: res.headers, text };
    } finally {
      clearTimeout(timer);
    }
  }

  #backoff(failures: number): number {
    const { baseDelayMs, maxDelayMs } = this.#policy;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
    // "Equal jitter": half fixed, half random, so retries of many clients spread out.
    return Math.round(ceiling / 2 + this.#deps.random() * ceiling / 2);
  }

  #bucketFor(route: string): Bucket {
    const key = this.#routeBucket.get(route) ?? route;
    let b = this.#buckets.get(key);
    if (!b) {
      b = { remaining: undefined, resetAt: 0 };
      this.#buckets.set(key, b);
    }
    return b;
  }

  /** Milliseconds to wait before a request on `route` may go out. */
  #readyIn(route: string): number {
    const now = this.#deps.now();
    let ms = Math.max(0, this.#globalUntil - now);
    const b = this.#bucketFor(route);
    if (b.remaining === 0 && b.resetAt > now) ms = Math.max(ms, b.resetAt - now);
    if (b.resetAt <= now + ms) b.remaining = undefined;
    return ms;
  }

  #learn(route: string, headers: Headers): void {
    const id = headers.get("x-ratelimit-bucket");
    if (id) {
      const key = `bucket:${id}`;
      if (this.#routeBucket.get(route) !== key) {
        const old = this.#buckets.get(this.#routeBucket.get(route) ?? route);
        this.#routeBucket.set(route, key);
        if (old && !this.#buckets.has(key)) this.#buckets.set(key, old);
      }
    }
    const remaining = headerSeconds(headers, "x-ratelimit-remaining");
    const resetAfter = headerSeconds(headers, "x-ratelimit-reset-after");
    const b = this.#bucketFor(route);
    if (remaining !== undefined) b.remaining = remaining;
    if (resetAfter !== undefined) b.resetAt = this.#deps.now() + Math.ceil(resetAfter * 1000) + 5;
    else if (remaining !== undefined && remaining === 0) {
      const reset = headerSeconds(headers, "x-ratelimit-reset");
      if (reset !== undefined) b.resetAt = Math.ceil(reset * 1000) + 5;
    }
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
