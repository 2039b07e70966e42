// Private: the permission rules the fragment adds to `permissions.allow` (settings.ts
// re-exports them): the MCP tools Claude uses without a prompt, and reading stored attachments.

/** The MCP tools Claude may use without asking: they post, react, edit and read in Discord. */
export const MCP_ALLOWED_TOOLS: readonly string[] = [
  "reply",
  "react",
  "edit_message",
  "fetch_messages",
];

/** The MCP tool that stays behind a prompt unless `allowSendFile`: it uploads a local file. */
export const MCP_SEND_FILE_TOOL = "send_file";

/**
 * The permission rules that let Claude use the MCP server's tools without a prompt, one per tool
 * (`mcp__<server>__<tool>`, Claude Code's name for an MCP tool): reply, react, edit and fetch;
 * `send_file` only with `allowSendFile`.
 *
 * @param options The server's name and `allowSendFile`.
 * @returns The rules for `permissions.allow`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcpToolRules } from "../settings.ts";
 * assert.deepEqual(mcpToolRules({}), [
 *   "mcp__discord__reply",
 *   "mcp__discord__react",
 *   "mcp__discord__edit_message",
 *   "mcp__discord__fetch_messages",
 * ]);
 * assert(mcpToolRules({ allowSendFile: true }).includes("mcp__discord__send_file"));
 * ```
 */
export function mcpToolRules(
  options: { mcpName?: string; allowSendFile?: boolean },
): string[] {
  const tools = [...MCP_ALLOWED_TOOLS, ...(options.allowSendFile ? [MCP_SEND_FILE_TOOL] : [])];
  return tools.map((tool) => `mcp__${options.mcpName ?? "discord"}__${tool}`);
}

/**
 * The permission rule that lets Claude's Read tool open the attachments the bridge stored,
 * without a prompt: `Read(//<state directory>/attachments/**)` (`//` starts an absolute path in
 * Claude Code's rules). It covers that folder only; the bridge writes nothing else there.
 *
 * @param home The state directory (absolute).
 * @returns The rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attachmentReadRule } from "../settings.ts";
 * assert(attachmentReadRule("/home/ada/.claude/discord") ===
 *   "Read(//home/ada/.claude/discord/attachments/**)");
 * ```
 */
export function attachmentReadRule(home: string): string {
  return `Read(/${home.replace(/\/+$/, "")}/attachments/**)`;
}

/**
 * Whether a rule of `permissions.allow` is one every install adds (and so replaces): the MCP
 * tool rules of {@linkcode MCP_ALLOWED_TOOLS} and the {@linkcode attachmentReadRule} (of any
 * state directory, so a moved one is replaced). A `send_file` rule, added only on request (or
 * by hand), is left alone by a merge; uninstall takes it out with the server.
 *
 * @param rule A rule.
 * @param mcpName The server's name.
 * @returns Whether a merge replaces it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOurPermission } from "../settings.ts";
 * assert(isOurPermission("mcp__discord__reply"));
 * assert(isOurPermission("Read(//home/ada/.claude/discord/attachments/**)"));
 * assert(!isOurPermission("mcp__discord__send_file"));
 * assert(!isOurPermission("Read(//home/ada/project/**)"));
 * ```
 */
export function isOurPermission(rule: unknown, mcpName = "discord"): boolean {
  if (typeof rule !== "string") return false;
  return MCP_ALLOWED_TOOLS.some((tool) => rule === `mcp__${mcpName}__${tool}`) ||
    /^Read\(\/\/.+\/attachments\/\*\*\)$/.test(rule);
}
