// Private: receipts. The bridge reacts to each accepted message of an allowlisted user, once
// per message whatever the number of sessions it went to: 📬 when it is written to a session's
// mailbox, ⏳ when it is held because no session is live, ✅ when a hook handed it to Claude
// (its id shows up in a delivered log, `inbox/.state/<mailbox>.delivered.jsonl`, watched; a
// held message's ⏳ is then taken back). Messages that reach nobody (strangers, bots,
// webhooks, the bot itself) are never written, so they get nothing.
//
// Reactions go out with the bridge's REST client (PUT of the bot's own reaction: idempotent at
// Discord, so sending one twice is harmless), one message's in order, off the gateway's path.
// The messages waiting for their ✅ are kept in `bridge/receipts.json`, so that a message
// delivered while the bridge was restarting still gets it.
import { HELD, type InboxEvent } from "../inbox.ts";
import { describeError, type Logger } from "../log.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";
import { parseJson } from "../_shared/json.ts";
import type { DirWatches } from "./watch.ts";

/** The receipts' emoji. */
export const RECEIPT = {
  /** Written to a session's mailbox. */
  written: "📬",
  /** Held: no session is live. */
  held: "⏳",
  /** Handed to Claude by a hook. */
  delivered: "✅",
} as const;

/** Most messages waiting for their ✅; past it the oldest are forgotten. */
const AWAITING_MAX = 5000;
/** A message not delivered within this time is forgotten (the held box keeps 24 h). */
const AWAITING_MS = 3 * 86_400_000;
/** How soon a change of the waiting messages is saved, ms. */
const SAVE_AFTER_MS = 500;
/** Delivered ids remembered, so that a second delivery does not react again. */
const DONE_MAX = 5000;
/**
 * Most messages with reactions under way. Receipts are a courtesy: under a burst (a long
 * catch-up, a flood) the ones past it are skipped, so that the queue of REST calls, and the
 * bridge's memory, stay bounded whatever comes in.
 */
export const REACTING_MAX = 200;

/** Options of {@linkcode Receipts}. */
export interface ReceiptsOptions {
  /** The state directory. */
  home: string;
  /** The bridge's REST client. */
  rest: DiscordRest;
  /** The directory watches. */
  watches: DirWatches;
  /** Where to log. */
  log: Logger;
  /** Clock (ms). */
  now: () => number;
  /** Told after each reaction Discord took (benchmarks, tests). */
  onReacted?: (messageId: string, emoji: string) => void;
}

interface Awaiting {
  /** The message's channel (or thread). */
  c: string;
  /** ⏳ was added. */
  h?: boolean;
  /** 📬 was added. */
  w?: boolean;
  /** When it was written (ms). */
  t: number;
}

/** The receipts of one bridge. */
export class Receipts {
  readonly #o: ReceiptsOptions;
  readonly #path: string;
  readonly #stateDir: string;
  readonly #awaiting: Map<string, Awaiting>;
  readonly #done = new Set<string>();
  readonly #chains = new Map<string, Promise<void>>();
  /** Per delivered log: how far it was read. */
  readonly #read = new Map<string, { ino: number | null; offset: number }>();
  #unwatch: (() => void) | undefined;
  #save: ReturnType<typeof setTimeout> | undefined;
  #failedWhy = "";
  #stopped = false;
  /** Reactions skipped since the queue was last below its bound. */
  #skipped = 0;

  /** @param options The state directory, REST client, watches and log. */
  constructor(options: ReceiptsOptions) {
    this.#o = options;
    const home = options.home.replace(/\/+$/, "");
    this.#path = `${home}/bridge/receipts.json`;
    this.#stateDir = `${home}/inbox/.state`;
    const read = readJsonState(this.#path, (v) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
      return new Map(
        Object.entries(v as Record<string, Awaiting>).filter(([, a]) =>
          typeof a?.c === "string" && typeof a.t === "number"
        ),
      );
    }, new Map<string, Awaiting>());
    if (read.damaged) options.log.warn(read.damaged);
    this.#awaiting = read.value;
  }

  /** Watches the delivered logs, and looks for what was delivered while the bridge was down. */
  start(): void {
    const home = this.#o.home.replace(/\/+$/, "");
    try {
      ensurePrivateDir(this.#stateDir);
      this.#unwatch = this.#o.watches.watch(this.#stateDir, (names) => {
        for (const name of names) {
          if (name.endsWith(".delivered.jsonl")) this.#check(name);
        }
      }, home);
    } catch (err) {
      this.#o.log.error("receipts: cannot watch the delivered logs; no ✅", err);
    }
    if (this.#awaiting.size > 0) this.#checkAll();
  }

  /** Stops watching, saves what waits, and waits (up to `ms`) for reactions under way. */
  async stop(ms = 2000): Promise<void> {
    this.#stopped = true;
    this.#unwatch?.();
    if (this.#save !== undefined) {
      clearTimeout(this.#save);
      this.#saveNow();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#chains.values()]),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  /** Resolves when no reaction is under way (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  /**
   * Told after every durable mailbox write: messages get 📬 (or ⏳ in the held box), once.
   *
   * @param mailbox The mailbox written.
   * @param events The events written.
   */
  written(mailbox: string, events: readonly InboxEvent[]): void {
    if (this.#stopped) return;
    let added = false;
    for (const e of events) {
      if (e.kind !== "message" || this.#done.has(e.id)) continue;
      const held = mailbox === HELD;
      let a = this.#awaiting.get(e.id);
      if (a === undefined) {
        a = { c: e.channelId, t: this.#o.now() };
        this.#awaiting.set(e.id, a);
        added = true;
      }
      if (held && !a.h && !a.w) {
        a.h = true;
        this.#react(e.id, a.c, RECEIPT.held);
      } else if (!held && !a.w) {
        a.w = true;
        this.#react(e.id, a.c, RECEIPT.written);
      }
    }
    if (!added) return;
    this.#trim();
    this.#scheduleSave();
    // A hook may have claimed it already (the watch tells later): look now too.
    if (mailbox !== HELD) setTimeout(() => this.#check(`${mailbox}.delivered.jsonl`), 0);
  }

  #checkAll(): void {
    let names: string[];
    try {
      names = [...Deno.readDirSync(this.#stateDir)].map((e) => e.name);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    for (const name of names) if (name.endsWith(".delivered.jsonl")) this.#check(name);
  }

  /** Reads what was appended to a delivered log; its awaited ids get ✅. */
  #check(name: string): void {
    if (this.#stopped) return;
    const path = `${this.#stateDir}/${name}`;
    let text: string;
    try {
      text = this.#newText(path);
    } catch (err) {
      this.#o.log.warn(`receipts: cannot read ${name}: ${describeError(err)}`);
      return;
    }
    if (text === "") return;
    let delivered = false;
    for (const line of text.split("\n")) {
      if (!line.includes('"ids"')) continue;
      const ids = (parseJson(line) as { ids?: unknown } | undefined)?.ids;
      if (!Array.isArray(ids)) continue;
      for (const id of ids) {
        const a = typeof id === "string" ? this.#awaiting.get(id) : undefined;
        if (a === undefined) continue;
        this.#awaiting.delete(id);
        this.#remember(id);
        delivered = true;
        this.#react(id, a.c, RECEIPT.delivered);
        if (a.h) this.#react(id, a.c, RECEIPT.held, "DELETE");
      }
    }
    if (delivered) this.#scheduleSave();
  }

  /**
   * The complete lines appended to a file since the last read ("" when nothing awaits: the
   * file is only measured). A file that shrank or was replaced is read from its start.
   */
  #newText(path: string): string {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "";
      throw err;
    }
    try {
      const info = file.statSync();
      let at = this.#read.get(path);
      if (at === undefined || at.ino !== info.ino || info.size < at.offset) {
        at = { ino: info.ino, offset: 0 };
        this.#read.set(path, at);
      }
      if (this.#awaiting.size === 0 || info.size === at.offset) {
        at.offset = info.size;
        return "";
      }
      file.seekSync(at.offset, Deno.SeekMode.Start);
      const bytes = new Uint8Array(info.size - at.offset);
      let filled = 0;
      while (filled < bytes.length) {
        const n = file.readSync(bytes.subarray(filled));
        if (n === null || n === 0) break;
        filled += n;
      }
      const end = bytes.subarray(0, filled).lastIndexOf(0x0a);
      if (end < 0) return "";
      at.offset += end + 1;
      return new TextDecoder().decode(bytes.subarray(0, end));
    } finally {
      file.close();
    }
  }

  /** Sends a reaction after the message's earlier ones. */
  #react(messageId: string, channelId: string, emoji: string, method: "PUT" | "DELETE" = "PUT") {
    const chained = this.#chains.get(messageId);
    if (chained === undefined && this.#chains.size >= REACTING_MAX) {
      this.#skipped++;
      if (this.#skipped === 1) {
        this.#o.log.warn(
          `receipts: more than ${REACTING_MAX} messages wait for their reactions; skipping receipts until they are sent`,
        );
      }
      return;
    }
    if (this.#skipped > 0 && this.#chains.size < REACTING_MAX / 2) {
      this.#o.log.info(`receipts: going again (${this.#skipped} skipped)`);
      this.#skipped = 0;
    }
    const before = chained ?? Promise.resolve();
    const path = `/channels/${channelId}/messages/${messageId}/reactions/` +
      `${encodeURIComponent(emoji)}/@me`;
    const what = `${
      method === "PUT" ? "add" : "remove"
    } the receipt ${emoji} on message ${messageId}`;
    const next = before.then(async () => {
      try {
        const res = await this.#o.rest.answer(method, path, { what });
        if (res.ok) {
          if (method === "PUT") this.#o.onReacted?.(messageId, emoji);
          return;
        }
        this.#failed(`Discord refused to ${what}: ${res.status} ${res.message ?? ""}`.trim());
      } catch (err) {
        this.#failed(describeError(err));
      }
    }).finally(() => {
      if (this.#chains.get(messageId) === next) this.#chains.delete(messageId);
    });
    this.#chains.set(messageId, next);
  }

  /** One log line per kind of failure in a row (a missing permission would repeat). */
  #failed(why: string): void {
    const kind = why.replace(/[0-9]{15,21}/g, "#");
    if (kind === this.#failedWhy) return;
    this.#failedWhy = kind;
    this.#o.log.warn(`receipts: ${why} (the bot needs Add Reactions and Read Message History)`);
  }

  #remember(id: string): void {
    this.#done.add(id);
    if (this.#done.size > DONE_MAX) this.#done.delete(this.#done.values().next().value!);
  }

  #trim(): void {
    const old = this.#o.now() - AWAITING_MS;
    for (const [id, a] of this.#awaiting) {
      if (this.#awaiting.size <= AWAITING_MAX && a.t >= old) break;
      this.#awaiting.delete(id);
    }
  }

  #scheduleSave(): void {
    if (this.#save !== undefined || this.#stopped) return;
    this.#save = setTimeout(() => {
      this.#save = undefined;
      this.#saveNow();
    }, SAVE_AFTER_MS);
  }

  #saveNow(): void {
    try {
      ensurePrivateDir(this.#path.slice(0, this.#path.lastIndexOf("/")));
      writePrivateFileAtomic(this.#path, JSON.stringify(Object.fromEntries(this.#awaiting)));
    } catch (err) {
      this.#o.log.warn(`receipts: cannot save the messages waiting for ✅: ${describeError(err)}`);
    }
  }
}
