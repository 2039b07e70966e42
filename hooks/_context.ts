// Private: what every hook role gets: the state directory, a logger, output channels,
// a deadline, injectable time, and lazily loaded configuration.
// Only type imports here: this module is on the path of every hook start (see hook.ts).
import type { Config, LoadConfigOptions } from "../config.ts";
import type { Logger } from "../log.ts";
import type { HookInput } from "./_input.ts";

/** The hook roles; each settings entry names one (see hook.ts). */
export type HookRole =
  | "deliver"
  | "register"
  | "status"
  | "wake"
  | "notice"
  | "permission"
  | "end"
  | "stop";

/** Everything a role needs from its surroundings (all injectable for tests). */
export interface HookContext {
  /** The state directory (absolute). */
  home: string;
  /** Environment as far as the hook may read it. */
  env: Record<string, string | undefined>;
  /** Clock in ms. */
  now: () => number;
  /** The hook log (`$home/hooks.log`). */
  log: Logger;
  /** Writes to stdout; throws when stdout is gone (so a claim is not committed). */
  out: (text: string) => void;
  /** Writes to stderr. */
  err: (text: string) => void;
  /** Wall-clock ms by which the role must have finished (before Claude Code's timeout). */
  deadline: number;
  /** Aborted at the deadline. */
  signal: AbortSignal;
  /** The deno binary, for starting the bridge. */
  denoPath?: string;
  /** The configuration (loaded on first use; throws ConfigError on a bad file). */
  config: () => Config;
}

/** Env vars the hooks read besides the config ones. */
export const HOOK_ENV_VARS: readonly string[] = [
  "CLAUDE_PID",
  "CLAUDE_CODE_SESSION_ID",
  "CLAUDE_CODE_ENTRYPOINT",
];

/** A lazily loaded, cached config for `home` (config.ts's loader and names passed in). */
export function lazyConfig(
  home: string,
  env: Record<string, string | undefined>,
  config: { loadConfig: (o: LoadConfigOptions) => Config; ENV_VARS: readonly string[] },
): () => Config {
  let cached: Config | undefined;
  return () => {
    cached ??= config.loadConfig({
      env: { ...pick(env, config.ENV_VARS), CLAUDE_DISCORD_HOME: home },
    });
    return cached;
  };
}

function pick(
  env: Record<string, string | undefined>,
  names: readonly string[],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const n of names) out[n] = env[n];
  return out;
}

/** Milliseconds left before the deadline (never negative). */
export function remaining(ctx: HookContext): number {
  return Math.max(0, ctx.deadline - ctx.now());
}

/** The role a hook event runs when the command names none. */
export function defaultRole(event: string): HookRole | undefined {
  switch (event) {
    case "SessionStart":
    case "PreToolUse":
      return "register";
    case "PostToolUse":
    case "PostToolUseFailure":
    case "UserPromptSubmit":
      return "deliver";
    case "Stop":
      return "status";
    case "StopFailure":
    case "Notification":
      return "notice";
    case "SessionEnd":
      return "end";
    case "PermissionRequest":
      return "permission";
    default:
      return undefined;
  }
}

/** The files the hooks keep under `$home/hooks/`. */
export function hookPaths(home: string): {
  dir: string;
  overflowDir: string;
  waitDir: string;
  permDir: string;
  permAnswers: string;
  noEnvSession: string;
  bridgeOff: string;
  noticeDir: string;
} {
  const dir = `${home.replace(/\/+$/, "")}/hooks`;
  return {
    dir,
    overflowDir: `${dir}/overflow`,
    waitDir: `${dir}/wait`,
    permDir: `${dir}/perm`,
    permAnswers: `${dir}/perm/answers.jsonl`,
    noEnvSession: `${dir}/no-env-session`,
    bridgeOff: `${dir}/bridge-off`,
    noticeDir: `${dir}/notice`,
  };
}

/** Short description of an input for log lines. */
export function describeInput(input: HookInput): string {
  const tool = typeof input.tool_name === "string" ? ` ${input.tool_name}` : "";
  return `${input.hook_event_name}${tool} ${input.session_id.slice(0, 8)}`;
}
