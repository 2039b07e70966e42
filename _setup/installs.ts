// Private: the record of every install of one state directory, `$CLAUDE_DISCORD_HOME/installs.json`
// (0600): which project (or the user's settings), which scope, which files, from which checkout.
// setup adds an entry, `--uninstall` takes it out; status and doctor read it, so they report on
// every install from wherever they run (the checkout, another project).
import { type JsonState, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";
import type { InstallScope, InstallTarget } from "./install.ts";

/** One install. */
export interface InstallRecord {
  /** Claude Code's scope. */
  scope: InstallScope;
  /** The project directory (`local`, `shared`). */
  project?: string;
  /** The settings file with the hooks. */
  settings: string;
  /** The file with the MCP server. */
  mcp: string;
  /** `local`: the project's key in `~/.claude.json`. */
  mcpProject?: string;
  /** The claude-discord checkout the hooks run from. */
  checkout: string;
  /** ISO time of the install. */
  at: string;
}

/** The record file of a state directory. */
export function installsPath(home: string): string {
  return `${home.replace(/\/+$/, "")}/installs.json`;
}

/**
 * The installs recorded in a state directory, oldest first. A missing file reads as none; a
 * damaged one is moved aside (`installs.json.damaged`) and reads as none too, with a line in
 * `damaged` for the caller to show (the state-file policy, `readJsonState`).
 *
 * @param home The state directory.
 * @returns The records, and what happened to a damaged file.
 * @throws {StateError} When the file exists but cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readInstalls, recordInstall } from "./installs.ts";
 * const home = Deno.makeTempDirSync();
 * assert.deepEqual(readInstalls(home).value, []);
 * const target = { scope: "shared" as const, settings: "/p/.claude/settings.json", mcp: "/p/.mcp.json", project: "/p" };
 * recordInstall(home, target, { checkout: "/src/claude-discord" });
 * assert.deepEqual(readInstalls(home).value.map((r) => r.project), ["/p"]);
 * Deno.removeSync(home, { recursive: true });
 * ```
 */
export function readInstalls(home: string): JsonState<InstallRecord[]> {
  return readJsonState(installsPath(home), (value) => {
    const list = (value as { installs?: unknown } | null)?.installs;
    return Array.isArray(list) && list.every(isRecord) ? list : undefined;
  }, []);
}

function isRecord(r: unknown): r is InstallRecord {
  const o = r as Partial<Record<keyof InstallRecord, unknown>> | null;
  return o !== null && typeof o === "object" && typeof o.settings === "string" &&
    typeof o.mcp === "string" &&
    (o.scope === "local" || o.scope === "shared" || o.scope === "user");
}

function write(home: string, installs: InstallRecord[]): void {
  writePrivateFileAtomic(installsPath(home), JSON.stringify({ installs }, null, 2) + "\n");
}

/**
 * Records an install (replacing an earlier record of the same settings file).
 *
 * @param home The state directory (it exists: setup wrote the config there).
 * @param target Where the install went.
 * @param o The checkout, the time, and where to say that a damaged record was moved aside.
 * @returns The record.
 */
export function recordInstall(
  home: string,
  target: InstallTarget,
  o: { checkout: string; now?: Date; warn?: (line: string) => void },
): InstallRecord {
  const record: InstallRecord = {
    scope: target.scope,
    ...(target.project !== undefined ? { project: target.project } : {}),
    settings: target.settings,
    mcp: target.mcp,
    ...(target.mcpProject !== undefined ? { mcpProject: target.mcpProject } : {}),
    checkout: o.checkout,
    at: (o.now ?? new Date()).toISOString(),
  };
  const { value, damaged } = readInstalls(home);
  if (damaged) o.warn?.(damaged);
  write(home, [...value.filter((r) => r.settings !== target.settings), record]);
  return record;
}

/**
 * Forgets the installs whose settings file is one of `settingsFiles`.
 *
 * @param home The state directory.
 * @param settingsFiles The settings files uninstalled.
 * @param warn Where to say that a damaged record was moved aside.
 * @returns How many records went.
 */
export function forgetInstalls(
  home: string,
  settingsFiles: readonly string[],
  warn?: (line: string) => void,
): number {
  const { value: all, damaged } = readInstalls(home);
  if (damaged) warn?.(damaged);
  const kept = all.filter((r) => !settingsFiles.includes(r.settings));
  if (kept.length !== all.length) write(home, kept);
  return all.length - kept.length;
}

/** A record as the target it names. */
export function targetOf(record: InstallRecord): InstallTarget {
  return {
    scope: record.scope,
    settings: record.settings,
    mcp: record.mcp,
    ...(record.project !== undefined ? { project: record.project } : {}),
    ...(record.mcpProject !== undefined ? { mcpProject: record.mcpProject } : {}),
  };
}
