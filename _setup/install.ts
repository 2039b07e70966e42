// Private: installing and removing the claude-discord part of Claude Code's settings files
// (`.claude/settings.json` + `.mcp.json` for a project, `~/.claude/settings.json` +
// `~/.claude.json` for the user). Merges never clobber: other keys, events and hooks stay;
// an earlier install is replaced; a run that changes nothing writes nothing; a file that
// changes is first copied to `FILE.bak`. Removal takes out exactly what install added.
import { ConfigError } from "../errors.ts";
import { readTextIfExists, statIfExists } from "../_shared/fs.ts";
import { mergeSettings } from "../settings.ts";

/** The files an install touches. */
export interface InstallTarget {
  /** The settings file (hooks, `enabledMcpjsonServers`). */
  settings: string;
  /** The file that holds the MCP server entry. */
  mcp: string;
  /** `project` (`.mcp.json`) or `user` (`~/.claude.json`, never deleted). */
  scope: "project" | "user";
}

/**
 * Where an install goes.
 *
 * @param options `user` for the user's settings, else the project directory.
 * @returns The two files.
 */
export function installTarget(
  options: { user: boolean; projectDir: string; homeDir?: string },
): InstallTarget {
  if (options.user) {
    if (!options.homeDir) {
      throw new ConfigError("HOME is not set: cannot find ~/.claude/settings.json for --user");
    }
    const home = options.homeDir.replace(/\/+$/, "");
    return {
      settings: `${home}/.claude/settings.json`,
      mcp: `${home}/.claude.json`,
      scope: "user",
    };
  }
  const dir = options.projectDir.replace(/\/+$/, "") || "/";
  return { settings: `${dir}/.claude/settings.json`, mcp: `${dir}/.mcp.json`, scope: "project" };
}

/** A planned change of one file. */
export interface FileChange {
  /** The file. */
  path: string;
  /** Its text now (`undefined` when absent). */
  before: string | undefined;
  /** Its text afterwards (`undefined` = delete it). */
  after: string | undefined;
  /** Whether anything changes. */
  changed: boolean;
  /** One line for the user: what changes. */
  summary: string;
}

/**
 * Reads a settings-like JSON file strictly (Claude Code reads strict JSON).
 *
 * @param path The file.
 * @returns The object (empty when the file is missing or blank).
 * @throws {ConfigError} When it is not a JSON object.
 */
export function readJsonObject(path: string): Record<string, unknown> {
  const text = readTextIfExists(path);
  if (text === undefined || text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new ConfigError(
      `${path} is not valid JSON (Claude Code reads strict JSON: no comments, no trailing commas): fix it first (nothing was changed)`,
      { cause: err },
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(
      `${path} does not hold a JSON object: fix it first (nothing was changed)`,
    );
  }
  return parsed as Record<string, unknown>;
}

const render = (value: Record<string, unknown>): string => JSON.stringify(value, null, 2) + "\n";

/**
 * Plans merging `fragment` into the file at `path`.
 *
 * @param path The file.
 * @param fragment Settings or MCP fragment.
 * @returns The change (nothing when already installed the same way).
 */
export function planMerge(path: string, fragment: Record<string, unknown>): FileChange {
  const before = readTextIfExists(path);
  const existing = readJsonObject(path);
  const merged = mergeSettings(existing, fragment);
  const changed = before === undefined || !sameJson(existing, merged);
  return {
    path,
    before,
    after: changed ? render(merged) : before,
    changed,
    summary: !changed
      ? `${path}: already up to date`
      : `${path}: ${before === undefined ? "create" : "update"} (${describeKeys(fragment)})`,
  };
}

/**
 * Plans removing what install added: our hooks, our MCP server, our entry in
 * `enabledMcpjsonServers`; keys left empty by that are removed too, and a project file
 * left as `{}` is deleted.
 *
 * @param path The file.
 * @param options `mcpName` (default `discord`) and whether the file may be deleted.
 * @returns The change.
 */
export function planRemoval(
  path: string,
  options: { mcpName?: string; deletable?: boolean } = {},
): FileChange {
  const before = readTextIfExists(path);
  if (before === undefined) {
    return { path, before, after: undefined, changed: false, summary: `${path}: not there` };
  }
  const existing = readJsonObject(path);
  const out = removeOurs(existing, options.mcpName ?? "discord");
  const changed = !sameJson(existing, out);
  const empty = Object.keys(out).length === 0 && (options.deletable ?? true);
  return {
    path,
    before,
    after: !changed ? before : empty ? undefined : render(out),
    changed,
    summary: !changed
      ? `${path}: nothing of claude-discord in it`
      : `${path}: ${
        empty ? "delete (nothing else was in it)" : "remove the claude-discord entries"
      }`,
  };
}

/**
 * Writes a planned change: the old text to `path.bak` (0600), the new one atomically (0600
 * for a new file, the old mode otherwise), or deletes the file.
 *
 * @param change A change from {@linkcode planMerge} or {@linkcode planRemoval}.
 * @returns The backup path, when one was written.
 */
export function applyChange(change: FileChange): string | undefined {
  if (!change.changed) return undefined;
  let backup: string | undefined;
  let mode = 0o600;
  if (change.before !== undefined) {
    backup = `${change.path}.bak`;
    Deno.writeTextFileSync(backup, change.before, { mode: 0o600 });
    const current = statIfExists(change.path)?.mode;
    if (typeof current === "number") mode = current & 0o777;
  }
  if (change.after === undefined) {
    Deno.removeSync(change.path);
    return backup;
  }
  const slash = change.path.lastIndexOf("/");
  if (slash > 0) Deno.mkdirSync(change.path.slice(0, slash), { recursive: true });
  const tmp = `${change.path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(tmp, change.after, { mode });
  Deno.chmodSync(tmp, mode);
  Deno.renameSync(tmp, change.path);
  return backup;
}

/** Whether a hook command is one of claude-discord's (any checkout). */
export function isOurHook(hook: unknown): boolean {
  if (hook === null || typeof hook !== "object") return false;
  const cmd = (hook as { command?: unknown }).command;
  return typeof cmd === "string" && /\/hooks\/(hook\.ts|fast\.sh)\b/.test(cmd) &&
    cmd.includes("--role=");
}

/** Whether an MCP server entry is claude-discord's `mcp.ts`. */
export function isOurMcp(entry: unknown): boolean {
  if (entry === null || typeof entry !== "object") return false;
  const args = (entry as { args?: unknown }).args;
  return Array.isArray(args) && args.some((a) => typeof a === "string" && /\/mcp\.ts$/.test(a));
}

/**
 * Counts claude-discord's hooks in a settings object, and tells whether its MCP server is
 * there (for doctor and status).
 *
 * @param settings A parsed settings file.
 * @returns Events with our hooks, and the commands.
 */
export function findOurHooks(
  settings: Record<string, unknown>,
): { events: string[]; commands: string[] } {
  const events: string[] = [];
  const commands: string[] = [];
  const hooks = settings.hooks;
  if (!hooks || typeof hooks !== "object") return { events, commands };
  for (const [event, groups] of Object.entries(hooks as Record<string, unknown>)) {
    if (!Array.isArray(groups)) continue;
    for (const g of groups) {
      const list = (g as { hooks?: unknown })?.hooks;
      if (!Array.isArray(list)) continue;
      for (const h of list) {
        if (!isOurHook(h)) continue;
        if (!events.includes(event)) events.push(event);
        commands.push((h as { command: string }).command);
      }
    }
  }
  return { events, commands };
}

function removeOurs(settings: Record<string, unknown>, mcpName: string): Record<string, unknown> {
  const out = structuredClone(settings);
  const hooks = out.hooks;
  if (hooks && typeof hooks === "object" && !Array.isArray(hooks)) {
    const h = hooks as Record<string, unknown>;
    for (const [event, groups] of Object.entries(h)) {
      if (!Array.isArray(groups)) continue;
      let touched = false;
      const kept: unknown[] = [];
      for (const g of groups) {
        const list = (g as { hooks?: unknown })?.hooks;
        if (!Array.isArray(list)) {
          kept.push(g);
          continue;
        }
        const others = list.filter((x) => !isOurHook(x));
        if (others.length !== list.length) touched = true;
        if (others.length > 0 || others.length === list.length) {
          kept.push({ ...(g as object), hooks: others });
        }
      }
      if (!touched) continue;
      if (kept.length > 0) h[event] = kept;
      else delete h[event];
    }
    if (Object.keys(h).length === 0 && Object.keys(settings.hooks as object).length > 0) {
      delete out.hooks;
    }
  }
  if (Array.isArray(out.enabledMcpjsonServers) && out.enabledMcpjsonServers.includes(mcpName)) {
    out.enabledMcpjsonServers = out.enabledMcpjsonServers.filter((n) => n !== mcpName);
    if ((out.enabledMcpjsonServers as unknown[]).length === 0) delete out.enabledMcpjsonServers;
  }
  const servers = out.mcpServers;
  if (servers && typeof servers === "object" && !Array.isArray(servers)) {
    const s = servers as Record<string, unknown>;
    if (isOurMcp(s[mcpName])) {
      delete s[mcpName];
      if (Object.keys(s).length === 0) delete out.mcpServers;
    }
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describeKeys(fragment: Record<string, unknown>): string {
  const parts: string[] = [];
  const hooks = fragment.hooks as Record<string, unknown> | undefined;
  if (hooks) parts.push(`hooks for ${Object.keys(hooks).length} events`);
  if (fragment.enabledMcpjsonServers) parts.push("enabledMcpjsonServers");
  const servers = fragment.mcpServers as Record<string, unknown> | undefined;
  if (servers) parts.push(`MCP server ${Object.keys(servers).join(", ")}`);
  return parts.join(", ") || Object.keys(fragment).join(", ");
}
