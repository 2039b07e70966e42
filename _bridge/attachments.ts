// Private: the attachments of accepted messages, downloaded into the state directory before the
// message's event is written (ARCHITECTURE.md, Attachments).
//
// - Where: `$home/attachments/<message id>/<safe name>` (directories 0700, files 0600). A file
//   is written as `.<attachment id>.part` and renamed once complete; names are given in the
//   message's attachment order after every download finished, so a message downloaded again
//   (after a restart) gets the same names.
// - Limits: a file over `maxFileBytes`, or one that would take the message's total over
//   `maxMessageBytes`, is not downloaded; the event says so. A body longer than allowed is cut
//   off and refused the same way (Discord's `size` is not trusted for that).
// - Retries: network errors and other answers than the file are retried with backoff; a 403/404
//   (a signed URL that expired) is retried once with the fresh URL of the message read again
//   through REST. After the last attempt the event records why the file is missing, as it does
//   for any other failure to store it: the message is never held back or dropped for a file.
//   CDN requests carry no token.
// - Stopping: `close()` aborts the downloads; `fill` then resolves `false` and the bridge writes
//   nothing, so the cursor stays before the message and the next start downloads it.
// - Retention: `startPruning` removes message folders older than the retention every hour.
import type { InboxAttachment } from "../inbox.ts";
import { describeError, type Logger } from "../log.ts";
import type { RawAttachment } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { bridgePaths } from "../daemon.ts";
import type { StatusBoard } from "./status.ts";
import { timeOfSnowflake } from "../_discord/snowflake.ts";
import { ensurePrivateDir, readDirIfExists, removeIfExists } from "../_shared/fs.ts";
import { directoryUsage, type DiskUsage } from "../_shared/disk.ts";
import {
  type Detector,
  loadDetector,
  nameForType,
  safeFileName,
  SNIFF_BYTES,
  sniffType,
  textHead,
  uniqueName,
} from "./file_kind.ts";

const MIB = 1024 * 1024;
const KIB = 1024;
const DAY_MS = 86_400_000;
/** How often files past their retention are removed. */
const PRUNE_INTERVAL_MS = 3_600_000;
/** A message id, the name of its folder. */
const SNOWFLAKE = /^[0-9]{1,21}$/;

/** What the bridge keeps of attachments, and for how long. */
export interface AttachmentLimits {
  /** Largest file downloaded. Default 8 MiB. */
  maxFileBytes: number;
  /** Most bytes downloaded for one message. Default 25 MiB. */
  maxMessageBytes: number;
  /** Most bytes of a text file put into the event to be shown inline. Default 8 KiB. */
  inlineTextBytes: number;
  /** How long stored files are kept, from their message's time. Default 7 days. */
  retentionMs: number;
}

/** The default {@linkcode AttachmentLimits}. */
export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = {
  maxFileBytes: 8 * MIB,
  maxMessageBytes: 25 * MIB,
  inlineTextBytes: 8 * KIB,
  retentionMs: 7 * DAY_MS,
};

/** Options of {@linkcode AttachmentStore}. */
export interface AttachmentStoreOptions {
  /** `$home/attachments`. */
  dir: string;
  /** Limits; defaults from {@linkcode DEFAULT_ATTACHMENT_LIMITS}. */
  limits?: Partial<AttachmentLimits>;
  /** Reads the message again (REST) for fresh attachment URLs. */
  refresh: (channelId: string, messageId: string) => Promise<readonly RawAttachment[]>;
  /** Where to log. */
  log: Logger;
  /** Downloads at once, over all messages. Default 4. */
  concurrency?: number;
  /** Attempts per file. Default 4. */
  attempts?: number;
  /** Longest time one attempt may take, ms. Default 120,000. */
  attemptTimeoutMs?: number;
  /** The transport. Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** `close()` stopped a download: nothing may be written for the message. */
class StoppedError extends Error {
  constructor() {
    super("the bridge is stopping");
    this.name = "StoppedError";
  }
}

/** A download that did not work out; its message is the event's `error`. */
class Refused extends Error {}

/** One downloaded file: where its bytes are and what they start with. */
interface Fetched {
  part: string;
  bytes: number;
  head: Uint8Array;
}

/** What {@linkcode bridgeAttachmentStore} takes of the bridge's options. */
export interface BridgeAttachmentOptions {
  /** The state directory. */
  home: string;
  log: Logger;
  /** Limits and retention; defaults from {@linkcode DEFAULT_ATTACHMENT_LIMITS}. */
  attachments?: Partial<AttachmentLimits>;
  /** Randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * The bridge's store: files under `$home/attachments`, fresh URLs read through REST, the disk use
 * in status.json.
 *
 * @param o The bridge's state directory, log, limits and randomness.
 * @param rest Reads a message again for fresh attachment URLs.
 * @param status Publishes the disk use in status.json.
 * @returns The store (pruning not started).
 */
export function bridgeAttachmentStore(
  o: BridgeAttachmentOptions,
  rest: DiscordRest,
  status: StatusBoard,
): AttachmentStore {
  const store = new AttachmentStore({
    dir: bridgePaths(o.home).attachments,
    limits: o.attachments,
    refresh: async (channelId, id) => (await rest.getMessage(channelId, id)).attachments ?? [],
    log: o.log,
    random: o.random,
  });
  status.attachments = () => store.usage();
  return store;
}

/** Downloads attachments, prunes old ones, and tells how much disk they use. */
export class AttachmentStore {
  readonly #o: AttachmentStoreOptions;
  readonly limits: AttachmentLimits;
  readonly #fetch: typeof fetch;
  readonly #stop = new AbortController();
  readonly #queue: Array<() => void> = [];
  #running = 0;
  #pruner: ReturnType<typeof setInterval> | undefined;
  /** The last count, until files are added or removed. */
  #usage: DiskUsage | undefined;

  constructor(options: AttachmentStoreOptions) {
    this.#o = options;
    this.limits = { ...DEFAULT_ATTACHMENT_LIMITS, ...options.limits };
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * Downloads the files of message `messageId` and completes `attachments` (the event's, in
   * Discord's order) in place: each gets `path` (and `detectedType`, and `text` for text), or
   * `error`.
   *
   * @returns `true` once every file is stored or its failure recorded (the event may be
   *   written); `false` when {@linkcode close} was called meanwhile (nothing may be written).
   */
  async fill(
    channelId: string,
    messageId: string,
    attachments: InboxAttachment[],
  ): Promise<boolean> {
    if (attachments.length === 0) return true;
    try {
      await this.#fill(channelId, messageId, attachments);
      return true;
    } catch (err) {
      if (err instanceof StoppedError) return false;
      throw err;
    }
  }

  async #fill(channelId: string, messageId: string, attachments: InboxAttachment[]): Promise<void> {
    if (!SNOWFLAKE.test(messageId)) {
      for (const a of attachments) a.error = `not downloaded: bad message id ${messageId}`;
      return;
    }
    const dir = `${this.#o.dir}/${messageId}`;
    let refreshed: Promise<Map<string, string>> | undefined;
    const fresh = () =>
      refreshed ??= this.#o.refresh(channelId, messageId).then((list) =>
        new Map(list.map((a) => [a.id, a.url]))
      );
    let budget = this.limits.maxMessageBytes;
    const plans = attachments.map((a) => {
      const over = a.size > this.limits.maxFileBytes
        ? `${size(a.size)} is over the ${size(this.limits.maxFileBytes)} limit per file ` +
          `(attachmentMaxFileMiB in config.json)`
        : a.size > budget
        ? `the message's files pass the ${size(this.limits.maxMessageBytes)} limit per message ` +
          `(attachmentMaxMessageMiB in config.json)`
        : undefined;
      if (over === undefined) budget -= a.size;
      return { a, over, allowed: Math.min(this.limits.maxFileBytes, a.size + budget) };
    });
    const results = await Promise.all(plans.map(async (p) => {
      if (p.over !== undefined) return new Refused(`not downloaded: ${p.over}`);
      try {
        return await this.#download(dir, p.a, p.allowed, fresh);
      } catch (err) {
        if (err instanceof Refused) return err;
        throw err;
      }
    }));
    if (this.#stop.signal.aborted) throw new StoppedError();
    let detect: Detector | Error | undefined;
    if (results.some((r) => !(r instanceof Refused))) {
      detect = await loadDetector().catch((err) =>
        new Error(`cannot load the file type detector: ${describeError(err)}`, { cause: err })
      );
    }
    const taken = new Set<string>();
    for (let i = 0; i < attachments.length; i++) {
      const a = attachments[i];
      const r = results[i];
      if (r instanceof Refused) {
        a.error = r.message;
        this.#o.log.warn(`attachment ${a.id} of message ${messageId}: ${r.message}`);
        continue;
      }
      try {
        if (detect instanceof Error) throw detect;
        this.#place(dir, a, r, detect!, taken);
      } catch (err) {
        // Any failure is recorded on the attachment: the message is delivered without its
        // file, never held back or dropped.
        a.error = `not stored: ${describeError(err)}`;
        this.#o.log.error(`attachment ${a.id} of message ${messageId} not stored`, err);
      }
    }
  }

  /** Aborts the downloads under way; `fill` calls then resolve `false`. */
  close(): void {
    this.#stop.abort();
    clearInterval(this.#pruner);
    for (const wake of this.#queue.splice(0)) wake();
  }

  /**
   * Prunes now and then every hour until {@linkcode close}.
   *
   * @param now Clock (ms).
   * @param onPruned Told after each pruning (the disk use may have changed).
   */
  startPruning(now: () => number, onPruned: () => void): void {
    const run = () => {
      try {
        const n = this.prune(now());
        if (n > 0) {
          this.#o.log.info(`removed the attachments of ${n} message(s) past their retention`);
        }
        onPruned();
      } catch (err) {
        // Logged, and tried again at the next pruning.
        this.#o.log.warn(`cannot prune attachments: ${describeError(err)}`);
      }
    };
    run();
    clearInterval(this.#pruner);
    this.#pruner = setInterval(run, PRUNE_INTERVAL_MS);
  }

  /**
   * Removes the folders of messages older than the retention and counts what stays.
   *
   * @param now The time (ms).
   * @returns How many message folders were removed.
   */
  prune(now: number): number {
    let removed = 0;
    for (const e of readDirIfExists(this.#o.dir)) {
      if (!e.isDirectory || !SNOWFLAKE.test(e.name)) continue;
      if (now - timeOfSnowflake(e.name) <= this.limits.retentionMs) continue;
      try {
        Deno.removeSync(`${this.#o.dir}/${e.name}`, { recursive: true });
        removed++;
      } catch (err) {
        // Logged, and tried again at the next pruning.
        this.#o.log.warn(`cannot remove old attachments ${e.name}: ${describeError(err)}`);
      }
    }
    this.#usage = undefined;
    return removed;
  }

  /** Message folders, files and bytes stored (counted again after files were added or removed). */
  usage(): DiskUsage {
    return this.#usage ??= directoryUsage(this.#o.dir);
  }

  /** Puts a downloaded file under its final name and completes the attachment. */
  #place(
    dir: string,
    a: InboxAttachment,
    r: Fetched,
    detect: Detector,
    taken: Set<string>,
  ): void {
    const type = sniffType(r.head, detect);
    const name = uniqueName(nameForType(safeFileName(a.filename), type), taken);
    taken.add(name);
    const path = `${dir}/${name}`;
    Deno.renameSync(r.part, path);
    a.path = path;
    a.detectedType = type;
    if (type === "text/plain") a.text = textHead(r.head, this.limits.inlineTextBytes);
    this.#usage = undefined;
  }

  /** Downloads one file into `dir/.<id>.part`, retrying; throws {@linkcode Refused} when it cannot. */
  async #download(
    dir: string,
    a: InboxAttachment,
    allowed: number,
    fresh: () => Promise<Map<string, string>>,
  ): Promise<Fetched> {
    const attempts = this.#o.attempts ?? 4;
    let url = a.url;
    let renewed = false;
    let why = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#stop.signal.aborted) throw new StoppedError();
      let status = 0;
      try {
        const got = await this.#slot(() => this.#attempt(dir, a, url, allowed));
        if (typeof got !== "number") return got;
        status = got;
      } catch (err) {
        if (this.#stop.signal.aborted) throw new StoppedError();
        if (err instanceof Refused) throw err;
        // Any other failure of an attempt (network, timeout, disk) is retried; the last
        // one's reason is recorded.
        why = describeError(err);
      }
      if (status === 403 || status === 404) {
        if (renewed) {
          throw new Refused(`download failed: the CDN answered ${status} to a fresh URL`);
        }
        renewed = true;
        try {
          const next = (await fresh()).get(a.id);
          if (next === undefined) {
            throw new Refused("download failed: the message no longer has this file");
          }
          url = next;
          a.url = next;
        } catch (err) {
          if (err instanceof Refused) throw err;
          throw new Refused(
            `download failed: its URL expired and the message could not be read again ` +
              `(${describeError(err)})`,
          );
        }
        attempt--; // a renewed URL is not a failed attempt
        continue;
      }
      if (status !== 0) why = `the CDN answered ${status}`;
      if (attempt < attempts) {
        const ceiling = Math.min(8000, 500 * 2 ** (attempt - 1));
        const ms = Math.round(ceiling / 2 + (this.#o.random ?? Math.random)() * ceiling / 2);
        this.#o.log.warn(
          `attachment ${a.id}: attempt ${attempt} failed (${why}); retrying in ${ms} ms`,
        );
        await (this.#o.sleep ?? ((t) => new Promise((r) => setTimeout(r, t))))(ms);
      }
    }
    throw new Refused(`download failed after ${attempts} attempts: ${why}`);
  }

  /** One attempt: the file, or the HTTP status of an answer that is not the file. */
  async #attempt(
    dir: string,
    a: InboxAttachment,
    url: string,
    allowed: number,
  ): Promise<Fetched | number> {
    // One controller per attempt, its timer and stop listener removed after it: nothing of a
    // finished download stays referenced (AbortSignal.any and .timeout would keep it for the
    // timeout's length).
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.#stop.signal.addEventListener("abort", onStop);
    const timer = setTimeout(() => abort.abort(), this.#o.attemptTimeoutMs ?? 120_000);
    try {
      return await this.#transfer(dir, a, url, allowed, abort.signal);
    } finally {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener("abort", onStop);
    }
  }

  async #transfer(
    dir: string,
    a: InboxAttachment,
    url: string,
    allowed: number,
    signal: AbortSignal,
  ): Promise<Fetched | number> {
    const res = await this.#fetch(url, { signal, redirect: "follow" });
    if (!res.ok || res.body === null) {
      await res.body?.cancel();
      return res.status;
    }
    ensurePrivateDir(this.#o.dir);
    ensurePrivateDir(dir);
    const part = `${dir}/.${a.id}.part`;
    const file = await Deno.open(part, { write: true, create: true, truncate: true, mode: 0o600 });
    // One byte past the inline size tells textHead that the file goes on.
    const keep = Math.max(SNIFF_BYTES, this.limits.inlineTextBytes + 1);
    const head = new Uint8Array(keep);
    let bytes = 0;
    try {
      for await (const chunk of res.body) {
        if (bytes + chunk.length > allowed) {
          throw new Refused(
            `not stored: it is longer than ${size(allowed)} (Discord said ${size(a.size)})`,
          );
        }
        if (bytes < keep) head.set(chunk.subarray(0, keep - bytes), bytes);
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
        bytes += chunk.length;
      }
      await file.syncData();
    } catch (err) {
      file.close();
      try {
        removeIfExists(part);
      } catch {
        // Any failure here: the download's own error is the one to report (a left-over part
        // file is hidden, and replaced by the next attempt).
      }
      throw err;
    }
    file.close();
    return { part, bytes, head: head.subarray(0, Math.min(bytes, keep)) };
  }

  /** Runs `fn` when fewer than `concurrency` downloads run. */
  async #slot<T>(fn: () => Promise<T>): Promise<T> {
    const max = this.#o.concurrency ?? 4;
    while (this.#running >= max) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
      if (this.#stop.signal.aborted) throw new StoppedError();
    }
    this.#running++;
    try {
      return await fn();
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }
}

/** `1.5 MiB`, `12 KiB`, `300 bytes`. */
export function size(n: number): string {
  if (n >= MIB) return `${(n / MIB).toFixed(1).replace(/\.0$/, "")} MiB`;
  if (n >= KIB) return `${(n / KIB).toFixed(1).replace(/\.0$/, "")} KiB`;
  return `${n} bytes`;
}
