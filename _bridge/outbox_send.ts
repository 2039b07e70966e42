// Private: sends one outbox entry (outbox.ts) with the bot, and opens the session's thread when a
// post needs it. What it returns is the entry's outcome, to commit; it throws when the entry must
// wait (Discord unreachable: DiscordUnreachableError; the token refused: SenderBlocked).
//
// Exactly once:
// - A post is a message create with `nonce` = the entry id and `enforce_nonce`: sent again after
//   a lost answer or a restart, Discord answers with the first message (within its window).
// - A thread is opened only after looking for it: the session's recorded thread, the registry's
//   (sessions.ts), else an active thread of the STATUS channel with the session's thread name,
//   created by the bot, when the record says this session was opening a thread of that name
//   (`creating`, noted before every opening: the answer may have been lost). Found, it is
//   adopted and recorded at once (the outbox record and `setThread`). A thread of that name the
//   record does not announce is not adopted: it may be another machine's session's (several
//   machines on one bot; ARCHITECTURE.md, Routing). A forum post is opened with the entry as its
//   first message, which Discord takes without a nonce: after a lost answer the thread found by
//   the lookup is known to hold the entry already (its starter message: the same id as the
//   thread) when `creating` names this entry, and the entry is not posted a second time.
// - An edit sets the message's body: sent twice, the message is the same.
//
// A deleted thread (10003) is forgotten and opened again; an archived or locked one is
// unarchived, else opened again. Every posted message is recorded in the posts index (posts.ts)
// under the entry's owner (default: the session), so that replies, clicks and reactions route.
import {
  ForumChannelType,
  JsonErrorCode,
  ONE_WEEK,
  ThreadChannelType,
} from "../_discord/numbers.ts";
import { describeError, type Logger } from "../log.ts";
import type { Outbox, OutboxEntry, Outcome, PostEntry, ThreadRecord } from "../outbox.ts";
import { recordPost } from "../posts.ts";
import type { SessionRegistry } from "../sessions.ts";
import { ClaudeDiscordError, DiscordApiError, StateError } from "../errors.ts";
import type { RawChannel, RawMessage } from "../_discord/raw.ts";
import {
  type Answer,
  type DiscordRest,
  DiscordUnreachableError,
  type Refusal,
} from "../_discord/rest.ts";

/** Where session threads are opened. */
export interface StatusChannel {
  /** The channel id. */
  id: string;
  /** Its type: a forum or media channel, or a text channel. */
  type: number;
  /** Its guild (for the active-threads lookup). */
  guildId: string;
}

/** Everything the sender needs. */
export interface EntrySenderOptions {
  /** The bridge's REST client (one rate-limit state for every session). */
  rest: DiscordRest;
  /** The outbox (records, threads). */
  outbox: Outbox;
  /** The session registry (threads, for routing). */
  registry: SessionRegistry;
  /** The state directory (posts index). */
  home: string;
  /** The bot's user id: only threads it created are adopted. */
  botId: string | undefined;
  /** The STATUS channel; `undefined` when none is configured. Throws while it cannot be read. */
  statusChannel: () => Promise<StatusChannel | undefined>;
  /** Clock (ms). */
  now: () => number;
  /** Where to log. */
  log: Logger;
}

/** Discord refused something no entry can fix (the token): the queue waits, the user must act. */
export class SenderBlocked extends ClaudeDiscordError {}

/** A channel as the active-threads list gives it (the owner is read here). */
interface ThreadChannel extends RawChannel {
  owner_id?: string;
  /** A forum post's starter message, in the answer of the thread's creation. */
  message?: RawMessage;
}

/** Threads a session's thread stays open for without messages. */
const ARCHIVE_AFTER = ONE_WEEK;
/** Tries of one post when its thread is gone and is opened again. */
const THREAD_TRIES = 3;

function refusal(r: Refusal): string {
  return `${r.status}${r.message ? ` ${r.message}` : ""}${r.code ? ` (code ${r.code})` : ""}`;
}

function isForum(type: number): boolean {
  return type === ForumChannelType.GuildForum || type === ForumChannelType.GuildMedia;
}

/** Sends outbox entries; one call at a time per session (the caller's worker). */
export class EntrySender {
  readonly #o: EntrySenderOptions;

  /** @param options The REST client, outbox, registry, STATUS channel and log. */
  constructor(options: EntrySenderOptions) {
    this.#o = options;
  }

  /**
   * Sends one entry.
   *
   * @param session The session whose queue it is in.
   * @param entry The entry.
   * @returns What became of it: sent (the message), failed (Discord refused it), skipped.
   * @throws {DiscordUnreachableError} When Discord cannot be reached now (try again later).
   * @throws {SenderBlocked} When the token is refused (nothing can be sent).
   */
  async send(session: string, entry: OutboxEntry): Promise<Outcome> {
    if (entry.expiresAt !== undefined && Date.parse(entry.expiresAt) <= this.#o.now()) {
      return { skipped: `expired at ${entry.expiresAt}` };
    }
    if (entry.kind === "edit") {
      const target = entry.message ??
        this.#o.outbox.record(session).message(entry.key!);
      if (target === undefined) return { skipped: `no message was posted for key ${entry.key}` };
      const res = await this.#o.rest.answer<RawMessage>(
        "PATCH",
        `/channels/${target.channelId}/messages/${target.messageId}`,
        { what: `edit message ${target.messageId}`, body: entry.body },
      );
      if (!res.ok) return this.#refused(res, `edit message ${target.messageId}`);
      return { sent: target };
    }
    const outcome = entry.channelId !== undefined
      ? await this.#create(entry.channelId, entry)
      : await this.#postInThread(session, entry);
    if ("sent" in outcome) {
      await recordPost(this.#o.home, entry.owner ?? session, outcome.sent.messageId);
    }
    return outcome;
  }

  /** A message create with the entry's nonce. */
  async #create(channelId: string, entry: PostEntry): Promise<Outcome> {
    const res = await this.#createAnswer(channelId, entry);
    if (!res.ok) return this.#refused(res, `post to channel ${channelId}`);
    return { sent: { messageId: res.body.id, channelId: res.body.channel_id ?? channelId } };
  }

  #createAnswer(channelId: string, entry: PostEntry): Promise<Answer<RawMessage>> {
    return this.#o.rest.answer<RawMessage>("POST", `/channels/${channelId}/messages`, {
      what: `post to channel ${channelId}`,
      body: { ...entry.body, nonce: entry.id, enforce_nonce: true },
    });
  }

  /** A post into the session's thread, opening (or reopening) the thread as needed. */
  async #postInThread(session: string, entry: PostEntry): Promise<Outcome> {
    for (let attempt = 1;; attempt++) {
      const opened = await this.#thread(session, entry);
      if ("failed" in opened) return opened;
      if (opened.starter !== undefined) {
        return { sent: { messageId: opened.starter, channelId: opened.thread.id } };
      }
      const thread = opened.thread;
      let res = await this.#createAnswer(thread.id, entry);
      if (res.ok) return { sent: { messageId: res.body.id, channelId: thread.id } };
      if (
        res.code === JsonErrorCode.InvalidActionOnArchivedThread ||
        res.code === JsonErrorCode.ThreadLocked
      ) {
        if (await this.#unarchive(thread.id)) {
          res = await this.#createAnswer(thread.id, entry);
          if (res.ok) return { sent: { messageId: res.body.id, channelId: thread.id } };
        }
      } else if (res.code !== JsonErrorCode.UnknownChannel) {
        return this.#refused(res, `post in thread ${thread.id}`);
      }
      if (attempt >= THREAD_TRIES) return this.#refused(res, `post in thread ${thread.id}`);
      this.#o.log.warn(
        `outbox ${session.slice(0, 8)}: thread ${thread.id} is ${
          res.code === JsonErrorCode.UnknownChannel ? "gone" : "archived or locked"
        } (${refusal(res)}); opening a new one`,
      );
      await this.#o.outbox.note(session, { thread: null });
    }
  }

  /**
   * The session's thread: recorded, adopted or opened. When opened with this entry as its first
   * message (a forum post), `starter` is that message's id.
   */
  async #thread(
    session: string,
    entry: PostEntry,
  ): Promise<{ thread: ThreadRecord; starter?: string } | { failed: string }> {
    const record = this.#o.outbox.record(session);
    if (record.thread !== undefined) {
      // Recorded, and the registry told (a sender killed in between told the record only).
      if (this.#o.registry.get(session)?.threadId !== record.thread.id) {
        await this.#adopt(session, record.thread, false);
      }
      // Opened with this entry as its first message, and killed before the commit.
      if (record.thread.starter === entry.id) {
        return { thread: record.thread, starter: record.thread.id };
      }
      return { thread: record.thread };
    }
    const status = await this.#o.statusChannel();
    if (status === undefined) {
      return { failed: "no STATUS channel is configured (no readable webhook): run setup" };
    }
    const name = entry.threadName!;
    if (!record.threadNoted) {
      // A thread made before the outbox existed (notify.ts's webhook), or recorded elsewhere.
      const known = this.#o.registry.get(session)?.threadId;
      if (known !== undefined) {
        return { thread: await this.#adopt(session, { id: known, name, parentId: status.id }) };
      }
    }
    // Only a thread this session was opening (a lost answer) is looked for.
    const opening = record.creating?.name === name && record.creating.parentId === status.id;
    const found = opening ? await this.#lookUp(status, name) : undefined;
    if (found !== undefined) {
      // Opened by this entry before a lost answer: the entry is its first message already.
      const mine = isForum(status.type) && record.creating?.id === entry.id &&
        record.creating.parentId === status.id;
      const thread = await this.#adopt(session, {
        id: found.id,
        name,
        parentId: status.id,
        ...(mine ? { starter: entry.id } : {}),
      });
      this.#o.log.info(
        `outbox ${session.slice(0, 8)}: adopted thread ${found.id} ("${name}")` +
          (mine ? `, opened by entry ${entry.id} before` : ""),
      );
      return mine ? { thread, starter: found.id } : { thread };
    }
    await this.#o.outbox.note(session, { creating: { id: entry.id, name, parentId: status.id } });
    if (isForum(status.type)) {
      const res = await this.#o.rest.answer<ThreadChannel>(
        "POST",
        `/channels/${status.id}/threads`,
        {
          what: `open a post in forum ${status.id}`,
          body: { name, auto_archive_duration: ARCHIVE_AFTER, message: entry.body },
        },
      );
      if (!res.ok) return this.#refused(res, `open a post in forum ${status.id}`);
      const thread = await this.#adopt(session, {
        id: res.body.id,
        name,
        parentId: status.id,
        starter: entry.id,
      });
      return { thread, starter: res.body.id };
    }
    const res = await this.#o.rest.answer<ThreadChannel>(
      "POST",
      `/channels/${status.id}/threads`,
      {
        what: `open a thread in channel ${status.id}`,
        body: { name, type: ThreadChannelType.PublicThread, auto_archive_duration: ARCHIVE_AFTER },
      },
    );
    if (!res.ok) return this.#refused(res, `open a thread in channel ${status.id}`);
    return { thread: await this.#adopt(session, { id: res.body.id, name, parentId: status.id }) };
  }

  /** An active thread of the STATUS channel with this name, created by the bot. */
  async #lookUp(status: StatusChannel, name: string): Promise<ThreadChannel | undefined> {
    const threads = await this.#o.rest.request<{ threads?: ThreadChannel[] }>(
      "GET",
      `/guilds/${status.guildId}/threads/active`,
      { what: `list the active threads of guild ${status.guildId}` },
    ).catch((err) => {
      if (err instanceof DiscordApiError && !(err instanceof DiscordUnreachableError)) {
        // Not allowed to list them: nothing to adopt (opening one is still tried).
        this.#o.log.warn(`outbox: ${describeError(err)}`);
        return { threads: [] };
      }
      throw err;
    });
    return (threads?.threads ?? []).find((t) =>
      t.parent_id === status.id && t.name === name &&
      (this.#o.botId === undefined || t.owner_id === this.#o.botId)
    );
  }

  /** Records the session's thread: the outbox record first, then the registry (for routing). */
  async #adopt(session: string, thread: ThreadRecord, note = true): Promise<ThreadRecord> {
    if (note) await this.#o.outbox.note(session, { thread });
    try {
      await this.#o.registry.setThread(session, thread.id);
    } catch (err) {
      // A session that never registered (a script's posts): the outbox record is enough.
      if (!(err instanceof StateError)) throw err;
    }
    return thread;
  }

  /** Unarchives and unlocks a thread; false when refused. */
  async #unarchive(threadId: string): Promise<boolean> {
    const res = await this.#o.rest.answer("PATCH", `/channels/${threadId}`, {
      what: `unarchive thread ${threadId}`,
      body: { archived: false, locked: false },
    });
    return res.ok;
  }

  /** A refusal: the entry fails, unless it is the token (then nothing can be sent: blocked). */
  #refused(res: Refusal, what: string): { failed: string } {
    if (res.status === 401) {
      throw new SenderBlocked(
        `Discord rejected the token (401) to ${what}: run setup with the bot's current token`,
      );
    }
    const fix = res.status === 403
      ? ": give the bot View Channel, Send Messages, Send Messages in Threads, Create Public " +
        "Threads and Embed Links in the STATUS channel (deno task doctor checks them)"
      : "";
    return { failed: `Discord refused to ${what}: ${refusal(res)}${fix}` };
  }
}
