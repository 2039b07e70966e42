// Private: STATUS posts through the outbox (outbox.ts) instead of the webhook: rendered here, as
// for the webhook, and sent by the bridge of this machine as the bot, into the session's thread.
// Nothing here touches the network: the caller is done when the entries are on disk.
import { loadConfig } from "../config.ts";
import { UsageError } from "../errors.ts";
import { probeBridge } from "../daemon.ts";
import { type NewEntry, Outbox, type OutboxEntry } from "../outbox.ts";
import { cliInput, type CliValues } from "./cli.ts";
import { detectHost } from "../_shared/host.ts";
import { renderStatus, type StatusInput, threadNameFor, validateStatusInput } from "./render.ts";

/** Options of {@linkcode enqueueStatus}. */
export interface EnqueueOptions {
  /** The state directory of the machine's bridge (its outbox is `outbox/` in it). */
  stateDir: string;
  /** The user `mention: true` refers to (config `mentionUserId`). */
  mentionUserId?: string;
  /** Host name shown in the embed; default: detected when permitted, `null` hides it. */
  host?: string | null;
  /** Most messages one STATUS may take (default 5); past it the text is trimmed, marked. */
  maxMessages?: number;
  /** Clock in ms; default `Date.now`. */
  now?: () => number;
  /** The outbox's bounds (config `outboxMaxPosts`, `outboxMaxBytes`). Default outbox.ts's. */
  maxEntries?: number;
  /** See `maxEntries`. */
  maxBytes?: number;
  /** Receives the outbox's warnings (entries dropped by its bounds). */
  onWarning?: (message: string) => void;
}

/**
 * Renders a STATUS and puts it into the outbox: one post entry per message, in order, for the
 * session's thread (opened by the bridge with the first of them when the session has none).
 *
 * @param input What to post.
 * @param options The state directory and rendering options.
 * @returns The entries written.
 * @throws {TypeError} On a malformed input.
 *
 * @example Put a STATUS into the outbox, for the bridge to send
 * ```ts
 * import assert from "node:assert/strict";
 * import { enqueueStatus } from "../notify.ts";
 *
 * const entries = await enqueueStatus(
 *   { session: { id: "3f2c0000", name: "refactor-auth" }, state: "done", text: "All tests pass." },
 *   { stateDir: Deno.makeTempDirSync(), host: null },
 * );
 * assert(entries.length === 1 && entries[0].kind === "post");
 * ```
 */
export async function enqueueStatus(
  input: StatusInput,
  options: EnqueueOptions,
): Promise<OutboxEntry[]> {
  validateStatusInput(input);
  const now = options.now ?? Date.now;
  const host = options.host === undefined ? detectHost() : options.host ?? undefined;
  const payloads = renderStatus(input, {
    now: now(),
    ...(host ? { host } : {}),
    ...(options.mentionUserId ? { mentionUserId: options.mentionUserId } : {}),
    maxMessages: options.maxMessages ?? 5,
  });
  const threadName = threadNameFor(input.session.name);
  const entries: NewEntry[] = payloads.map((body) => ({ kind: "post", threadName, body }));
  const outbox = new Outbox(options.stateDir, {
    now,
    ...(options.maxEntries ? { maxEntries: options.maxEntries } : {}),
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  return await outbox.enqueue(input.session.id, entries);
}

/**
 * The CLI's `--enqueue`: the STATUS of the command line into the outbox of the configured state
 * directory; says so when no bridge runs there to send it.
 *
 * @param values The parsed options.
 * @param positionals The text words.
 * @returns The exit code (0).
 */
export async function enqueueCli(
  values: CliValues,
  positionals: string[],
): Promise<number> {
  if (values.flush || values.budget !== undefined) {
    throw new UsageError("--enqueue sends nothing itself: leave out --flush and --budget");
  }
  const config = loadConfig();
  const input = await cliInput(values, positionals);
  const entries = await enqueueStatus(input, {
    stateDir: config.home,
    ...(config.mentionUserId ? { mentionUserId: config.mentionUserId } : {}),
    maxEntries: config.outboxMaxPosts,
    maxBytes: config.outboxMaxBytes,
    onWarning: (m) => console.error(`notify: ${m}`),
  });
  const running = probeBridge(config.home).running;
  if (values.json) console.log(JSON.stringify({ queued: entries.map((e) => e.id), running }));
  if (!running) {
    console.error(
      "notify: no bridge runs for this state directory: the post waits in the outbox until " +
        "one starts (deno task start, or the next Claude Code hook)",
    );
  }
  return 0;
}
