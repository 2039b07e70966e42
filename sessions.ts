/**
 * The session registry: one small JSON file per Claude Code session under
 * `$home/sessions/<id>.json` (0600), with a human name, the working directory, the
 * session's Discord thread, and liveness.
 *
 * A session is live when it has not ended, its pid (when recorded) is alive (`/proc/<pid>`
 * exists, which Deno lets only `--allow-all` see; else `ps` lists it, which takes
 * `--allow-run=ps`; with neither the pid counts as alive), and it was seen within
 * `liveTtlMs` (default 24 h). Every change
 * is a read-modify-write under one registry lock (`sessions/.lock`, `flock`), so hooks
 * running in parallel, or two sessions starting at once, never lose an update or get the
 * same name. Reads (`get`, `list`, `find…`) take no lock: record files are replaced
 * atomically.
 *
 * Names are unique per machine (state directory). Other machines on the same bot have
 * registries of their own; a new session whose name a session of another machine has (its
 * thread, which this machine's bridge sees: {@linkcode SessionRegistryOptions.otherMachines})
 * gets this machine's label: `api-3f2a@laptop` ({@linkcode qualifiedName}).
 *
 * @example Register a session and find it by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { SessionRegistry } from "./sessions.ts";
 *
 * const registry = new SessionRegistry(Deno.makeTempDirSync());
 * const record = await registry.register({ id: "3f2a9c1e-0000-4000-8000-000000000000", cwd: "/src/My App" });
 * assert(record.name === "my-app-3f2a");
 * assert(registry.findByName("MY-APP-3F2A")?.id === record.id);
 * ```
 *
 * @module
 */
import {
  ensurePrivateDir,
  readJsonState,
  readTextIfExists,
  removeIfExists,
  writePrivateFileAtomic,
} from "./_shared/fs.ts";
import { withFileLock } from "./_shared/lock.ts";
import { StateError } from "./errors.ts";
import { pidAlive } from "./_shared/procs.ts";

/** What the registry knows about one session. */
export interface SessionRecord {
  /** Claude Code's `session_id`. */
  id: string;
  /**
   * Human name, unique among live sessions: `<cwd basename>-<id prefix>`, lower case; with
   * `@<machine label>` when another machine's session had that name already.
   */
  name: string;
  /** The session's working directory. */
  cwd: string;
  /** The session's Discord thread, once created. */
  threadId?: string;
  /** ISO 8601 time of the first registration. */
  started: string;
  /** ISO 8601 time of the last register/touch/setThread. */
  lastSeen: string;
  /** A process whose death means the session is gone (e.g. the Claude Code process). */
  pid?: number;
  /** Claude Code's transcript of the session (`transcript_path`): the delivery hooks read it. */
  transcriptPath?: string;
  /** ISO 8601 time of unregistration. */
  ended?: string;
}

/** Options of {@linkcode SessionRegistry}. */
export interface SessionRegistryOptions {
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** A session not seen for this long is not live. Default 24 h. */
  liveTtlMs?: number;
  /** Tells whether a pid is alive. Default: `/proc/<pid>` exists, else `ps` lists it; assumed alive when neither may be looked at. */
  isAlive?: (pid: number) => boolean;
  /** `register` deletes records that are not live and were last seen longer ago than this. Default 7 days. */
  pruneAfterMs?: number;
  /** Told when a damaged record was moved aside (`<id>.json.damaged`), for a log line. */
  onWarning?: (message: string) => void;
  /**
   * The session threads the bot has open on Discord (every machine's; this machine's are the
   * ones its records name) and this machine's label, read when a new session is named: a name
   * one of the others has gets `@<label>`. Default: none (names as with one machine).
   */
  otherMachines?: () => OtherMachines;
}

/** What a registry knows of other machines' sessions when it names a new one. */
export interface OtherMachines {
  /** This machine's label (`machine.ts`). */
  label: string;
  /** The session threads the bot has open, every machine's: their names are session names. */
  threads: readonly { id: string; name: string }[];
}

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const DAY = 86_400_000;

/**
 * Reads and updates the session registry. All methods are safe across processes.
 *
 * @example Mark the session's thread, then end it
 * ```ts
 * import assert from "node:assert/strict";
 * import { SessionRegistry } from "./sessions.ts";
 *
 * const registry = new SessionRegistry(Deno.makeTempDirSync());
 * await registry.register({ id: "abcd1234", cwd: "/work/api" });
 * await registry.setThread("abcd1234", "1100000000000000009");
 * assert(registry.findByThread("1100000000000000009")?.name === "api-abcd");
 * await registry.unregister("abcd1234");
 * assert(registry.list({ live: true }).length === 0);
 * ```
 */
export class SessionRegistry {
  readonly #dir: string;
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #isAlive: (pid: number) => boolean;
  readonly #pruneAfter: number;
  readonly #onWarning: (message: string) => void;
  readonly #otherMachines: (() => OtherMachines) | undefined;

  /**
   * Opens the registry of a state directory.
   *
   * @param home The state directory (`CLAUDE_DISCORD_HOME`); records live in `home/sessions/`.
   * @param options Clock, liveness TTL, pid probe, pruning age.
   */
  constructor(home: string, options: SessionRegistryOptions = {}) {
    if (typeof home !== "string" || home === "") {
      throw new TypeError("SessionRegistry needs a home directory");
    }
    this.#dir = `${home.replace(/\/+$/, "") || "/"}/sessions`;
    this.#now = options.now ?? Date.now;
    this.#ttl = options.liveTtlMs ?? DAY;
    this.#isAlive = options.isAlive ?? pidAlive;
    this.#pruneAfter = options.pruneAfterMs ?? 7 * DAY;
    this.#onWarning = options.onWarning ?? (() => {});
    this.#otherMachines = options.otherMachines;
  }

  /**
   * The directory holding one `<id>.json` per session. Every change renames a file into it,
   * so its modification time tells a cache whether the registry changed.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SessionRegistry } from "./sessions.ts";
   * assert(new SessionRegistry("/h").directory === "/h/sessions");
   * ```
   */
  get directory(): string {
    return this.#dir;
  }

  /**
   * Registers a session, or refreshes it when the id is known (idempotent; an ended
   * record comes back to life). The name is the sanitised basename of `cwd` plus the
   * first 4 characters of the id, lengthened while another live session has it; when a
   * session of another machine has it, this machine's label follows (`name@label`). A
   * session keeps its name when registered again.
   *
   * @param input The session id, its working directory, and optionally a pid to watch and the
   *   session's transcript (kept from an earlier registration when not given).
   * @returns The stored record.
   * @throws {TypeError} When the id is not 1–128 letters, digits, `_` or `-`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SessionRegistry } from "./sessions.ts";
   * const registry = new SessionRegistry(Deno.makeTempDirSync());
   * const a = await registry.register({ id: "abcd0001", cwd: "/x/web" });
   * const b = await registry.register({ id: "abcd0002", cwd: "/y/web" });
   * assert(a.name === "web-abcd" && b.name === "web-abcd0");
   * ```
   *
   * @example Another machine's session has the name already
   * ```ts
   * import assert from "node:assert/strict";
   * import { SessionRegistry } from "./sessions.ts";
   * const registry = new SessionRegistry(Deno.makeTempDirSync(), {
   *   otherMachines: () => ({
   *     label: "laptop",
   *     threads: [{ id: "1100000000000000001", name: "web-abcd" }],
   *   }),
   * });
   * const c = await registry.register({ id: "abcd0003", cwd: "/z/web" });
   * assert(c.name === "web-abcd@laptop");
   * ```
   */
  async register(
    input: { id: string; cwd: string; pid?: number; transcriptPath?: string },
  ): Promise<SessionRecord> {
    checkId(input.id);
    if (typeof input.cwd !== "string") throw new TypeError("register needs the session's cwd");
    if (input.pid !== undefined && !(Number.isInteger(input.pid) && input.pid > 0)) {
      throw new TypeError(`pid must be a positive integer, got ${input.pid}`);
    }
    if (input.transcriptPath !== undefined && !input.transcriptPath.startsWith("/")) {
      throw new TypeError(`transcriptPath must be absolute, got ${input.transcriptPath}`);
    }
    ensurePrivateDir(this.#dir);
    return await this.#locked(() => {
      const now = this.#now();
      const iso = new Date(now).toISOString();
      const all = this.#readAll();
      const previous = all.find((r) => r.id === input.id);
      const taken = new Set(
        all.filter((r) => r.id !== input.id && this.#live(r, now)).map((r) => r.name.toLowerCase()),
      );
      const transcriptPath = input.transcriptPath ?? previous?.transcriptPath;
      let name = previous?.name;
      if (name === undefined || taken.has(name.toLowerCase())) {
        name = this.#newName(input.cwd, input.id, taken, all);
      }
      const record: SessionRecord = {
        id: input.id,
        name,
        cwd: input.cwd,
        ...(previous?.threadId !== undefined ? { threadId: previous.threadId } : {}),
        started: previous?.started ?? iso,
        lastSeen: iso,
        ...(input.pid !== undefined ? { pid: input.pid } : {}),
        ...(transcriptPath !== undefined ? { transcriptPath } : {}),
      };
      this.#write(record);
      for (const old of all) {
        if (old.id === input.id || this.#live(old, now)) continue;
        if (now - Date.parse(old.lastSeen) > this.#pruneAfter) this.#remove(old.id);
      }
      return record;
    });
  }

  /**
   * Records that the session is still around (updates `lastSeen`). Unknown ids are ignored.
   *
   * @param id The session id.
   */
  async touch(id: string): Promise<void> {
    await this.#update(id, () => {});
  }

  /**
   * Stores the session's Discord thread id (and refreshes `lastSeen`).
   *
   * @param id The session id.
   * @param threadId The thread's channel id.
   * @throws {StateError} When the session is not registered.
   */
  async setThread(id: string, threadId: string): Promise<void> {
    if (typeof threadId !== "string" || threadId === "") {
      throw new TypeError("setThread needs a thread id");
    }
    const found = await this.#update(id, (r) => (r.threadId = threadId));
    if (!found) throw new StateError(`Session ${id} is not registered: register it first`);
  }

  /**
   * Marks the session ended (the record stays for history until pruned). Unknown ids are ignored.
   *
   * @param id The session id.
   */
  async unregister(id: string): Promise<void> {
    await this.#update(id, (r, iso) => (r.ended = iso));
  }

  /**
   * Reads one session record.
   *
   * @param id The session id.
   * @returns Its record (live or not), or `undefined` (none, or a damaged one, moved aside).
   * @throws {StateError} When the record cannot be read.
   */
  get(id: string): SessionRecord | undefined {
    checkId(id);
    return this.#read(this.#path(id));
  }

  /**
   * Lists the session records.
   *
   * @param options `live: true` keeps only live sessions.
   * @returns The records, oldest start first.
   */
  list(options: { live?: boolean } = {}): SessionRecord[] {
    const now = this.#now();
    const all = this.#readAll();
    const out = options.live ? all.filter((r) => this.#live(r, now)) : all;
    return out.sort((a, b) => a.started.localeCompare(b.started) || a.id.localeCompare(b.id));
  }

  /**
   * Finds a live session by its name.
   *
   * @param name A session name, any case (a leading `@` is ignored).
   * @returns The live session with that name, or `undefined`.
   */
  findByName(name: string): SessionRecord | undefined {
    const wanted = name.replace(/^@/, "").toLowerCase();
    return this.list({ live: true }).find((r) => r.name.toLowerCase() === wanted);
  }

  /**
   * Finds the session that owns a Discord thread.
   *
   * @param threadId A Discord thread id.
   * @returns The session that owns the thread (the most recently seen one, live or not), or `undefined`.
   */
  findByThread(threadId: string): SessionRecord | undefined {
    const owners = this.#readAll().filter((r) => r.threadId === threadId);
    owners.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
    return owners[0];
  }

  /**
   * Tells whether a record counts as live now.
   *
   * @param record A record from this registry.
   * @returns Whether it counts as live now.
   */
  isLive(record: SessionRecord): boolean {
    return this.#live(record, this.#now());
  }

  /** A new session's name: unique here, and qualified when another machine's session has it. */
  #newName(cwd: string, id: string, taken: Set<string>, all: SessionRecord[]): string {
    const name = uniqueName(cwd, id, (n) => taken.has(n));
    const others = this.#otherMachines?.();
    if (others === undefined || others.threads.length === 0) return name;
    const mine = new Set(all.map((r) => r.threadId).filter((t) => t !== undefined));
    const elsewhere = new Set(
      others.threads.filter((t) => !mine.has(t.id)).map((t) => t.name.toLowerCase()),
    );
    if (!elsewhere.has(name)) return name;
    const used = (n: string) => taken.has(n) || elsewhere.has(n);
    return uniqueName(cwd, id, (n) => used(qualifiedName(n, others.label)), others.label);
  }

  #live(r: SessionRecord, now: number): boolean {
    if (r.ended !== undefined) return false;
    if (r.pid !== undefined && !this.#isAlive(r.pid)) return false;
    const seen = Date.parse(r.lastSeen);
    return Number.isFinite(seen) && now - seen <= this.#ttl;
  }

  async #update(
    id: string,
    change: (record: SessionRecord, iso: string) => void,
  ): Promise<boolean> {
    checkId(id);
    if (readTextIfExists(this.#path(id)) === undefined) return false;
    return await this.#locked(() => {
      const record = this.get(id);
      if (record === undefined) return false;
      const iso = new Date(this.#now()).toISOString();
      record.lastSeen = iso;
      change(record, iso);
      this.#write(record);
      return true;
    });
  }

  #locked<T>(fn: () => T): Promise<T> {
    return withFileLock(`${this.#dir}/.lock`, fn);
  }

  #path(id: string): string {
    return `${this.#dir}/${id}.json`;
  }

  #write(record: SessionRecord): void {
    writePrivateFileAtomic(this.#path(record.id), JSON.stringify(record, null, 2) + "\n");
  }

  #remove(id: string): void {
    removeIfExists(this.#path(id));
  }

  #readAll(): SessionRecord[] {
    const out: SessionRecord[] = [];
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(this.#dir)];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return out;
      throw err;
    }
    for (const entry of entries) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const record = this.#read(`${this.#dir}/${entry.name}`);
      if (record !== undefined && `${record.id}.json` === entry.name) out.push(record);
    }
    return out;
  }

  /** One record file: `undefined` when missing or damaged (moved aside and told). */
  #read(path: string): SessionRecord | undefined {
    const read = readJsonState(path, parseRecord, undefined);
    if (read.damaged) this.#onWarning(read.damaged);
    return read.value;
  }
}

/**
 * The base of a session name: the basename of `cwd`, lower case, runs of anything but
 * letters, digits, `_` and `-` turned into `-`, at most 32 characters; `session` if empty.
 *
 * @param cwd A working directory.
 * @returns The sanitised basename.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionNameBase } from "./sessions.ts";
 * assert(sessionNameBase("/home/me/My Project (v2)/") === "my-project-v2");
 * ```
 */
export function sessionNameBase(cwd: string): string {
  const base = cwd.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? "";
  const clean = base.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "")
    .slice(0, 32).replace(/-+$/, "");
  return clean === "" ? "session" : clean;
}

/**
 * A session name with its machine's label: `<name>@<label>`, the label lower case with runs of
 * anything but letters, digits, `_` and `-` turned into `-` (so that `@name@label` addresses it).
 *
 * @param name A session name.
 * @param label A machine label (`machine.ts`).
 * @returns The qualified name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { qualifiedName } from "./sessions.ts";
 * assert.equal(qualifiedName("api-3f2a", "Bob's Laptop"), "api-3f2a@bob-s-laptop");
 * ```
 */
export function qualifiedName(name: string, label: string): string {
  const clean = label.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  return `${name}@${clean === "" ? "machine" : clean}`;
}

/** The first candidate `taken` refuses not; with `label`, qualified by it. */
function uniqueName(
  cwd: string,
  id: string,
  taken: (name: string) => boolean,
  label?: string,
): string {
  const base = sessionNameBase(cwd);
  const suffix = id.toLowerCase().replace(/[^a-z0-9]/g, "") || "0";
  const named = (n: string) => label === undefined ? n : qualifiedName(n, label);
  for (let n = Math.min(4, suffix.length); n <= suffix.length; n++) {
    const candidate = `${base}-${suffix.slice(0, n)}`;
    if (!taken(candidate)) return named(candidate);
  }
  for (let k = 2;; k++) {
    const candidate = `${base}-${suffix}-${k}`;
    if (!taken(candidate)) return named(candidate);
  }
}

function parseRecord(value: unknown): SessionRecord | undefined {
  const r = value as SessionRecord | null;
  return typeof r?.id === "string" && typeof r.name === "string" && typeof r.cwd === "string" &&
      typeof r.started === "string" && typeof r.lastSeen === "string"
    ? r
    : undefined;
}

function checkId(id: string): void {
  if (typeof id !== "string" || !ID.test(id)) {
    throw new TypeError(
      `Session id ${JSON.stringify(id)} is invalid: use 1-128 letters, digits, "_" or "-"`,
    );
  }
}
