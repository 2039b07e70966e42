// Private: process liveness and ancestry, as far as Deno's permissions let this program look.
//
// Deno 2 refuses `/proc/<pid>/…` to any program without `--allow-all`, even with
// `--allow-read`. So every question is answered from `/proc` when Deno lets it read there
// (Linux), else from `ps` when `--allow-run=ps` is granted (also what works on macOS),
// else "cannot tell". Used by the session registry's default liveness (sessions.ts, and so
// the bridge and the hooks), and by the MCP server to find the Claude Code process among
// its ancestors.

/** What a probe knows about one process. */
export interface ProcessInfo {
  /** Parent pid. */
  ppid: number;
  /** Command line, split into words (`ps` joins arguments with spaces). */
  args: string[];
}

/** The process tree, as far as this program may see it. */
export interface ProcessProbe {
  /** Where the answers come from. */
  readonly source: "proc" | "ps" | "none";
  /** A process, or `undefined` when it does not exist or cannot be seen. */
  info(pid: number): ProcessInfo | undefined;
  /** Forgets cached answers (a new `ps` snapshot is taken on the next question). */
  refresh(): void;
}

/** How long one `ps` answer about liveness is reused (one `ps` costs some 5–20 ms). */
const PS_ALIVE_TTL_MS = 2_000;

let psPids: { at: number; pids: Set<number> | undefined } | undefined;

/**
 * Whether a process exists: `/proc/<pid>` when Deno lets this program read it, else one
 * `ps -A -o pid=` snapshot (reused for 2 s) when `--allow-run=ps` is granted.
 *
 * @param pid The process id.
 * @returns `true` or `false`, or `undefined` when this program cannot tell.
 */
export function isPidAlive(pid: number): boolean | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (Deno.build.os === "linux") {
    try {
      Deno.statSync(`/proc/${pid}`);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      // NotCapable without --allow-all: ask ps.
    }
  }
  const now = performance.now();
  if (psPids === undefined || now - psPids.at > PS_ALIVE_TTL_MS) {
    const out = psAllowed() ? runPs(["-A", "-o", "pid="]) : undefined;
    psPids = {
      at: now,
      pids: out === undefined ? undefined : new Set(out.split(/\s+/).filter(Boolean).map(Number)),
    };
  }
  return psPids.pids?.has(pid);
}

/**
 * {@linkcode isPidAlive}, with "cannot tell" counted as alive: the session registry's
 * time-to-live and SessionEnd then end a session whose process cannot be checked.
 *
 * @param pid The process id.
 * @returns `false` only when the process is known to be gone.
 */
export function pidAlive(pid: number): boolean {
  return isPidAlive(pid) ?? true;
}

/**
 * The ancestors of a process, nearest first, starting with `pid` itself.
 *
 * @param pid Where to start (usually `Deno.ppid`).
 * @param probe The process tree.
 * @param maxDepth At most this many pids.
 * @returns The pids up to (not including) pid 1, or until the probe knows no parent.
 */
export function ancestors(pid: number, probe: Pick<ProcessProbe, "info">, maxDepth = 32): number[] {
  const out: number[] = [];
  for (let p = pid; p > 1 && out.length < maxDepth && !out.includes(p);) {
    out.push(p);
    const parent = probe.info(p)?.ppid;
    if (parent === undefined) break;
    p = parent;
  }
  return out;
}

/** Reads `/proc/<pid>/stat` and `/proc/<pid>/cmdline`. */
export class ProcProbe implements ProcessProbe {
  readonly source = "proc" as const;
  info(pid: number): ProcessInfo | undefined {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch (err) {
      if (unreadable(err)) return undefined;
      throw err;
    }
    const ppid = parentOf(stat);
    if (ppid === undefined) return undefined;
    let args: string[] = [];
    try {
      args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((a) => a !== "");
    } catch (err) {
      if (!unreadable(err)) throw err; // gone meanwhile: no command line
    }
    return { ppid, args };
  }
  refresh(): void {}
}

/** One `ps -A -o pid=,ppid=,args=` snapshot per refresh. */
export class PsProbe implements ProcessProbe {
  readonly source = "ps" as const;
  readonly #run: () => string | undefined;
  #table?: Map<number, ProcessInfo> | null;

  /** @param run Returns the output of `ps -A -o pid=,ppid=,args=`, or `undefined`. */
  constructor(
    run: () => string | undefined = () => runPs(["-A", "-ww", "-o", "pid=,ppid=,args="]),
  ) {
    this.#run = run;
  }
  info(pid: number): ProcessInfo | undefined {
    if (this.#table === undefined) {
      const out = this.#run();
      this.#table = out === undefined ? null : parsePs(out);
    }
    return this.#table?.get(pid);
  }
  refresh(): void {
    this.#table = undefined;
  }
}

/** Knows nothing. */
export const NO_PROBE: ProcessProbe = { source: "none", info: () => undefined, refresh: () => {} };

/** The best probe available to this program: `/proc`, else `ps`, else none. */
export function systemProbe(): ProcessProbe {
  if (new ProcProbe().info(Deno.pid) !== undefined) return new ProcProbe();
  if (psAllowed()) {
    const ps = new PsProbe();
    if (ps.info(Deno.pid) !== undefined) return ps; // the snapshot is kept until refresh()
  }
  return NO_PROBE;
}

/** The parent pid in a `/proc/<pid>/stat` line, or `undefined`. */
export function parentOf(stat: string | undefined): number | undefined {
  if (!stat) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so cut at the last ")".
  const after = stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/);
  const ppid = Number(after[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
}

/** Parses `ps -A -o pid=,ppid=,args=` output. */
export function parsePs(out: string): Map<number, ProcessInfo> {
  const table = new Map<number, ProcessInfo>();
  for (const line of out.split("\n")) {
    const m = line.match(/^\s*(\d+)\s+(\d+)\s?(.*)$/);
    if (!m) continue;
    table.set(Number(m[1]), {
      ppid: Number(m[2]),
      args: m[3].trim().split(/\s+/).filter((a) => a !== ""),
    });
  }
  return table;
}

function psAllowed(): boolean {
  return Deno.permissions.querySync({ name: "run", command: "ps" }).state === "granted";
}

/** A `/proc` file this program may not read (no `--allow-read=/proc`), or of a process gone. */
function unreadable(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable;
}

function runPs(args: string[]): string | undefined {
  try {
    const out = new Deno.Command("ps", { args, stdin: "null", stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined; // no ps on this system
    throw err;
  }
}
