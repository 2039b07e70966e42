// Private: the record of every install of one state directory, `$CLAUDE_DISCORD_HOME/installs.json`
// (0600): which project (or the user's settings), which scope, which files, from which checkout.
// setup adds an entry, `--uninstall` takes it out; status and doctor read it, so they report on
// every install from wherever they run (the checkout, another project).
import { readTextIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
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
 * The installs recorded in a state directory, oldest first (a missing or damaged file reads as
 * none: the record only helps status and doctor find the installs).
 *
 * @param home The state directory.
 * @returns The records.
 */
export function readInstalls(home: string): InstallRecord[] {
  const text = readTextIfExists(installsPath(home));
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return [];
  }
  const list = (parsed as { installs?: unknown })?.installs;
  if (!Array.isArray(list)) return [];
  return list.filter((r): r is InstallRecord =>
    r !== null && typeof r === "object" && typeof r.settings === "string" &&
    typeof r.mcp === "string" && typeof r.scope === "string"
  );
}

function write(home: string, installs: InstallRecord[]): void {
  writePrivateFileAtomic(installsPath(home), JSON.stringify({ installs }, null, 2) + "\n");
}

/**
 * Records an install (replacing an earlier record of the same settings file).
 *
 * @param home The state directory (it exists: setup wrote the config there).
 * @param target Where the install went.
 * @param o The checkout and the time.
 * @returns The record.
 */
export function recordInstall(
  home: string,
  target: InstallTarget,
  o: { checkout: string; now?: Date },
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
  write(home, [...readInstalls(home).filter((r) => r.settings !== target.settings), record]);
  return record;
}

/**
 * Forgets the installs whose settings file is one of `settingsFiles`.
 *
 * @param home The state directory.
 * @param settingsFiles The settings files uninstalled.
 * @returns How many records went.
 */
export function forgetInstalls(home: string, settingsFiles: readonly string[]): number {
  const all = readInstalls(home);
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
