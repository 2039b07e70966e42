// End-to-end harness for the real Claude Code CLI: locate (or install) the pinned
// version, build a throw-away HOME and project, run `claude -p`, or drive an
// interactive session inside a private tmux server.
//
// The pin is one line in .ci/claude-code-version, which .ci/run reads too. The CLI is the npm
// package @anthropic-ai/claude-code, whose postinstall links a native binary (from
// @anthropic-ai/claude-code-<platform>) over bin/claude.exe. Each version is installed once
// into its own <repo>/.cache/claude-code/<version> (git-ignored), so checkouts pinned to
// different versions can share the cache:
//   npm install --prefix .cache/claude-code/<version> --no-audit --no-fund @anthropic-ai/claude-code@<version>
// CLAUDE_CODE_BIN=/path/to/claude overrides the location.

import { fileURLToPath } from "node:url";
import { tempDir } from "../_fixture.ts";
import { denoDir, runBounded } from "../_process.ts";

/** The file that pins the Claude Code version (one line), read by .ci/run and these tests. */
export const CLAUDE_CODE_PIN_FILE: string = fileURLToPath(
  new URL("../../.ci/claude-code-version", import.meta.url),
);

/** The Claude Code version the e2e tests are pinned to. */
export const CLAUDE_CODE_VERSION: string = Deno.readTextFileSync(CLAUDE_CODE_PIN_FILE).trim();

/** Where the pinned CLI is installed (npm `--prefix`). */
export const CLAUDE_CODE_PREFIX: string = fileURLToPath(
  new URL(`../../.cache/claude-code/${CLAUDE_CODE_VERSION}`, import.meta.url),
);

/** The exact install command (what .ci/run runs before the suite). */
export const CLAUDE_CODE_INSTALL: string[] = [
  "npm",
  "install",
  "--prefix",
  CLAUDE_CODE_PREFIX,
  "--no-audit",
  "--no-fund",
  `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`,
];

const decoder = new TextDecoder();

/** The CLI's path, or why it cannot be used here. */
export type ClaudeCli = { path: string; version: string } | { path: undefined; skip: string };

async function versionOf(path: string): Promise<string | undefined> {
  try {
    const { out } = await runBounded(
      path,
      { args: ["--version"], env: { DISABLE_AUTOUPDATER: "1" } },
      20_000,
    );
    if (!out.success) return undefined;
    return /^(\d+\.\d+\.\d+)/.exec(decoder.decode(out.stdout).trim())?.[1];
  } catch {
    return undefined;
  }
}

/** Installed binaries in preference order: the linked bin, then the platform packages. */
function candidates(): string[] {
  const scope = `${CLAUDE_CODE_PREFIX}/node_modules/@anthropic-ai`;
  const found = [`${scope}/claude-code/bin/claude.exe`];
  try {
    for (const entry of Deno.readDirSync(scope)) {
      if (entry.name.startsWith("claude-code-")) found.push(`${scope}/${entry.name}/claude`);
    }
  } catch {
    // nothing installed yet
  }
  return found;
}

async function findInstalled(): Promise<{ path: string; version: string } | undefined> {
  for (const path of candidates()) {
    const version = await versionOf(path);
    if (version === CLAUDE_CODE_VERSION) return { path, version };
  }
  return undefined;
}

let located: Promise<ClaudeCli> | undefined;

/**
 * Finds the pinned Claude Code CLI, installing it with npm under an exclusive
 * lock when it is missing (several test files may ask at once). Never throws:
 * a CLI that cannot be installed comes back as `{ path: undefined, skip }`.
 */
export function locateClaude(): Promise<ClaudeCli> {
  return located ??= locate();
}

async function locate(): Promise<ClaudeCli> {
  const override = Deno.env.get("CLAUDE_CODE_BIN");
  if (override) {
    const version = await versionOf(override);
    return version
      ? { path: override, version }
      : { path: undefined, skip: `CLAUDE_CODE_BIN=${override} does not run (--version failed)` };
  }
  const ready = await findInstalled();
  if (ready) return ready;
  await Deno.mkdir(CLAUDE_CODE_PREFIX, { recursive: true });
  using lock = await Deno.open(`${CLAUDE_CODE_PREFIX}/.install.lock`, {
    create: true,
    write: true,
  });
  await lock.lock(true);
  try {
    const raced = await findInstalled();
    if (raced) return raced;
    let out: Deno.CommandOutput;
    try {
      ({ out } = await runBounded(
        CLAUDE_CODE_INSTALL[0],
        { args: CLAUDE_CODE_INSTALL.slice(1) },
        300_000,
      ));
    } catch (err) {
      return { path: undefined, skip: `cannot run npm to install Claude Code: ${err}` };
    }
    const installed = await findInstalled();
    if (installed) return installed;
    const tail = decoder.decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    return {
      path: undefined,
      skip: `npm could not install @anthropic-ai/claude-code@${CLAUDE_CODE_VERSION} ` +
        `(exit ${out.code}): ${tail || "no runnable binary afterwards"}`,
    };
  } finally {
    await lock.unlock();
  }
}

/** Options of {@linkcode createClaudeSandbox}. */
export interface ClaudeSandboxOptions {
  /** `ANTHROPIC_BASE_URL`: the scripted Messages API server. */
  apiUrl: string;
  /** Contents of `<project>/.claude/settings.json` (hooks, permissions). */
  settings?: Record<string, unknown>;
  /** API key handed to the CLI; its last 20 characters are pre-approved. */
  apiKey?: string;
  /** Project folder name (session names derive from it). Default `project`. */
  projectName?: string;
  /** Extra environment for the CLI (and so its hooks); DENO_DIR is this Deno's cache unless set. */
  env?: Record<string, string>;
}

/** The result of one `claude -p` run. */
export interface PrintResult {
  /** Exit code. */
  code: number;
  /** Raw stdout. */
  stdout: string;
  /** Raw stderr. */
  stderr: string;
  /** stdout parsed as JSON (`--output-format json`), when it parses. */
  json: Record<string, unknown> | undefined;
  /** Wall time in milliseconds. */
  ms: number;
}

/** A throw-away HOME plus a trusted project for one CLI run. */
export interface ClaudeSandbox extends AsyncDisposable {
  /** The CLI binary. */
  readonly cli: string;
  /** Temp root holding everything below (removed on dispose). */
  readonly root: string;
  /** `HOME` of the CLI (holds `.claude.json` and `.claude/`). */
  readonly home: string;
  /** The project directory (cwd of the CLI), real path. */
  readonly project: string;
  /** The whole environment the CLI gets (nothing else is inherited). */
  readonly env: Record<string, string>;
  /** Rewrites `<project>/.claude/settings.json`. */
  writeSettings(settings: Record<string, unknown>): Promise<void>;
  /** Runs `claude -p <prompt> --output-format json` in the project; bounded by `timeoutMs`. */
  print(
    prompt: string,
    options?: { args?: string[]; timeoutMs?: number },
  ): Promise<PrintResult>;
  /** Starts an interactive session in a private tmux server. */
  interactive(options?: { args?: string[]; width?: number; height?: number }): Promise<TmuxClaude>;
}

/** A fake but well-formed API key (the CLI only checks its shape and approval). */
export const TEST_API_KEY = "sk-ant-api03-e2e-test-key-0000000000000000000000";

/** Creates a sandbox: temp HOME with onboarding done and the key approved, trusted project. */
export async function createClaudeSandbox(
  cli: string,
  options: ClaudeSandboxOptions,
): Promise<ClaudeSandbox> {
  const dir = await tempDir("claude-e2e-");
  const root = dir.path;
  const home = `${root}/home`;
  const project = `${root}/${options.projectName ?? "project"}`;
  const tmp = `${root}/tmp`;
  for (const dir of [home, `${project}/.claude`, tmp]) await Deno.mkdir(dir, { recursive: true });
  const apiKey = options.apiKey ?? TEST_API_KEY;
  await Deno.writeTextFile(
    `${home}/.claude.json`,
    JSON.stringify({
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
      projects: { [project]: { hasTrustDialogAccepted: true } },
    }),
  );
  const writeSettings = (settings: Record<string, unknown>): Promise<void> =>
    Deno.writeTextFile(`${project}/.claude/settings.json`, JSON.stringify(settings, null, 2));
  await writeSettings(options.settings ?? {});
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    ANTHROPIC_BASE_URL: options.apiUrl,
    ANTHROPIC_API_KEY: apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_TMPDIR: tmp,
    // The hooks and the bridge they start run Deno under the temp HOME: they compile against
    // this Deno's cache, not an empty one.
    DENO_DIR: denoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    ...options.env,
  };
  const sessions: TmuxClaude[] = [];

  async function print(
    prompt: string,
    { args = [], timeoutMs = 60_000 }: { args?: string[]; timeoutMs?: number } = {},
  ): Promise<PrintResult> {
    const started = performance.now();
    const { out, timedOut } = await runBounded(cli, {
      args: ["-p", prompt, "--output-format", "json", ...args],
      cwd: project,
      env,
      clearEnv: true,
    }, timeoutMs);
    const stdout = decoder.decode(out.stdout);
    const stderr = decoder.decode(out.stderr);
    if (timedOut) {
      throw new Error(
        `claude -p did not finish within ${timeoutMs} ms; stderr: ${stderr.slice(-800)}`,
      );
    }
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
    return { code: out.code, stdout, stderr, json, ms: Math.round(performance.now() - started) };
  }

  async function interactive(
    { args = [], width = 160, height = 50 }: { args?: string[]; width?: number; height?: number } =
      {},
  ): Promise<TmuxClaude> {
    const session = await startTmux({
      cli,
      args,
      cwd: project,
      env,
      socket: `${root}/tmux.sock`,
      width,
      height,
    });
    sessions.push(session);
    return session;
  }

  return {
    cli,
    root,
    home,
    project,
    env,
    writeSettings,
    print,
    interactive,
    async [Symbol.asyncDispose]() {
      for (const session of sessions) await session.close();
      // A CLI on its way out (or a hook it started) may still write a file: tempDir retries.
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** An interactive Claude Code session running in its own tmux server. */
export interface TmuxClaude extends AsyncDisposable {
  /** The tmux socket (`tmux -S <socket> attach` to watch it live). */
  readonly socket: string;
  /** The visible screen as text. */
  screen(): Promise<string>;
  /** Types literal text (no Enter). */
  type(text: string): Promise<void>;
  /** Sends tmux key names (`Enter`, `Escape`, `C-c`, …). */
  press(...keys: string[]): Promise<void>;
  /** Types `text`, waits until it shows on screen, then presses Enter. */
  submit(text: string, timeoutMs?: number): Promise<void>;
  /** Polls the screen until it matches; throws with the last screen on timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Whether the session (the CLI process) is still running. */
  alive(): Promise<boolean>;
  /** Kills the tmux server (and the CLI with it). */
  close(): Promise<void>;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function startTmux(options: {
  cli: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  socket: string;
  width: number;
  height: number;
}): Promise<TmuxClaude> {
  const { socket } = options;
  const tmuxEnv = { ...options.env, TERM: "xterm-256color" };
  const tmux = async (...args: string[]): Promise<{ ok: boolean; text: string }> => {
    const out = await new Deno.Command("tmux", {
      args: ["-S", socket, "-f", "/dev/null", ...args],
      env: tmuxEnv,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { ok: out.success, text: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
  };
  const command = [options.cli, ...options.args].map(shellQuote).join(" ");
  const started = await tmux(
    "new-session",
    "-d",
    "-s",
    "claude",
    "-x",
    String(options.width),
    "-y",
    String(options.height),
    "-c",
    options.cwd,
    `exec ${command}`,
  );
  if (!started.ok) throw new Error(`tmux new-session failed: ${started.text.trim()}`);
  const pid = Number((await tmux("display-message", "-p", "-t", "claude", "#{pane_pid}")).text);

  const screen = async (): Promise<string> =>
    (await tmux("capture-pane", "-p", "-t", "claude")).text;
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = await screen();
      if (pattern.test(last)) return last;
      await sleep(200);
    }
    throw new Error(`the screen did not show ${pattern} within ${timeoutMs} ms:\n${last}`);
  };
  const type = async (text: string): Promise<void> => {
    await tmux("send-keys", "-t", "claude", "-l", text);
  };
  const press = async (...keys: string[]): Promise<void> => {
    await tmux("send-keys", "-t", "claude", ...keys);
  };
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await tmux("kill-server").catch(() => {});
    // Wait for the CLI to finish exiting (it writes its transcript on SIGHUP), then make sure.
    for (let waited = 0; pid > 0 && waited < 5_000 && await exists(`/proc/${pid}`); waited += 100) {
      await sleep(100);
    }
    if (pid > 0 && await exists(`/proc/${pid}`)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  };
  return {
    socket,
    screen,
    type,
    press,
    async submit(text: string, timeoutMs = 5_000): Promise<void> {
      await type(text);
      const escaped = text.slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      await waitFor(new RegExp(`❯\\s*${escaped}`), timeoutMs);
      await press("Enter");
    },
    waitFor,
    async alive(): Promise<boolean> {
      return (await tmux("has-session", "-t", "claude")).ok;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Reads every JSON file a capture hook wrote, oldest first, as `[event, stdin]` pairs. */
export async function readCaptured(dir: string): Promise<[string, Record<string, unknown>][]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".json")) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const stamp = (name: string): bigint => BigInt(/-(\d+)\.json$/.exec(name)?.[1] ?? "0");
  names.sort((a, b) => (stamp(a) < stamp(b) ? -1 : stamp(a) > stamp(b) ? 1 : 0));
  const out: [string, Record<string, unknown>][] = [];
  for (const name of names) {
    out.push([name.split("-")[0], JSON.parse(await Deno.readTextFile(`${dir}/${name}`))]);
  }
  return out;
}

/**
 * A hook command that saves its stdin as `<dir>/<event>-<nanoseconds>.json` (written under
 * another name and renamed, so a reader never sees half of it) and then runs `then` (a shell
 * snippet; its stdout is the hook's output).
 */
export function captureCommand(dir: string, event: string, then = ""): string {
  const file = `${shellQuote(dir)}/${event}-$(date +%s%N).json`;
  const save = `f=${file}; cat > "$f.part" && mv "$f.part" "$f"`;
  return then ? `${save}; ${then}` : save;
}

/** A shell snippet that prints `value` as one JSON line (a hook's stdout answer). */
export function printJson(value: unknown): string {
  return `printf '%s\\n' ${shellQuote(JSON.stringify(value))}`;
}
