// Private: the IDENTIFY budget of the bridge (see daemon.ts; ARCHITECTURE.md, The gateway
// session). Discord lets a token IDENTIFY 1,000 times per 24 h, shared by every connection of
// every machine (`session_start_limit` of GET /gateway/bot); past it Discord ends every session
// and resets the token. The bridge RESUMEs whenever it can (a RESUME does not count), and keeps
// `$home/bridge/identify.json` (0600): each IDENTIFY this machine sent in the last 24 h, the last
// `session_start_limit` read, and a halt. It refuses an IDENTIFY when this machine sent `cap` of
// them in 24 h, or when Discord has `IDENTIFY_RESERVE` or fewer left; it then records a halt,
// which stops the processes that start bridges (startDetached) until it ends.
import { DEFAULT_IDENTIFY_CAP } from "../config.ts";
import { ClaudeDiscordError } from "../errors.ts";
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";
import { bridgePaths, type IdentifySummary } from "./state.ts";

/** The window Discord counts IDENTIFYs in. */
export const IDENTIFY_WINDOW_MS = 86_400_000;
/** IDENTIFYs of the token's daily budget no bridge spends: it halts with this many left. */
export const IDENTIFY_RESERVE = 50;

/** `session_start_limit` as last read, with the time it was read. */
export interface SessionStartLimit {
  /** The daily budget (1,000). */
  total: number;
  /** What was left when read. */
  remaining: number;
  /** Milliseconds until the budget was back at `total`, when read. */
  resetAfter: number;
  /** When it was read (epoch ms). */
  readAt: number;
}

/** A halt: no IDENTIFY, and no bridge started, until `until`. */
export interface IdentifyHalt {
  /** Epoch ms it ends. */
  until: number;
  /** One sentence: why, and what to do. */
  reason: string;
  /** Whether the notice went to Discord. */
  notified?: boolean;
}

/** What `bridge/identify.json` holds. */
export interface IdentifyFile {
  /** Epoch ms of each IDENTIFY this machine sent in the last 24 h, oldest first. */
  identifies: number[];
  /** The last `session_start_limit` read. */
  limit?: SessionStartLimit;
  /** The last halt (it may have ended). */
  halt?: IdentifyHalt;
}

/** The refusal of an IDENTIFY: the bridge stops (exit 1) with this sentence. */
export class IdentifyBudgetError extends ClaudeDiscordError {
  /** Epoch ms the halt ends. */
  readonly until: number;

  /**
   * Creates the error.
   *
   * @param halt The halt.
   */
  constructor(halt: IdentifyHalt) {
    super(halt.reason);
    this.until = halt.until;
  }
}

/**
 * Reads `bridge/identify.json`.
 *
 * @param home The state directory.
 * @returns Its content (empty when absent or damaged; a damaged file is moved aside).
 * @throws {StateError} When it cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readIdentifyFile } from "../daemon.ts";
 * assert.deepEqual(readIdentifyFile(Deno.makeTempDirSync()), { identifies: [] });
 * ```
 */
export function readIdentifyFile(home: string): IdentifyFile {
  return readJsonState(bridgePaths(home).identify, parseIdentifyFile, { identifies: [] }).value;
}

function parseIdentifyFile(value: unknown): IdentifyFile | undefined {
  const v = value as Partial<IdentifyFile> | null;
  if (!v || typeof v !== "object" || !Array.isArray(v.identifies)) return undefined;
  const num = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
  const out: IdentifyFile = { identifies: v.identifies.filter(num).sort((a, b) => a - b) };
  const l = v.limit;
  if (l && num(l.total) && num(l.remaining) && num(l.resetAfter) && num(l.readAt)) {
    out.limit = {
      total: l.total,
      remaining: l.remaining,
      resetAfter: l.resetAfter,
      readAt: l.readAt,
    };
  }
  const h = v.halt;
  if (h && num(h.until) && typeof h.reason === "string") {
    out.halt = { until: h.until, reason: h.reason, ...(h.notified ? { notified: true } : {}) };
  }
  return out;
}

/**
 * The halt in effect for `home`, if any: what keeps {@linkcode startDetached} from starting a
 * bridge that would only be refused its IDENTIFY.
 *
 * @param home The state directory.
 * @param now The time (ms). Default `Date.now()`.
 * @returns The halt, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { identifyHalt } from "../daemon.ts";
 * assert.equal(identifyHalt(Deno.makeTempDirSync()), undefined);
 * ```
 */
export function identifyHalt(home: string, now: number = Date.now()): IdentifyHalt | undefined {
  const halt = readIdentifyFile(home).halt;
  return halt && halt.until > now ? halt : undefined;
}

/** Options of {@linkcode IdentifyBudget}. */
export interface IdentifyBudgetOptions {
  /** IDENTIFYs this machine may send per 24 h. Default {@linkcode DEFAULT_IDENTIFY_CAP}. */
  cap?: number;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * The bridge's IDENTIFY budget over `bridge/identify.json` (only the running bridge writes it).
 *
 * @example Refused at the cap, until the oldest IDENTIFY leaves the 24 h window
 * ```ts
 * import assert from "node:assert/strict";
 * import { IdentifyBudget } from "../daemon.ts";
 *
 * let now = 1_000_000;
 * const budget = new IdentifyBudget(Deno.makeTempDirSync(), { cap: 2, now: () => now });
 * assert.equal(budget.refusal(), undefined);
 * budget.record();
 * now += 1000;
 * budget.record();
 * const halt = budget.refusal();
 * assert.equal(halt?.until, 1_000_000 + 86_400_000);
 * ```
 */
export class IdentifyBudget {
  readonly #home: string;
  readonly #cap: number;
  readonly #now: () => number;
  #file: IdentifyFile;

  /**
   * Reads the file.
   *
   * @param home The state directory.
   * @param options Cap and clock.
   */
  constructor(home: string, options: IdentifyBudgetOptions = {}) {
    this.#home = home;
    this.#cap = options.cap ?? DEFAULT_IDENTIFY_CAP;
    this.#now = options.now ?? Date.now;
    this.#file = readIdentifyFile(home);
  }

  /** This machine's IDENTIFYs in the last 24 h, oldest first. */
  #recent(): number[] {
    const since = this.#now() - IDENTIFY_WINDOW_MS;
    return this.#file.identifies.filter((t) => t > since);
  }

  /** Notes `session_start_limit` as just read from GET /gateway/bot. */
  noteLimit(limit: { total: number; remaining: number; reset_after: number }): void {
    this.#file.limit = {
      total: limit.total,
      remaining: limit.remaining,
      resetAfter: limit.reset_after,
      readAt: this.#now(),
    };
    this.#save();
  }

  /**
   * Whether an IDENTIFY may go now.
   *
   * @returns The halt that refuses it, or `undefined` when it may go.
   */
  refusal(): IdentifyHalt | undefined {
    const now = this.#now();
    const recent = this.#recent();
    if (recent.length >= this.#cap) {
      const until = recent[recent.length - this.#cap] + IDENTIFY_WINDOW_MS;
      return {
        until,
        reason: `This machine identified to Discord's gateway ${recent.length} times in 24 h ` +
          `(cap ${this.#cap}, config.json identifyCap), so the bridge does not connect again ` +
          `until ${new Date(until).toISOString()}: a bridge that restarts in a loop would spend ` +
          `the token's 1,000 daily IDENTIFYs, and Discord then resets the token. Find why it ` +
          `restarts in bridge.log; raise identifyCap to connect sooner`,
      };
    }
    const remaining = summarizeIdentify(this.#file, this.#cap, now).remaining;
    const l = this.#file.limit;
    if (l && remaining !== undefined && remaining <= IDENTIFY_RESERVE) {
      const until = Math.max(l.readAt + l.resetAfter, now + 60_000);
      return {
        until,
        reason: `Discord allows this bot token ${remaining} more gateway IDENTIFYs until ` +
          `${new Date(l.readAt + l.resetAfter).toISOString()} (of ${l.total} a day, shared by ` +
          `every machine), so the bridge does not connect until then: past the limit Discord ` +
          `resets the token. Find the bridge that restarts in a loop (deno task status on ` +
          `each machine)`,
      };
    }
    return undefined;
  }

  /** Records an IDENTIFY that went out now (the 24 h window is pruned). */
  record(): void {
    this.#file.identifies = [...this.#recent(), this.#now()];
    this.#save();
  }

  /** Records a halt (kept until it ends; a newer one replaces it). */
  halt(halt: IdentifyHalt): void {
    this.#file.halt = halt;
    this.#save();
  }

  /** Marks the current halt as told to Discord. */
  notified(): void {
    if (!this.#file.halt) return;
    this.#file.halt = { ...this.#file.halt, notified: true };
    this.#save();
  }

  /** The halt in effect now, if any. */
  currentHalt(): IdentifyHalt | undefined {
    const h = this.#file.halt;
    return h && h.until > this.#now() ? h : undefined;
  }

  /** The figures for status.json and `deno task status`. */
  summary(): IdentifySummary {
    return summarizeIdentify(this.#file, this.#cap, this.#now());
  }

  #save(): void {
    const path = bridgePaths(this.#home).identify;
    ensurePrivateDir(bridgePaths(this.#home).dir);
    writePrivateFileAtomic(path, JSON.stringify(this.#file, null, 2) + "\n");
  }
}

/**
 * The figures of an identify file.
 *
 * @param file The file's content.
 * @param cap This machine's cap.
 * @param now The time (ms).
 * @returns The summary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeIdentify } from "../daemon.ts";
 * const s = summarizeIdentify({ identifies: [5, 10] }, 100, 20);
 * assert.deepEqual(s, { last24h: 2, cap: 100 });
 * ```
 */
export function summarizeIdentify(file: IdentifyFile, cap: number, now: number): IdentifySummary {
  const last24h = file.identifies.filter((t) => t > now - IDENTIFY_WINDOW_MS).length;
  const l = file.limit;
  const out: IdentifySummary = { last24h, cap };
  if (l) {
    const reset = now >= l.readAt + l.resetAfter;
    out.remaining = reset
      ? l.total
      : l.remaining - file.identifies.filter((t) => t >= l.readAt).length;
    out.total = l.total;
    out.readAt = new Date(l.readAt).toISOString();
  }
  if (file.halt && file.halt.until > now) {
    out.halted = { until: new Date(file.halt.until).toISOString(), reason: file.halt.reason };
  }
  return out;
}
