// The IDENTIFY budget of a bot token, as Discord's gateway documentation states it (Gateway
// topic, Identifying and Session Start Limit Object; Sharding, Max Concurrency):
//
// - 1,000 IDENTIFYs per 24 hours per token, across all its sessions and shards; RESUMEs do not
//   count. `GET /gateway/bot` shows `session_start_limit` {total, remaining, reset_after,
//   max_concurrency}. "Upon hitting this limit, all active sessions for the app will be
//   terminated, the bot token will be reset": here the IDENTIFY that finds nothing remaining
//   ends every session (close 4004 Authentication failed, the code the old token gets from then
//   on; the documentation names none for the termination itself) and the server mints a new
//   token (`DiscordServer.token`); the old one gets 401 on REST and 4004 on IDENTIFY.
// - `max_concurrency` IDENTIFYs per 5 seconds, one per rate limit key (`shard_id %
//   max_concurrency`): "If your app exceeds this limit, Discord will respond with an Invalid
//   Session (opcode 9)" — here op 9 with `d: false` on the same connection, which stays open;
//   the refused IDENTIFY starts no session and does not count against the 1,000.

/** Options of the IDENTIFY budget (`DiscordServerOptions.identifyBudget`). */
export interface IdentifyBudgetOptions {
  /** IDENTIFYs per window per token (`session_start_limit.total`). Default 1000. */
  total?: number;
  /** The window of {@linkcode IdentifyBudgetOptions.total}. Default 24 hours. */
  resetAfterMs?: number;
  /** IDENTIFYs per concurrency window, one per rate limit key. Default 1. */
  maxConcurrency?: number;
  /** The concurrency window; `false` switches the concurrency limit off. Default 5000 ms. */
  concurrencyWindowMs?: number | false;
}

/** `session_start_limit` of `GET /gateway/bot`. */
export interface SessionStartLimit {
  /** Session starts allowed per window. */
  total: number;
  /** Session starts left in this window. */
  remaining: number;
  /** Milliseconds until the window resets. */
  reset_after: number;
  /** IDENTIFYs allowed per 5 seconds. */
  max_concurrency: number;
}

/** What one token did on the gateway. */
export interface TokenGatewayStats {
  /** 1 for the first token of the world, 2 after the first reset, … */
  tokenNumber: number;
  /** Whether it is the token the server accepts now. */
  current: boolean;
  /** IDENTIFYs that started a session (they count against the budget). */
  identifies: number;
  /** IDENTIFYs refused with op 9 for coming too fast (max_concurrency). */
  identifiesTooFast: number;
  /** RESUMEs that resumed a session. */
  resumes: number;
  /** RESUMEs refused with op 9 (session unknown, ended or expired). */
  resumesRefused: number;
}

/** The gateway as the control API reports it (`GET /_control/gateway`). */
export interface GatewayStats {
  /** The current token's `session_start_limit`, as `GET /gateway/bot` shows it. */
  sessionStartLimit: SessionStartLimit;
  /** Sessions with a live connection now. */
  sessionsConnected: number;
  /** Sessions that can still be resumed (connected or not). */
  sessionsAlive: number;
  /** How many times the token was reset for exceeding the budget. */
  tokenResets: number;
  /** Per token, oldest first. */
  tokens: TokenGatewayStats[];
}

/** What an IDENTIFY may do. */
export type IdentifyVerdict = "ok" | "tooFast" | "exhausted";

/** Default window of the budget: 24 hours. */
export const IDENTIFY_WINDOW_MS = 24 * 60 * 60_000;
/** Default IDENTIFYs per window. */
export const IDENTIFY_TOTAL = 1000;
/** The max_concurrency window: 5 seconds. */
export const CONCURRENCY_WINDOW_MS = 5000;

/** The IDENTIFY budget of the current token, and what every token did. */
export class IdentifyBudget {
  readonly #total: number;
  readonly #windowMs: number;
  readonly #maxConcurrency: number;
  readonly #concurrencyMs: number;
  readonly #now: () => number;
  #windowStart: number | undefined;
  #used = 0;
  /** Last accepted IDENTIFY per rate limit key. */
  readonly #lastByKey = new Map<number, number>();
  readonly tokens: TokenGatewayStats[] = [];

  constructor(opts: IdentifyBudgetOptions = {}, now: () => number = Date.now) {
    this.#total = opts.total ?? IDENTIFY_TOTAL;
    this.#windowMs = opts.resetAfterMs ?? IDENTIFY_WINDOW_MS;
    this.#maxConcurrency = opts.maxConcurrency ?? 1;
    this.#concurrencyMs = opts.concurrencyWindowMs === false
      ? 0
      : opts.concurrencyWindowMs ?? CONCURRENCY_WINDOW_MS;
    if (!(this.#total >= 1) || !(this.#maxConcurrency >= 1) || !(this.#windowMs > 0)) {
      throw new RangeError("identifyBudget: total, maxConcurrency and resetAfterMs must be >= 1");
    }
    this.#now = now;
    this.tokens.push(fresh(1));
  }

  /** The stats of the current token. */
  get current(): TokenGatewayStats {
    return this.tokens.at(-1)!;
  }

  #roll(): void {
    const now = this.#now();
    if (this.#windowStart !== undefined && now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = undefined;
      this.#used = 0;
    }
  }

  /** `session_start_limit` now. */
  sessionStartLimit(): SessionStartLimit {
    this.#roll();
    const resetAfter = this.#windowStart === undefined
      ? this.#windowMs
      : this.#windowMs - (this.#now() - this.#windowStart);
    return {
      total: this.#total,
      remaining: this.#total - this.#used,
      reset_after: Math.max(0, Math.round(resetAfter)),
      max_concurrency: this.#maxConcurrency,
    };
  }

  /** Decides a valid IDENTIFY of shard `shardId` and counts it when it may start a session. */
  identify(shardId: number): IdentifyVerdict {
    this.#roll();
    const now = this.#now();
    const key = shardId % this.#maxConcurrency;
    const last = this.#lastByKey.get(key);
    if (this.#concurrencyMs > 0 && last !== undefined && now - last < this.#concurrencyMs) {
      this.current.identifiesTooFast++;
      return "tooFast";
    }
    if (this.#used >= this.#total) return "exhausted";
    this.#windowStart ??= now;
    this.#used++;
    this.#lastByKey.set(key, now);
    this.current.identifies++;
    return "ok";
  }

  /** Counts a RESUME. */
  resume(accepted: boolean): void {
    if (accepted) this.current.resumes++;
    else this.current.resumesRefused++;
  }

  /** The token was reset: a new budget for the new one. */
  tokenReset(): void {
    this.current.current = false;
    this.tokens.push(fresh(this.tokens.length + 1));
    this.#windowStart = undefined;
    this.#used = 0;
    this.#lastByKey.clear();
  }
}

function fresh(tokenNumber: number): TokenGatewayStats {
  return {
    tokenNumber,
    current: true,
    identifies: 0,
    identifiesTooFast: 0,
    resumes: 0,
    resumesRefused: 0,
  };
}
