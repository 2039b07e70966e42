#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env
/**
 * STATUS messages into one thread per Claude Code session, rate-limit aware and never lost: a
 * module and a CLI. Two ways to send:
 *
 * - **Through the outbox** ({@linkcode enqueueStatus}, CLI `--enqueue`), on a machine where the
 *   bridge runs (it does wherever the hooks run): the post is rendered and written to
 *   `$stateDir/outbox/` (outbox.ts), nothing else; the bridge sends it as the bot into the
 *   session's thread, exactly once, in order, whenever Discord can be reached. The hooks post
 *   this way: a hook never waits on Discord.
 * - **Directly through the webhook** ({@linkcode createNotifier}), for scripts anywhere, as
 *   below.
 *
 * - **One thread per session.** In a forum channel the first post creates the thread
 *   (`thread_name`, `?wait=true`) and its id is kept in `$stateDir/threads.json` (0600);
 *   later posts go there with `thread_id`. In a text channel the bot (when a token is
 *   configured) starts a thread on the first post; without one, posts go into the channel
 *   prefixed with the session name. A deleted thread is recreated, an archived or locked one
 *   unarchived by the bot or recreated.
 * - **Structured.** An embed with the state's colour, session, project folder, host,
 *   duration, the text and extra fields. Long texts continue in further messages marked
 *   `part i/n`; past `maxMessages` they are trimmed with a visible marker. Nothing pings
 *   (`allowed_mentions: {parse: []}`) unless a mention is asked for, and then only that user.
 * - **Never lost.** Discord's rate limits are kept (@discordjs/rest: 429 answers, buckets at
 *   `X-RateLimit-Remaining: 0` waited out before the next post, the global limit). 5xx
 *   answers and network errors are retried with capped exponential backoff and jitter. When
 *   Discord stays unreachable past the retry budget, the post is spooled to
 *   `$stateDir/spool/` (0600, in order) and sent first by the next call or by
 *   {@linkcode Notifier.flushSpool}. A lock file keeps several processes from interleaving.
 *
 * CLI (the same permissions the shebang asks for; `--enqueue` needs no network):
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write --allow-env notify.ts \
 *   --session NAME --state done "text"
 * echo "long text" | deno run --allow-net --allow-read --allow-write --allow-env notify.ts --session NAME
 * deno run --allow-read --allow-write --allow-env notify.ts --enqueue --session NAME "text"
 * ```
 *
 * @example Post a STATUS into a session's thread
 * ```ts ignore
 * import { createNotifier } from "./notify.ts";
 *
 * const notifier = createNotifier({
 *   webhookUrl: "https://discord.com/api/webhooks/1100000000000000001/token",
 *   stateDir: `${Deno.env.get("HOME")}/.claude/discord`,
 * });
 * const result = await notifier.status({
 *   session: { id: "3f2c…", name: "refactor-auth" },
 *   state: "done",
 *   text: "All tests pass.",
 *   cwd: Deno.cwd(),
 * });
 * console.log(result.threadId, result.spooled);
 * ```
 *
 * @module
 */
import { DiscordApiError, exitCodeOf, UsageError } from "./errors.ts";
import { describeError } from "./log.ts";
import { loadConfig, parseWebhookUrl } from "./config.ts";
import { DiscordUnreachableError, type RetryPolicy } from "./_discord/rest.ts";
import {
  renderStatus,
  type StatusField,
  type StatusInput,
  type StatusSession,
  type StatusState,
  threadNameFor,
  validateStatusInput,
} from "./_notify/render.ts";
import { isBadWebhook, Sender } from "./_notify/send.ts";
import { enqueueCli, enqueueStatus } from "./_notify/enqueue.ts";
import { cliBudgetMs, cliInput, HELP, parseCli } from "./_notify/cli.ts";
import {
  acquireLock,
  appendSpool,
  deadLetter,
  listSpool,
  readSpool,
  readThreads,
  removeSpool,
  rewriteSpool,
  type SpoolEntry,
  type ThreadsFile,
  writeThreads,
} from "./_notify/store.ts";
import { detectHost } from "./_shared/host.ts";

export type { StatusField, StatusInput, StatusSession, StatusState };
export { enqueueStatus, threadNameFor };
export type { EnqueueOptions } from "./_notify/enqueue.ts";
export type { RetryPolicy } from "./_discord/rest.ts";

/** Options of {@linkcode createNotifier}. */
export interface NotifierOptions {
  /** The webhook URL (`…/webhooks/{id}/{token}`). Never logged. */
  webhookUrl: string;
  /** State directory: `threads.json`, `spool/`, `notify.lock` live here. */
  stateDir: string;
  /** Bot token: lets the notifier start threads in a text channel and unarchive threads. */
  botToken?: string;
  /** REST base without version for bot calls; default `https://discord.com/api`. */
  apiUrl?: string;
  /** The user `mention: true` refers to (e.g. config `mentionUserId`). */
  mentionUserId?: string;
  /** Host name shown in embeds; default: detected when permitted, `null` hides it. */
  host?: string | null;
  /** Called when a session gets a (new) thread, e.g. to record it in the session registry. */
  onThread?: (sessionId: string, threadId: string) => void | Promise<void>;
  /** Most messages one STATUS may take (default 5); past it the text is trimmed, marked. */
  maxMessages?: number;
  /** Retry tunables (budget per request, attempts, backoff, per-attempt timeout). */
  retry?: Partial<RetryPolicy>;
  /** How long to wait for another process's lock before spooling (default 60 000 ms). */
  lockTimeoutMs?: number;
  /** Transport; default the global `fetch`. */
  fetch?: typeof fetch;
  /** Clock in ms for the records (spool, threads); default `Date.now`. */
  now?: () => number;
}

/** The outcome of {@linkcode Notifier.status}. */
export interface StatusResult {
  /** Every part reached Discord now. */
  delivered: boolean;
  /** Discord was unreachable: the (rest of the) post waits in the spool. */
  spooled: boolean;
  /** The session's thread, when the post went into one. */
  threadId?: string;
  /** Ids of the messages posted by this call (in order). */
  messageIds: string[];
  /** Earlier spooled posts delivered first by this call. */
  flushed: number;
  /** Things worth knowing that did not stop the post (thread recreated, …). */
  warnings: string[];
}

/** Posts STATUS messages; see {@linkcode createNotifier}. */
export interface Notifier {
  /**
   * Posts a STATUS into the session's thread (spooled posts go first).
   *
   * @throws {TypeError} on a malformed input.
   * @throws {DiscordApiError} when Discord refuses the post (bad webhook: the post is spooled).
   */
  status(input: StatusInput): Promise<StatusResult>;
  /**
   * Sends spooled posts, oldest first, stopping at the first that cannot get through.
   *
   * @returns How many spooled posts were delivered.
   * @throws {DiscordApiError} when the webhook is refused (the spool is kept).
   */
  flushSpool(): Promise<number>;
}

interface FlushOutcome {
  sent: number;
  /** Why flushing stopped (Discord unreachable), or `false`. */
  blocked: string | false;
  fatal?: DiscordApiError;
  warnings: string[];
}

/** Where delivered parts are reported: the result of a post, or a flushed entry's tally. */
interface Delivery {
  messageIds: string[];
  threadId?: string;
  warnings: string[];
}

/**
 * Creates a notifier. Nothing is read, written or fetched until a method is called.
 *
 * @param options Webhook, state directory and optional bot token, hooks and injections.
 * @returns The notifier; calls on one notifier run one after another, in call order.
 * @throws {ConfigError} when `webhookUrl` is malformed.
 *
 * @example Create a notifier (nothing happens until a call)
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNotifier } from "./notify.ts";
 *
 * const notifier = createNotifier({
 *   webhookUrl: "http://127.0.0.1:9/api/webhooks/1100000000000000001/secret",
 *   stateDir: Deno.makeTempDirSync(),
 *   onThread: (sessionId, threadId) => console.log(sessionId, threadId),
 * });
 * assert(typeof notifier.status === "function");
 * ```
 */
export function createNotifier(options: NotifierOptions): Notifier {
  return new SpoolingNotifier(options);
}

/**
 * The notifier of {@linkcode createNotifier}. A post takes the state lock, sends the spool
 * first, then its own parts; what Discord cannot take now goes to the spool, in order.
 */
class SpoolingNotifier implements Notifier {
  readonly #o: NotifierOptions;
  readonly #dir: string;
  readonly #now: () => number;
  readonly #lockTimeoutMs: number;
  readonly #sender: Sender;
  #host: string | null | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: NotifierOptions) {
    const webhook = parseWebhookUrl(options.webhookUrl, "webhookUrl");
    if (!options.stateDir) throw new TypeError("createNotifier needs a stateDir");
    this.#o = options;
    this.#dir = options.stateDir;
    this.#now = options.now ?? Date.now;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
    this.#host = options.host;
    this.#sender = new Sender({
      webhook,
      ...(options.botToken ? { botToken: options.botToken } : {}),
      apiUrl: options.apiUrl ?? "https://discord.com/api",
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      now: this.#now,
    });
  }

  async status(input: StatusInput): Promise<StatusResult> {
    validateStatusInput(input);
    return await this.#serial(() => this.#post(input));
  }

  flushSpool(): Promise<number> {
    return this.#serial(() => this.#flushAll());
  }

  /** Runs `fn` once every earlier call of this notifier has settled. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Renders a STATUS and posts it under the state lock (spooled when the lock is not had). */
  async #post(input: StatusInput): Promise<StatusResult> {
    const session = { id: input.session.id, name: input.session.name };
    if (this.#host === undefined) this.#host = detectHost() ?? null;
    const createdAt = this.#now();
    const payloads = renderStatus(input, {
      now: createdAt,
      host: this.#host ?? undefined,
      mentionUserId: this.#o.mentionUserId,
      maxMessages: this.#o.maxMessages ?? 5,
    });
    const result: StatusResult = {
      delivered: false,
      spooled: false,
      messageIds: [],
      flushed: 0,
      warnings: [],
    };
    const lock = await acquireLock(this.#dir, this.#lockTimeoutMs);
    if (!lock) {
      this.#spool(session, payloads, createdAt);
      result.spooled = true;
      result.warnings.push(
        "another notifier held the state lock too long: the status is kept in the spool",
      );
      return result;
    }
    try {
      return await this.#postLocked(session, payloads, createdAt, result);
    } finally {
      lock.release();
    }
  }

  /** With the lock held: the spool first, then this post, or this post spooled behind it. */
  async #postLocked(
    session: StatusSession,
    payloads: StatusPayloads,
    createdAt: number,
    result: StatusResult,
  ): Promise<StatusResult> {
    const read = readThreads(this.#dir);
    if (read.damaged) result.warnings.push(read.damaged);
    const threads = read.value;
    const f = await this.#flush(threads);
    result.flushed = f.sent;
    result.warnings.push(...f.warnings);
    if (f.fatal) {
      this.#spool(session, payloads, createdAt);
      throw keptError(f.fatal, this.#dir);
    }
    if (f.blocked) {
      this.#spool(session, payloads, createdAt);
      result.spooled = true;
      result.warnings.push(
        `the status is kept in the spool behind ${
          listSpool(this.#dir).length - 1
        } earlier post(s): ${f.blocked}`,
      );
      return result;
    }
    try {
      const done = await this.#deliverAll(session, payloads, threads, result);
      result.delivered = done === payloads.length;
      return result;
    } catch (err) {
      const rest = payloads.slice(result.messageIds.length);
      if (err instanceof DiscordUnreachableError) {
        this.#spool(session, rest, createdAt);
        result.spooled = true;
        result.warnings.push(`the status is kept in the spool: ${err.message}`);
        return result;
      }
      if (isBadWebhook(err)) {
        this.#spool(session, rest, createdAt);
        throw keptError(err as DiscordApiError, this.#dir);
      }
      throw err;
    }
  }

  /** Sends the spool under the state lock; returns how many entries went out. */
  async #flushAll(): Promise<number> {
    if (listSpool(this.#dir).length === 0) return 0;
    const lock = await acquireLock(this.#dir, this.#lockTimeoutMs);
    if (!lock) return 0;
    try {
      const f = await this.#flush(readThreads(this.#dir).value);
      if (f.fatal) throw keptError(f.fatal, this.#dir);
      return f.sent;
    } finally {
      lock.release();
    }
  }

  /** Sends spooled entries, oldest first, until one cannot get through. */
  async #flush(threads: ThreadsFile): Promise<FlushOutcome> {
    const outcome: FlushOutcome = { sent: 0, blocked: false, warnings: [] };
    for (const path of listSpool(this.#dir)) {
      const entry = readSpool(this.#dir, path);
      if (!entry) continue;
      if (!await this.#flushEntry(path, entry, threads, outcome)) break;
    }
    return outcome;
  }

  /**
   * Sends one spooled entry part by part, keeping the parts not sent yet in its file.
   *
   * @returns Whether flushing goes on with the next entry.
   */
  async #flushEntry(
    path: string,
    entry: SpoolEntry,
    threads: ThreadsFile,
    outcome: FlushOutcome,
  ): Promise<boolean> {
    const out: Delivery = { messageIds: [], warnings: outcome.warnings };
    let done = 0;
    try {
      for (const payload of entry.payloads) {
        await this.#deliverAll(entry.session, [payload], threads, out);
        done++;
        if (done < entry.payloads.length) {
          rewriteSpool(path, { ...entry, payloads: entry.payloads.slice(done) });
        }
      }
      removeSpool(path);
      outcome.sent++;
      return true;
    } catch (err) {
      if (err instanceof DiscordUnreachableError) {
        outcome.blocked = err.message;
        return false;
      }
      if (isBadWebhook(err)) {
        outcome.fatal = err as DiscordApiError;
        return false;
      }
      if (err instanceof DiscordApiError) {
        deadLetter(this.#dir, path, err.message);
        outcome.warnings.push(
          `a spooled post was refused and moved to spool/failed: ${err.message}`,
        );
        return true;
      }
      throw err;
    }
  }

  /** Delivers payloads in order; returns how many went through. Saves the thread map. */
  async #deliverAll(
    session: StatusSession,
    payloads: StatusPayloads,
    threads: ThreadsFile,
    out: Delivery,
  ): Promise<number> {
    let done = 0;
    const before = JSON.stringify(threads);
    try {
      for (const payload of payloads) {
        const d = await this.#sender.deliver(session, payload, threads);
        done++;
        out.messageIds.push(d.messageId);
        out.threadId = d.threadId;
        if (d.warning) out.warnings.push(d.warning);
        if (d.newThread) {
          writeThreads(this.#dir, threads);
          if (d.threadId) await this.#tellThread(session.id, d.threadId, out.warnings);
        }
      }
    } finally {
      if (JSON.stringify(threads) !== before) writeThreads(this.#dir, threads);
    }
    return done;
  }

  /** Tells `onThread` about a new thread; its failure is a warning, not an error. */
  async #tellThread(sessionId: string, threadId: string, warnings: string[]): Promise<void> {
    if (!this.#o.onThread) return;
    try {
      await this.#o.onThread(sessionId, threadId);
    } catch (err) {
      warnings.push(`onThread failed: ${describeError(err)}`);
    }
  }

  #spool(session: StatusSession, payloads: StatusPayloads, createdAt: number): void {
    appendSpool(this.#dir, { version: 1, createdAt, session, payloads: [...payloads] });
  }
}

type StatusPayloads = ReturnType<typeof renderStatus>;

function keptError(err: DiscordApiError, dir: string): DiscordApiError {
  const n = listSpool(dir).length;
  return new DiscordApiError(
    `${err.message} (${n} post${n === 1 ? "" : "s"} kept in the spool)`,
    err.status,
    err.code,
    { cause: err },
  );
}

/**
 * The CLI: parses `args`, posts, and returns the exit code (prints one line on failure).
 *
 * @param args Command-line arguments.
 * @returns 0 on success (sent or spooled), 1 on failure, 2 on usage or config errors.
 *
 * @example Show the help
 * ```ts ignore
 * import { main } from "./notify.ts";
 * Deno.exit(await main(["--help"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const { values, positionals } = await parseCli(args);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const budgetMs = cliBudgetMs(values);
    if (values.enqueue) return await enqueueCli(values, positionals);
    const config = loadConfig({ require: ["webhookUrl"] });
    const notifier = createNotifier({
      retry: budgetMs === undefined ? undefined : { budgetMs },
      webhookUrl: config.webhookUrl!,
      stateDir: config.home,
      botToken: config.token,
      apiUrl: config.apiUrl,
      mentionUserId: config.mentionUserId,
    });
    if (values.flush) {
      const n = await notifier.flushSpool();
      if (values.json) console.log(JSON.stringify({ flushed: n }));
      return 0;
    }
    const input = await cliInput(values, positionals);
    const result = await notifier.status(input);
    if (values.json) console.log(JSON.stringify(result));
    for (const w of result.warnings) console.error(`notify: ${w}`);
    return 0;
  } catch (err) {
    const msg = err instanceof UsageError ? err.message : describeError(err);
    console.error(
      `notify: ${msg.split("\n")[0]}${err instanceof UsageError ? " (see --help)" : ""}`,
    );
    return exitCodeOf(err);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
