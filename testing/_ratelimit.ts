// Discord-like rate limits: per-route buckets (route + major parameter), a
// global per-bot limit, webhook limits, X-RateLimit-* headers and 429 bodies.

/** One limit: `limit` requests per `windowMs`. */
export interface RateLimitRule {
  /** Requests allowed in one window. */
  limit: number;
  /** Window length in milliseconds (the window starts at its first request). */
  windowMs: number;
}

/**
 * Rate limit settings; each rule can be `false` to switch it off. Defaults follow
 * Discord: global 50/s per bot, webhook executions 5 per 2 s per webhook and
 * 30 per minute per channel, bot message posts 5 per 5 s per channel, bot message
 * edits 5 per 5 s per channel, reactions 1 per 250 ms per channel, other routes 50 per
 * second per route. Discord publishes no per-route numbers (its Rate Limits topic says to
 * read the headers); these are the local server's, chosen from the values Discord's
 * headers commonly announce for these buckets.
 */
export interface RateLimitOptions {
  /** Per bot token, all authenticated routes but interaction callbacks. */
  global?: RateLimitRule | false;
  /** Per webhook (execute). */
  webhook?: RateLimitRule | false;
  /** Per channel, webhook executions (a "shared" limit). */
  webhookChannel?: RateLimitRule | false;
  /** Per channel, `POST /channels/{id}/messages`. */
  messageCreate?: RateLimitRule | false;
  /** Per channel, reaction add/remove. */
  reaction?: RateLimitRule | false;
  /** Per channel, `PATCH /channels/{id}/messages/{id}` (edits of the bot's messages). */
  messageEdit?: RateLimitRule | false;
  /** Any other route, per route and major parameter. */
  default?: RateLimitRule | false;
}

/** The defaults described on {@linkcode RateLimitOptions}. */
export const DEFAULT_RATE_LIMITS: Required<RateLimitOptions> = {
  global: { limit: 50, windowMs: 1000 },
  webhook: { limit: 5, windowMs: 2000 },
  webhookChannel: { limit: 30, windowMs: 60_000 },
  messageCreate: { limit: 5, windowMs: 5000 },
  reaction: { limit: 1, windowMs: 250 },
  messageEdit: { limit: 5, windowMs: 5000 },
  default: { limit: 50, windowMs: 1000 },
};

/** Which limits a request falls under. */
export interface LimitTarget {
  /** The rule name for the route bucket. */
  rule: Exclude<keyof RateLimitOptions, "global" | "webhookChannel">;
  /** Method + route template, e.g. `POST /channels/:id/messages`. */
  route: string;
  /** The major parameter value (channel id, webhook id…). */
  major: string;
  /** Counts against the global limit. */
  global: boolean;
  /** Also counts against the per-channel webhook limit for this channel. */
  webhookChannel?: string;
}

interface Window {
  count: number;
  resetAt: number;
}

/** The outcome of {@linkcode RateLimiter.check}. */
export interface LimitResult {
  headers: Record<string, string>;
  /** Set when the request is refused. */
  limited?: { retryAfter: number; global: boolean; scope: "user" | "global" | "shared" };
  bucket?: string;
}

function hashRoute(route: string): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < route.length; i++) {
    h1 = Math.imul(h1 ^ route.charCodeAt(i), 16777619) >>> 0;
    h2 = Math.imul(h2 ^ route.charCodeAt(i), 2246822519) >>> 0;
  }
  return h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0");
}

/** Keeps the windows and answers whether a request may pass. */
export class RateLimiter {
  readonly rules: Required<RateLimitOptions>;
  readonly #now: () => number;
  #windows = new Map<string, Window>();

  constructor(options: RateLimitOptions | false | undefined, now: () => number = Date.now) {
    this.#now = now;
    if (options === false) {
      this.rules = {
        global: false,
        webhook: false,
        webhookChannel: false,
        messageCreate: false,
        reaction: false,
        messageEdit: false,
        default: false,
      };
    } else this.rules = { ...DEFAULT_RATE_LIMITS, ...options };
  }

  /** Forgets every window. */
  reset(): void {
    this.#windows.clear();
  }

  #take(key: string, rule: RateLimitRule): { ok: boolean; w: Window } {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + rule.windowMs };
      this.#windows.set(key, w);
    }
    if (w.count >= rule.limit) return { ok: false, w };
    w.count++;
    return { ok: true, w };
  }

  #peek(key: string, rule: RateLimitRule): boolean {
    const w = this.#windows.get(key);
    return !(w && this.#now() < w.resetAt && w.count >= rule.limit);
  }

  /** Checks and counts one request. */
  check(t: LimitTarget, identity: string): LimitResult {
    const now = this.#now();
    const headers: Record<string, string> = {};
    const g = this.rules.global;
    if (t.global && g) {
      const key = `global:${identity}`;
      if (!this.#peek(key, g)) {
        const w = this.#windows.get(key)!;
        const retryAfter = Math.max(0.001, (w.resetAt - now) / 1000);
        return {
          headers: { "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global" },
          limited: { retryAfter, global: true, scope: "global" },
        };
      }
    }
    const wc = this.rules.webhookChannel;
    if (t.webhookChannel && wc && !this.#peek(`wchan:${t.webhookChannel}`, wc)) {
      const w = this.#windows.get(`wchan:${t.webhookChannel}`)!;
      const retryAfter = Math.max(0.001, (w.resetAt - now) / 1000);
      return {
        headers: { "X-RateLimit-Scope": "shared" },
        limited: { retryAfter, global: false, scope: "shared" },
      };
    }
    const rule = this.rules[t.rule];
    const bucket = hashRoute(t.route);
    if (rule) {
      const { ok, w } = this.#take(`${bucket}:${t.major}`, rule);
      const resetAfter = Math.max(0, (w.resetAt - now) / 1000);
      headers["X-RateLimit-Limit"] = String(rule.limit);
      headers["X-RateLimit-Remaining"] = String(Math.max(0, rule.limit - w.count));
      headers["X-RateLimit-Reset"] = (w.resetAt / 1000).toFixed(3);
      headers["X-RateLimit-Reset-After"] = resetAfter.toFixed(3);
      headers["X-RateLimit-Bucket"] = bucket;
      if (!ok) {
        headers["X-RateLimit-Scope"] = "user";
        return {
          headers,
          bucket,
          limited: { retryAfter: Math.max(0.001, resetAfter), global: false, scope: "user" },
        };
      }
    }
    if (t.global && g) this.#take(`global:${identity}`, g);
    if (t.webhookChannel && wc) this.#take(`wchan:${t.webhookChannel}`, wc);
    return { headers, bucket };
  }
}

/** The 429 answer for a refused request. */
export function tooManyRequests(
  limited: NonNullable<LimitResult["limited"]>,
  headers: Record<string, string>,
): Response {
  const retryAfter = Math.round(limited.retryAfter * 1000) / 1000;
  return new Response(
    JSON.stringify({
      message: "You are being rate limited.",
      retry_after: retryAfter,
      global: limited.global,
    }),
    {
      status: 429,
      headers: {
        ...headers,
        "Content-Type": "application/json",
        "Retry-After": String(Math.max(1, Math.ceil(limited.retryAfter))),
        "X-RateLimit-Scope": limited.scope,
      },
    },
  );
}
