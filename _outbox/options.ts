// Private: what an Outbox is opened with (its bounds' defaults, the clock, the warning sink) and
// what its stats tell (outbox.ts re-exports them).
import type { Counters } from "./cap.ts";

/** Default bound: entries, all sessions together (config `outboxMaxPosts`). */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** Default bound: bytes, all sessions together (config `outboxMaxBytes`, 50 MiB). */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/** Options of {@linkcode Outbox}. */
export interface OutboxOptions {
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Most entries kept, all sessions together. Default {@linkcode DEFAULT_MAX_ENTRIES}. */
  maxEntries?: number;
  /** Most bytes kept, all sessions together. Default {@linkcode DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** Receives warnings (dropped entries, malformed lines). Default: ignored. */
  onWarning?: (message: string) => void;
}

/** What {@linkcode Outbox.stats} tells. */
export interface OutboxStats extends Counters {
  /** Entries waiting, all sessions together. */
  pending: number;
  /** Sessions with entries waiting. */
  sessions: number;
}
