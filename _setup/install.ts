// Private: installing and removing the claude-discord part of Claude Code's settings files.
// Three scopes, as Claude Code has them:
//
// | scope | hooks and permission rules | MCP server |
// |---|---|---|
// | `local` (a project, the default) | `<dir>/.claude/settings.local.json` | `~/.claude.json` under `projects[<dir>].mcpServers` |
// | `shared` (a project, `--shared`) | `<dir>/.claude/settings.json` | `<dir>/.mcp.json` (approved by `enabledMcpjsonServers`) |
// | `user` (`--user`) | `~/.claude/settings.json` | `~/.claude.json` `mcpServers` |
//
// The local scope keeps machine-specific paths out of the files a project commits. Claude Code
// keys a project in `~/.claude.json` by its git root (checked with the real CLI: `claude mcp
// add --scope local` in a subdirectory), else by its directory. Merges never clobber: other
// keys, events and hooks stay; an earlier install is replaced; a run that changes nothing
// writes nothing; a file that changes is first copied to `FILE.bak`. Removal takes out exactly
// what install added.
import { ConfigError } from "../errors.ts";
import { readTextIfExists, statIfExists } from "../_shared/fs.ts";
import {
  isOurPermission,
  MCP_SEND_FILE_TOOL,
  type McpServerEntry,
  mergeSettings,
} from "../settings.ts";

/** Where the hooks and the MCP server of an install live (see the table above). */
export type InstallScope = "local" | "shared" | "user";

/** The files an install touches. */
export interface InstallTarget {
  /** Which of Claude Code's scopes. */
  scope: InstallScope;
  /** The settings file (hooks, permission rules). */
  settings: string;
  /** The file that holds the MCP server entry. */
  mcp: string;
  /** The project directory (`local` and `shared`). */
  project?: string;
  /** `local`: the project's key in `~/.claude.json` `projects` (its git root, else itself). */
  mcpProject?: string;
}

/**
 * Where an install goes.
 *
 * @param options `user` for the user's settings, `shared` for the project's committed files,
 *   else the project's local ones; the project directory; the user's home.
 * @returns The files.
 * @throws {ConfigError} When the scope needs `~` and `homeDir` is missing.
 */
export function installTarget(
  options: { user: boolean; shared?: boolean; projectDir: string; homeDir?: string },
): InstallTarget {
  const needHome = (what: string): string => {
    if (!options.homeDir) {
      throw new ConfigError(`HOME is not set: cannot find ${what}`);
    }
    return options.homeDir.replace(/\/+$/, "");
  };
  if (options.user) {
    const home = needHome("~/.claude/settings.json for --user");
    return {
      scope: "user",
      settings: `${home}/.claude/settings.json`,
      mcp: `${home}/.claude.json`,
    };
  }
  const dir = options.projectDir.replace(/\/+$/, "") || "/";
  if (options.shared) {
    return {
      scope: "shared",
      settings: `${dir}/.claude/settings.json`,
      mcp: `${dir}/.mcp.json`,
      project: dir,
    };
  }
  const home = needHome("~/.claude.json for the MCP server (or install with --shared)");
  return {
    scope: "local",
    settings: `${dir}/.claude/settings.local.json`,
    mcp: `${home}/.claude.json`,
    project: dir,
    mcpProject: claudeProjectKey(dir),
  };
}

/**
 * The key Claude Code files a project under in `~/.claude.json`: the git root of the directory
 * (its real path), else the directory itself.
 *
 * @param dir The project directory.
 * @returns The key.
 */
export function claudeProjectKey(dir: string): string {
  let real: string;
  try {
    real = Deno.realPathSync(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return dir;
  }
  for (let d = real; d !== ""; d = d.slice(0, d.lastIndexOf("/"))) {
    if (statIfExists(`${d}/.git`)) return d;
  }
  return real;
}

/** The other project scope: where a project install moves from. */
export function otherProjectScope(
  target: InstallTarget,
  homeDir?: string,
): InstallTarget | undefined {
  if (target.project === undefined) return undefined;
  if (target.scope === "shared" && !homeDir) return undefined;
  return installTarget({
    user: false,
    shared: target.scope === "local",
    projectDir: target.project,
    ...(homeDir ? { homeDir } : {}),
  });
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
      `${path}${
        jsonErrorPlace(err)
      } is not valid JSON (Claude Code reads strict JSON: no comments, no trailing commas): fix it first (nothing was changed)`,
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

/** `:LINE:COLUMN` from a JSON.parse error (V8 names both), else "". */
function jsonErrorPlace(err: SyntaxError): string {
  const m = /\(line (\d+) column (\d+)\)/.exec(err.message);
  return m ? `:${m[1]}:${m[2]}` : "";
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
 * Plans putting the MCP server where the target keeps it: `mcpServers` of `.mcp.json` or
 * `~/.claude.json` (merged like settings), or, for the local scope, `mcpServers` of the
 * project's entry in `~/.claude.json` (everything else in that file stays as it is).
 *
 * @param target Where the install goes.
 * @param fragment `{ mcpServers: { discord: … } }` (settings.ts `mcpConfig`).
 * @returns The change.
 */
export function planMcpMerge(
  target: InstallTarget,
  fragment: { mcpServers: Record<string, McpServerEntry> },
): FileChange {
  if (target.scope !== "local") {
    return planMerge(target.mcp, fragment as unknown as Record<string, unknown>);
  }
  const path = target.mcp;
  const before = readTextIfExists(path);
  const existing = readJsonObject(path);
  const out = structuredClone(existing);
  const servers = objectAt(objectAt(objectAt(out, "projects"), target.mcpProject!), "mcpServers");
  Object.assign(servers, structuredClone(fragment.mcpServers));
  const changed = before === undefined || !sameJson(existing, out);
  const names = Object.keys(fragment.mcpServers).join(", ");
  return {
    path,
    before,
    after: changed ? render(out) : before,
    changed,
    summary: !changed
      ? `${path}: already up to date`
      : `${path}: ${
        before === undefined ? "create" : "update"
      } (MCP server ${names} for ${target.mcpProject}, local scope)`,
  };
}

/**
 * Plans taking the MCP server out of where the target keeps it.
 *
 * @param target Where the install went.
 * @param mcpName The server's name (default `discord`).
 * @returns The change (a project's `.mcp.json` left empty is deleted; `~/.claude.json` never).
 */
export function planMcpRemoval(target: InstallTarget, mcpName = "discord"): FileChange {
  if (target.scope !== "local") {
    return planRemoval(target.mcp, { mcpName, deletable: target.scope === "shared" });
  }
  const path = target.mcp;
  const before = readTextIfExists(path);
  const existing = before === undefined ? {} : readJsonObject(path);
  const project = plainObject(plainObject(existing.projects)?.[target.mcpProject!]);
  const servers = plainObject(project?.mcpServers);
  if (before === undefined || !servers || !isOurMcp(servers[mcpName])) {
    return {
      path,
      before,
      after: before,
      changed: false,
      summary: `${path}: no claude-discord MCP server for ${target.mcpProject}`,
    };
  }
  const out = structuredClone(existing);
  delete (((out.projects as Record<string, unknown>)[target.mcpProject!] as Record<
    string,
    unknown
  >).mcpServers as Record<string, unknown>)[mcpName];
  return {
    path,
    before,
    after: render(out),
    changed: true,
    summary: `${path}: remove the MCP server ${mcpName} of ${target.mcpProject}`,
  };
}

function plainObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** `obj[key]` as a plain object, made one (replacing anything else) when it is not. */
function objectAt(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const found = plainObject(obj[key]);
  if (found) return found;
  const made: Record<string, unknown> = {};
  obj[key] = made;
  return made;
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
  const permissions = plainObject(out.permissions);
  if (permissions && Array.isArray(permissions.allow)) {
    const allow = permissions.allow.filter((r) => !isOurToolRule(r, mcpName));
    if (allow.length !== permissions.allow.length) {
      if (allow.length > 0) permissions.allow = allow;
      else delete permissions.allow;
      if (Object.keys(permissions).length === 0) delete out.permissions;
    }
  }
  if (Array.isArray(out.enabledMcpjsonServers) && out.enabledMcpjsonServers.includes(mcpName)) {
    out.enabledMcpjsonServers = out.enabledMcpjsonServers.filter((n) => n !== mcpName);
    if ((out.enabledMcpjsonServers as unknown[]).length === 0) delete out.enabledMcpjsonServers;
  }
  const perms = out.permissions;
  if (perms && typeof perms === "object" && !Array.isArray(perms)) {
    const p = perms as Record<string, unknown>;
    if (Array.isArray(p.allow) && p.allow.some((r) => isOurPermission(r))) {
      p.allow = p.allow.filter((r) => !isOurPermission(r));
      if ((p.allow as unknown[]).length === 0) delete p.allow;
      if (Object.keys(p).length === 0) delete out.permissions;
    }
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

/** Whether a rule is one of the MCP tool rules install adds, `send_file`'s included. */
function isOurToolRule(rule: unknown, mcpName: string): boolean {
  return isOurPermission(rule, mcpName) || rule === `mcp__${mcpName}__${MCP_SEND_FILE_TOOL}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describeKeys(fragment: Record<string, unknown>): string {
  const parts: string[] = [];
  const hooks = fragment.hooks as Record<string, unknown> | undefined;
  if (hooks) parts.push(`hooks for ${Object.keys(hooks).length} events`);
  if (fragment.enabledMcpjsonServers) parts.push("enabledMcpjsonServers");
  const allow = plainObject(fragment.permissions)?.allow;
  if (Array.isArray(allow) && allow.length > 0) parts.push(`allow ${allow.join(", ")}`);
  const servers = fragment.mcpServers as Record<string, unknown> | undefined;
  if (servers) parts.push(`MCP server ${Object.keys(servers).join(", ")}`);
  return parts.join(", ") || Object.keys(fragment).join(", ");
}
