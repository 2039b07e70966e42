/**
 * claude-discord: a two-way Discord channel for autonomous Claude Code sessions.
 *
 * Inbound, a single gateway listener (`bridge.ts`) writes every accepted message
 * of one channel into per-session JSONL mailboxes that hooks deliver on each tool
 * call. Outbound, `notify.ts` posts STATUS messages into one thread per session
 * and an MCP server lets Claude reply.
 *
 * @example Read the configuration
 * ```ts
 * import { loadConfig } from "@x/claude-discord";
 *
 * const config = loadConfig({ env: { CLAUDE_DISCORD_HOME: Deno.makeTempDirSync() } });
 * console.log(config.apiUrl);
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./config.ts";
export * from "./machine.ts";
export * from "./log.ts";
export * from "./inbox.ts";
export * from "./sessions.ts";
export * from "./posts.ts";
export * from "./routing.ts";
export * from "./stop.ts";
export {
  createNotifier,
  type Notifier,
  type NotifierOptions,
  type RetryPolicy,
  type StatusField,
  type StatusInput,
  type StatusResult,
  type StatusSession,
  type StatusState,
} from "./notify.ts";
