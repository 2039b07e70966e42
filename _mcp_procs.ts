// Private: a view of the process tree (parent, command line, liveness) for finding the
// Claude Code process among this server's ancestors.
//
// Deno 2 refuses `/proc/<pid>/…` to any program without `--allow-all`, even with
// `--allow-read`, so the probe uses `/proc` only when it is readable and otherwise one
// `ps -A -o pid=,ppid=,args=` snapshot per refresh (`--allow-run=ps`; also what works on
// macOS). With neither, it knows nothing beyond `Deno.ppid`, and callers fall back.

/** What the probe knows about one process. */
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
  /** `true`/`false`, or `undefined` when the probe cannot tell. */
  alive(pid: number): boolean | undefined;
  /** Forgets cached answers (a new `ps` snapshot is taken on the next question). */
  refresh(): void;
}

/** Reads `/proc/<pid>/stat` and `/proc/<pid>/cmdline`. */
export class ProcProbe implements ProcessProbe {
  readonly source = "proc" as const;
  info(pid: number): ProcessInfo | undefined {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      return undefined;
    }
    const ppid = parentOf(stat);
    if (ppid === undefined) return undefined;
    let args: string[] = [];
    try {
      args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((a) => a !== "");
    } catch {
      // a zombie or a kernel thread: no command line
    }
    return { ppid, args };
  }
  alive(pid: number): boolean {
    try {
      Deno.statSync(`/proc/${pid}`);
      return true;
    } catch {
      return false;
    }
  }
  refresh(): void {}
}

/** One `ps` snapshot per refresh. */
export class PsProbe implements ProcessProbe {
  readonly source = "ps" as const;
  readonly #run: () => string | undefined;
  #table?: Map<number, ProcessInfo> | null;

  /** @param run Returns the output of `ps -A -o pid=,ppid=,args=`, or `undefined`. */
  constructor(run: () => string | undefined = runPs) {
    this.#run = run;
  }
  #snapshot(): Map<number, ProcessInfo> | null {
    if (this.#table === undefined) {
      const out = this.#run();
      this.#table = out === undefined ? null : parsePs(out);
    }
    return this.#table;
  }
  info(pid: number): ProcessInfo | undefined {
    return this.#snapshot()?.get(pid);
  }
  alive(pid: number): boolean | undefined {
    const t = this.#snapshot();
    return t === null ? undefined : t.has(pid);
  }
  refresh(): void {
    this.#table = undefined;
  }
}

/** Knows nothing. */
export const NO_PROBE: ProcessProbe = {
  source: "none",
  info: () => undefined,
  alive: () => undefined,
  refresh: () => {},
};

/** The best probe available to this program: `/proc`, else `ps`, else none. */
export function systemProbe(): ProcessProbe {
  if (new ProcProbe().info(Deno.pid) !== undefined) return new ProcProbe();
  if (runPs() !== undefined) return new PsProbe();
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

function runPs(): string | undefined {
  try {
    const out = new Deno.Command("ps", {
      args: ["-A", "-ww", "-o", "pid=,ppid=,args="],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}
