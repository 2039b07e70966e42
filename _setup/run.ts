// Private: one run of setup (the flags, output, questions, environment, the config file as it
// was and where the API is) and the small steps every question shares: taking a value from its
// flag, env var or the config file, saying a verdict, deciding to ask again.
import type { ConfigFile } from "../config.ts";
import type { Connection, Failed, Passed } from "./checks.ts";
import type { Prompter } from "./prompt.ts";

/** The setup flags (see setup.ts `--help`). */
export interface SetupFlags {
  token?: string;
  channel?: string;
  webhook?: string;
  statusChannel?: string;
  allowedUsers?: string;
  apiUrl?: string;
  /** This machine's label (config.json `machineLabel`), already checked. */
  machineLabel?: string;
  home: string;
  user: boolean;
  /** Install into the project's committed files (`.claude/settings.json`, `.mcp.json`). */
  shared?: boolean;
  /** Let `send_file` run without a prompt too. */
  allowSendFile?: boolean;
  projectDir: string;
  homeDir?: string;
  install: boolean;
  /** Ask where to install (neither --user nor --project was given). */
  askWhere?: boolean;
  dryRun: boolean;
  liveTest: boolean;
  liveTimeoutSeconds: number;
  denoPath?: string;
}

/** How often setup asks again after an answer a check refused. */
export const MAX_TRIES = 5;

/** One run of setup: its flags and output, the config file as it was, the API base. */
export interface Run {
  /** The flags. */
  flags: SetupFlags;
  /** Progress lines. */
  say: (line: string) => void;
  /** Questions, in a terminal. */
  prompter?: Prompter;
  /** The environment. */
  env: Record<string, string | undefined>;
  /** The config file before this run. */
  file: ConfigFile;
  /** Where the REST API is. */
  connection: Connection;
}

/** A value and the setting it came from, as messages name it. */
export interface Picked {
  /** The value, `undefined` when none was given. */
  value: unknown;
  /** `--channel`, or `DISCORD_CHANNEL_ID` for the env var or config.json: where it came from. */
  setting: string;
}

/** A value from its flag, else its env var, else the config file; named by where it came from. */
export function pick(
  run: Run,
  flag: string | undefined,
  flagName: string,
  envName: string,
  key: keyof ConfigFile,
): Picked {
  return pickFrom(run.env, run.file, flag, flagName, envName, key);
}

/** {@linkcode pick} from the parts: flag, env, config file. */
export function pickFrom(
  env: Record<string, string | undefined>,
  file: ConfigFile,
  flag: string | undefined,
  flagName: string,
  envName: string,
  key: keyof ConfigFile,
): Picked {
  if (flag !== undefined) return { value: flag, setting: flagName };
  // The env var names a value of config.json too, as config.ts and doctor name it.
  const value = nonEmpty(env[envName]) ?? file[key];
  return { value, setting: value === undefined ? flagName : envName };
}

/** Says a passed check (`ok  label: …` or `warn label: …`) and returns its value. */
export function report<T>(run: Run, verdict: Passed<T>): T {
  run.say(`${verdict.level === "ok" ? "ok " : "warn"} ${verdict.label}: ${verdict.message}`);
  return verdict.value;
}

/**
 * Whether to ask again after a failed check: in a terminal, for a problem another answer
 * can fix, fewer than {@linkcode MAX_TRIES} times. Says the problem when so.
 */
export function askAgain(run: Run, tries: number, verdict: Failed, fixable: boolean): boolean {
  if (!run.prompter || tries >= MAX_TRIES || !fixable) return false;
  run.say(verdict.message);
  return true;
}

/** `value`, or `undefined` when it is empty. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}
