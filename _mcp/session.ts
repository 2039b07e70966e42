// Private: which Claude Code session this MCP server serves.
//
// Claude Code starts stdio MCP servers as its own children, and runs hooks as its
// descendants too; the hooks record the Claude Code process id in the session registry.
// So the server walks its ancestor chain (`Deno.ppid`, then upwards through the process
// probe, see _shared/procs.ts) and takes the live session whose recorded pid is one of its
// ancestors. Without a match (no
// `/proc`, or no pid recorded yet) it falls back to the one live session whose cwd is the
// project directory (`CLAUDE_PROJECT_DIR`, else the server's cwd); with none or several, it
// serves no session and posts to the main channel. An explicit `--session` / env
// `CLAUDE_DISCORD_SESSION` (id or name) overrides all of this. Resolution is lazy and
// repeated on every use until a process match is found, because the session usually
// registers (SessionStart hook) after Claude Code has started its MCP servers.
import { ancestors, type ProcessProbe, systemProbe } from "../_shared/procs.ts";
import { describeError } from "../log.ts";

/** What the resolver needs to know about a session record. */
export interface SessionLike {
  /** Session id (the Claude Code `session_id`, also the mailbox name). */
  id: string;
  /** Unique short name, e.g. `myproject-3f2a`. */
  name: string;
  /** The session's working directory. */
  cwd: string;
  /** The session's Discord thread, once it has one. */
  threadId?: string;
  /** The Claude Code process id, when the hooks recorded it. */
  pid?: number;
}

/** The registry view the resolver reads (`SessionRegistry` from sessions.ts fits). */
export interface SessionSource {
  /** Lists session records; `live: true` keeps the running ones. */
  list(options: { live: boolean }): SessionLike[] | Promise<SessionLike[]>;
}

/** The outcome of one resolution. */
export interface SessionMatch {
  /** The session served, if any. */
  session?: SessionLike;
  /** How it was found. */
  how: "explicit" | "process" | "cwd" | "none";
  /** One line for the log and for tool answers. */
  detail: string;
}

/** Options of {@linkcode SessionResolver}. */
export interface SessionResolverOptions {
  /** The registry. */
  source: SessionSource;
  /** This process's parent pid. Default `Deno.ppid`. */
  ppid?: number;
  /** The process tree. Default {@linkcode systemProbe}. */
  probe?: ProcessProbe;
  /** The project directory to match by cwd. */
  projectDir?: string;
  /** An explicit session id or name (overrides everything). */
  explicit?: string;
  /** Maximum ancestor depth. Default 32. */
  maxDepth?: number;
}

/** Finds the session this server serves; call {@linkcode SessionResolver.resolve} before each use. */
export class SessionResolver {
  readonly #source: SessionSource;
  readonly #ppid: number;
  readonly #probe: ProcessProbe;
  readonly #projectDir?: string;
  readonly #explicit?: string;
  readonly #maxDepth: number;
  #pinned?: string;
  #last = "";

  constructor(options: SessionResolverOptions) {
    this.#source = options.source;
    this.#ppid = options.ppid ?? Deno.ppid;
    this.#probe = options.probe ?? systemProbe();
    this.#projectDir = options.projectDir ? normalizeDir(options.projectDir) : undefined;
    this.#explicit = options.explicit?.trim() || undefined;
    this.#maxDepth = options.maxDepth ?? 32;
  }

  /** The ancestor pids of this process, nearest first (parent, grandparent, …). */
  ancestors(): number[] {
    return ancestors(this.#ppid, this.#probe, this.#maxDepth);
  }

  /** The process probe (for command lines). */
  get probe(): ProcessProbe {
    return this.#probe;
  }

  /** Resolves the session now (reads the registry and the process table; cheap). */
  async resolve(): Promise<SessionMatch> {
    this.#probe.refresh();
    let sessions: SessionLike[];
    try {
      sessions = await this.#source.list({ live: true });
    } catch (err) {
      return {
        how: "none",
        detail: `the session registry could not be read (${describeError(err)})`,
      };
    }
    if (this.#explicit) {
      const s = sessions.find((s) => s.id === this.#explicit || s.name === this.#explicit);
      return s ? { session: s, how: "explicit", detail: `session ${s.name} (set explicitly)` } : {
        how: "none",
        detail: `no live session is named or numbered "${this.#explicit}"`,
      };
    }
    if (this.#pinned) {
      const s = sessions.find((s) => s.id === this.#pinned);
      if (s) return { session: s, how: "process", detail: processDetail(s) };
      this.#pinned = undefined;
    }
    const chain = this.ancestors();
    const byPid = sessions.filter((s) => typeof s.pid === "number" && chain.includes(s.pid));
    if (byPid.length > 0) {
      // Nearest ancestor wins (a nested claude inside another's Bash tool).
      byPid.sort((a, b) => chain.indexOf(a.pid!) - chain.indexOf(b.pid!));
      this.#pinned = byPid[0].id;
      return { session: byPid[0], how: "process", detail: processDetail(byPid[0]) };
    }
    if (this.#projectDir) {
      const byCwd = sessions.filter((s) => normalizeDir(s.cwd) === this.#projectDir);
      if (byCwd.length === 1) {
        return {
          session: byCwd[0],
          how: "cwd",
          detail: `session ${byCwd[0].name} (the only live session in ${this.#projectDir})`,
        };
      }
      if (byCwd.length > 1) {
        return {
          how: "none",
          detail:
            `${byCwd.length} live sessions run in ${this.#projectDir} and none is an ancestor process of this server`,
        };
      }
    }
    return {
      how: "none",
      detail: sessions.length === 0
        ? "no live session is registered yet"
        : `no live session is an ancestor process of this server (${
          chain.join(" < ") || "none found"
        }) or runs in ${this.#projectDir ?? "its directory"}`,
    };
  }

  /** Resolves and returns a line when the answer changed since the last call (for the log). */
  async resolveLogged(log: (line: string) => void): Promise<SessionMatch> {
    const m = await this.resolve();
    const line = `${m.how}: ${m.detail}`;
    if (line !== this.#last) {
      this.#last = line;
      log(`serving ${line}`);
    }
    return m;
  }
}

function processDetail(s: SessionLike): string {
  return `session ${s.name} (Claude Code process ${s.pid} is an ancestor of this server)`;
}

function normalizeDir(dir: string): string {
  let d = dir.trim().replace(/\/+$/, "") || "/";
  try {
    d = Deno.realPathSync(d);
  } catch (err) {
    // Not there (any more), or not readable by this server: keep it as given.
    if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable)) throw err;
  }
  return d;
}
