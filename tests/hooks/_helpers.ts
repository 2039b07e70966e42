// Test helpers for the hooks: the session id and real hook stdin fixtures, the
// exact settings commands (so tests run the hooks with the least permissions they ship
// with), and readers of what the hooks printed and logged.
import { Bridge } from "../../bridge.ts";
import { type ConfigFile, writeConfigFile } from "../../config.ts";
import { acquireInstanceLock } from "../../daemon.ts";
import { createLogger } from "../../log.ts";
import { Inbox } from "../../inbox.ts";
import { buildSettings, type SettingsFragment, type SettingsOptions } from "../../settings.ts";
import type { DiscordServer } from "../../testing/mod.ts";
import { ROOT } from "../_fixture.ts";
import { runBounded } from "../_process.ts";

/** The session id the hook stdin fixtures are used with (`fixture(name, SID)`). */
export const SID = "dae42081-9441-4c30-8e6b-1aa244137845";

/** A real hook stdin captured from Claude Code 2.1.330, with the session id replaced. */
export function fixture(name: string, sessionId?: string): Record<string, unknown> {
  const value = JSON.parse(
    Deno.readTextFileSync(`${ROOT}/tests/testdata/hook_stdin/${name}.json`),
  ) as Record<string, unknown>;
  if (sessionId !== undefined) value.session_id = sessionId;
  return value;
}

/** The settings fragment for `home`, with this checkout and this deno. */
export function settingsFor(home: string, extra: Partial<SettingsOptions> = {}): SettingsFragment {
  return buildSettings({ home, root: ROOT, denoPath: Deno.execPath(), ...extra });
}

/**
 * Writes `home/config.json` (first the local server's token, channel, webhook, API and its
 * owner as the allowlist, when `server` is given; then `values`) and returns the settings
 * fragment built from the same API, webhook and timeouts, as setup pairs them.
 */
export function configure(
  home: string,
  values: ConfigFile = {},
  server?: DiscordServer,
): SettingsFragment {
  const config: ConfigFile = {
    ...(server
      ? {
        token: server.token,
        channelId: server.channelId,
        webhookUrl: server.webhookUrl,
        apiUrl: server.apiUrl,
        allowedUsers: [server.ownerId],
      }
      : {}),
    ...values,
  };
  writeConfigFile(home, config);
  const options: Partial<SettingsOptions> = {};
  if (config.apiUrl !== undefined) options.apiUrl = config.apiUrl;
  if (config.webhookUrl !== undefined) options.webhookUrl = config.webhookUrl;
  if (config.wakeTimeoutSeconds !== undefined) {
    options.wakeTimeoutSeconds = config.wakeTimeoutSeconds;
  }
  if (config.permissionTimeoutSeconds !== undefined) {
    options.permissionTimeoutSeconds = config.permissionTimeoutSeconds;
  }
  return settingsFor(home, options);
}

/** The command of the hook with `--role=<role>` under `event`. */
export function commandOf(settings: SettingsFragment, event: string, role: string): string {
  for (const group of settings.hooks[event] ?? []) {
    for (const h of group.hooks) if (h.command.includes(`--role=${role}`)) return h.command;
  }
  throw new Error(`no ${role} hook under ${event}`);
}

/** What a hook command did. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** stdout. */
  stdout: string;
  /** stderr. */
  stderr: string;
  /** Wall time. */
  ms: number;
}

/**
 * Runs a hook command the way Claude Code does (`sh -c`), stdin = `input` (JSON when an
 * object), with a clean environment plus `env`. Killed after `timeoutMs`.
 */
export async function runHookCommand(
  command: string,
  input: unknown,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<RunResult> {
  const started = performance.now();
  const { out } = await runBounded(
    "/bin/sh",
    {
      args: ["-c", command],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? "/root",
        ...env,
      },
    },
    timeoutMs,
    typeof input === "string" ? input : JSON.stringify(input),
  );
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
    ms: performance.now() - started,
  };
}

/** Parses a PostToolUse-style answer and returns its additionalContext. */
export function additionalContext(stdout: string): string {
  const parsed = JSON.parse(stdout);
  const ctx = parsed?.hookSpecificOutput?.additionalContext;
  if (typeof ctx !== "string") throw new Error(`no additionalContext in ${stdout}`);
  return ctx;
}

/** The ids of the frames in a delivered text, in order. */
export function frameIds(text: string): string[] {
  return [...text.matchAll(/<discord-message id="([^"]+)"/g)].map((m) => m[1]);
}

/** Reads the hook log of a state directory ("" when absent). */
export function hookLog(home: string): string {
  try {
    return Deno.readTextFileSync(`${home}/hooks.log`);
  } catch {
    return "";
  }
}

/**
 * The bridge of `home`, in this process, holding the instance lock as a bridge process does (so
 * the hooks see it running and start none): it sends what the hooks put into the outbox.
 * Disposing it stops it and releases the lock.
 */
export async function bridgeFor(
  server: DiscordServer,
  home: string,
): Promise<Bridge & AsyncDisposable> {
  const got = await acquireInstanceLock(home, { attempts: 1 });
  if (!got.acquired) throw new Error(`a bridge already runs for ${home} (pid ${got.pid})`);
  const bridge = new Bridge({
    token: server.token,
    channelId: server.channelId,
    webhookUrl: server.webhookUrl,
    allowedUsers: [server.ownerId],
    apiUrl: server.apiUrl,
    home,
    log: createLogger(`${home}/bridge.log`),
    random: () => 0.5,
  });
  const disposable = bridge as Bridge & AsyncDisposable;
  disposable[Symbol.asyncDispose] = async () => {
    await bridge.stop();
    got.lock.release();
  };
  await bridge.start();
  return disposable;
}

/**
 * Events still to be delivered to a session: those in its mailbox plus those the hooks claimed
 * into their overflow file and the session has not been shown to have taken.
 */
export async function pendingFor(home: string, sid: string): Promise<number> {
  let overflow = 0;
  try {
    const text = Deno.readTextFileSync(`${home}/hooks/overflow/${sid}.jsonl`);
    overflow = text.split("\n").filter((l) => l.trim() && !("shown" in JSON.parse(l))).length;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return await new Inbox(home).pending(sid) + overflow;
}
