// Private: the one permission rule "Allow for this session" adds.
//
// Claude Code's `permission_suggestions` may carry `setMode` (e.g. acceptEdits) and
// `addDirectories` besides rules (ARCHITECTURE.md, Claude Code facts): passing them on would
// change the whole session's mode. So the button adds one rule about this tool only, shown
// verbatim in the prompt: Claude Code's own suggested rule for this tool when it offers one,
// else the exact call (`Bash(<command>)`, `Edit(//<absolute path>)` for the file-editing
// tools, `Read(//<path>)`, `WebFetch(domain:<host>)`, or the bare name of a tool whose rules
// take no argument, like an MCP tool). A call no rule can name exactly (a wildcard or a line
// break in the command, glob characters in the path) gets no session button.

/** One permission rule in Claude Code's structured form (`toolName(ruleContent)`). */
export interface PermRule {
  /** The tool, e.g. `Bash`, `Edit`, `mcp__discord__reply`. */
  toolName: string;
  /** What it allows of the tool; absent = every use. */
  ruleContent?: string;
}

/**
 * A rule as Claude Code writes it in `permissions.allow`.
 *
 * @param rule The rule.
 * @returns E.g. `Bash(touch made.txt)`.
 */
export function ruleText(rule: PermRule): string {
  return rule.ruleContent === undefined ? rule.toolName : `${rule.toolName}(${rule.ruleContent})`;
}

const FILE_EDIT_TOOLS = new Set(["Edit", "Write", "MultiEdit", "NotebookEdit"]);
/** Tools whose rules take an argument: a bare name would allow far more than this call. */
const ARGUMENT_TOOLS = new Set([...FILE_EDIT_TOOLS, "Bash", "Read", "WebFetch", "Glob", "Grep"]);

function field(input: unknown, key: string): string | undefined {
  if (input === null || typeof input !== "object") return undefined;
  const v = (input as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** Claude Code's own suggested allow rules, when every one of them is about `tool`. */
function suggestedRules(tool: string, suggestions: unknown): PermRule[] {
  if (!Array.isArray(suggestions)) return [];
  const out: PermRule[] = [];
  for (const s of suggestions) {
    const o = record(s);
    if (o?.type !== "addRules" || o.behavior !== "allow" || !Array.isArray(o.rules)) continue;
    for (const r of o.rules) {
      const rule = record(r);
      if (rule?.toolName !== tool) return [];
      const content = rule.ruleContent;
      if (content !== undefined && typeof content !== "string") return [];
      out.push(
        content === undefined ? { toolName: tool } : { toolName: tool, ruleContent: content },
      );
    }
  }
  return out;
}

/** An absolute path as a rule's path pattern (`//` starts an absolute one), if it has no glob characters. */
function absolutePattern(path: string | undefined): string | undefined {
  if (path === undefined || !path.startsWith("/") || /[*?[\]{}\\\n\r]/.test(path)) return undefined;
  return `/${path}`;
}

function exactRule(tool: string, input: unknown): PermRule | undefined {
  if (tool === "Bash") {
    const command = field(input, "command")?.trim();
    // `*` is a wildcard in a Bash rule and a trailing `:*` a prefix: neither names this call.
    if (!command || /[*\n\r]/.test(command)) return undefined;
    return { toolName: "Bash", ruleContent: command };
  }
  if (FILE_EDIT_TOOLS.has(tool)) {
    // Edit rules cover every file-editing tool; a Write(path) rule is not consulted.
    const path = absolutePattern(field(input, "file_path") ?? field(input, "notebook_path"));
    return path === undefined ? undefined : { toolName: "Edit", ruleContent: path };
  }
  if (tool === "Read") {
    const path = absolutePattern(field(input, "file_path"));
    return path === undefined ? undefined : { toolName: "Read", ruleContent: path };
  }
  if (tool === "WebFetch") {
    let host: string | undefined;
    try {
      host = new URL(field(input, "url") ?? "").hostname;
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
    }
    return host ? { toolName: "WebFetch", ruleContent: `domain:${host}` } : undefined;
  }
  if (ARGUMENT_TOOLS.has(tool) || !/^[A-Za-z0-9_-]+$/.test(tool)) return undefined;
  return { toolName: tool };
}

/**
 * The rules "Allow for this session" adds for one request: Claude Code's suggested rules for
 * this tool, else the exact call; empty when no rule names this call exactly.
 *
 * @param tool The request's `tool_name`.
 * @param input Its `tool_input`.
 * @param suggestions Its `permission_suggestions` (modes and directories are never taken).
 * @returns The rules (empty: the prompt offers no session button).
 *
 * @example A Bash call gets a rule for its exact command, whatever the suggestions say
 * ```ts
 * import assert from "node:assert/strict";
 * import { ruleText, sessionRules } from "./_perm_rule.ts";
 * const rules = sessionRules("Bash", { command: "touch made.txt" }, [
 *   { type: "setMode", mode: "acceptEdits", destination: "session" },
 * ]);
 * assert.deepEqual(rules.map(ruleText), ["Bash(touch made.txt)"]);
 * ```
 */
export function sessionRules(tool: string, input: unknown, suggestions: unknown): PermRule[] {
  const suggested = suggestedRules(tool, suggestions);
  if (suggested.length > 0) return suggested;
  const exact = exactRule(tool, input);
  return exact === undefined ? [] : [exact];
}

/**
 * The `updatedPermissions` of an "Allow for this session" decision: the rules, for this
 * session only.
 *
 * @param rules From {@linkcode sessionRules}.
 * @returns One `addRules` update, or none when there are no rules.
 */
export function sessionUpdate(rules: readonly PermRule[]): Record<string, unknown>[] {
  if (rules.length === 0) return [];
  return [{ type: "addRules", rules: [...rules], behavior: "allow", destination: "session" }];
}
