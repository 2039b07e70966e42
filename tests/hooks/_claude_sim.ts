// A Claude Code session as the delivery hooks see it, without the CLI: it runs the settings'
// PostToolUse command the way Claude Code runs a hook (`sh -c`, CLAUDE_CODE_SESSION_ID in the
// environment), takes or discards what the hook printed, and appends to the session's
// transcript what Claude Code 2.1.330 appends (checked with the real CLI in
// tests/e2e/delivery_e2e_test.ts): a `hook_additional_context` attachment holding the text it
// took (JSON-escaped), a `hook_cancelled` one for a hook it stopped, then the model's next
// answer, an `assistant` record. It records which message ids reached "the model", in order.
//
// A round can kill its hook once the hook has printed and committed (the mailbox is empty and
// the output complete), while the hook is blocked writing its log line (hooks.log is a FIFO
// with no reader during that round): the window of a hook killed after its commit. Or at a
// given moment. Claude Code then drops the output (as it does for a hook it stopped at its
// timeout) or takes it (as 2.1.330 does with what a hook killed by a signal printed).
import { SessionRegistry } from "../../sessions.ts";
import { additionalContext, frameIds } from "./_helpers.ts";

/** How a round ends for its hook. */
export interface RoundFault {
  /**
   * When the hook is SIGKILLed: once it has printed and committed (`"after-commit"`), or this
   * many ms after it started. Default: never.
   */
  kill?: "after-commit" | number;
  /**
   * Whether Claude Code drops the output of the killed hook (what it does with a hook it stops
   * at its timeout); otherwise it takes what the hook printed, if whole (what 2.1.330 does with
   * a hook killed by a signal).
   */
  discard?: boolean;
}

/** What one round did. */
export interface RoundResult {
  /** Ids the model saw in this round, in order. */
  seen: string[];
  /** Whether the hook was killed. */
  killed: boolean;
  /** The hook's exit code (`null` when killed). */
  code: number | null;
  /** The hook's stderr. */
  stderr: string;
}

/** Options of {@linkcode simulatedSession}. */
export interface SimOptions {
  /** The state directory (`CLAUDE_DISCORD_HOME`). */
  home: string;
  /** The session id. */
  sid: string;
  /** HOME of the hooks (the transcript lives under `$HOME/.claude/projects`). */
  userHome: string;
  /** The settings' PostToolUse command. */
  command: string;
  /** Extra environment for the hooks. */
  env?: Record<string, string>;
}

/** A simulated session: rounds of one tool call each. */
export interface SimulatedSession {
  /** The transcript path (registered as the session's). */
  readonly transcript: string;
  /** Every id the model saw, in order, over all rounds. */
  readonly seen: string[];
  /** Runs one tool call's PostToolUse hook and the model's next answer. */
  round(fault?: RoundFault): Promise<RoundResult>;
}

let toolCounter = 0;

/** Registers the session (with its transcript, as the register hook does) and returns it. */
export async function simulatedSession(options: SimOptions): Promise<SimulatedSession> {
  const { home, sid } = options;
  const dir = `${options.userHome}/.claude/projects/-sim`;
  Deno.mkdirSync(dir, { recursive: true });
  const transcript = `${dir}/${sid}.jsonl`;
  await new SessionRegistry(home).register({
    id: sid,
    cwd: "/work/sim",
    pid: Deno.pid,
    transcriptPath: transcript,
  });
  const seen: string[] = [];
  const append = (record: Record<string, unknown>) =>
    Deno.writeTextFileSync(
      transcript,
      JSON.stringify({
        isSidechain: false,
        sessionId: sid,
        timestamp: new Date().toISOString(),
        ...record,
      }) + "\n",
      { append: true },
    );
  return {
    transcript,
    seen,
    async round(fault: RoundFault = {}) {
      const tool = `toolu_sim${++toolCounter}`;
      // The model's answer that asked for this tool call.
      append({
        type: "assistant",
        message: { role: "assistant", content: [{ type: "tool_use", id: tool, name: "Bash" }] },
      });
      const log = `${home}/hooks.log`;
      const blockLog = fault.kill === "after-commit";
      if (blockLog) {
        // The log so far waits beside the FIFO and comes back after the round.
        renameIfThere(log, `${log}.sim`);
        await mkfifo(log);
      }
      const child = new Deno.Command("/bin/sh", {
        args: ["-c", options.command],
        clearEnv: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: options.userHome,
          CLAUDE_CODE_SESSION_ID: sid,
          ...options.env,
        },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("{}")).catch(() => {});
      await writer.close().catch(() => {});
      const stdout = collect(child.stdout);
      const stderr = collect(child.stderr);
      let killed = false;
      const kill = () => {
        killed = true;
        try {
          child.kill("SIGKILL");
        } catch (err) {
          if (!(err instanceof TypeError)) throw err; // exited meanwhile
        }
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (blockLog) {
        // Printed and committed: the hook now waits to write its log line.
        const mailbox = `${home}/inbox/${sid}.jsonl`;
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          if (complete(stdout.text()) && size(mailbox) === 0) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        if (!complete(stdout.text())) throw new Error(`the hook printed nothing: ${stderr.text()}`);
        kill();
      } else if (typeof fault.kill === "number") {
        timer = setTimeout(kill, fault.kill);
      }
      const status = await child.status;
      clearTimeout(timer);
      await Promise.all([stdout.done, stderr.done]);
      if (blockLog) {
        Deno.removeSync(log);
        renameIfThere(`${log}.sim`, log);
      }
      const out = stdout.text();
      const taken = !(killed && fault.discard) && complete(out);
      const ids = taken ? frameIds(additionalContext(out)) : [];
      if (taken) {
        append({
          type: "attachment",
          attachment: {
            type: "hook_additional_context",
            content: [additionalContext(out)],
            hookName: "PostToolUse:Bash",
            toolUseID: tool,
            hookEvent: "PostToolUse",
          },
        });
      } else if (killed) {
        append({
          type: "attachment",
          attachment: { type: "hook_cancelled", hookName: "PostToolUse:Bash", toolUseID: tool },
        });
      }
      seen.push(...ids);
      return {
        seen: ids,
        killed: killed && status.signal === "SIGKILL",
        code: status.signal ? null : status.code,
        stderr: stderr.text(),
      };
    },
  };
}

/** Whether a hook's stdout is a whole answer with additionalContext. */
function complete(out: string): boolean {
  let parsed: { hookSpecificOutput?: { additionalContext?: unknown } } | null;
  try {
    parsed = JSON.parse(out);
  } catch (err) {
    if (err instanceof SyntaxError) return false; // empty, or cut short
    throw err;
  }
  return typeof parsed?.hookSpecificOutput?.additionalContext === "string";
}

function renameIfThere(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

function size(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

async function mkfifo(path: string): Promise<void> {
  const out = await new Deno.Command("mkfifo", { args: ["-m", "600", path] }).output();
  if (!out.success) throw new Error(`mkfifo failed: ${new TextDecoder().decode(out.stderr)}`);
}

function collect(stream: ReadableStream<Uint8Array>): { text(): string; done: Promise<void> } {
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const chunk of stream) chunks.push(chunk);
  })();
  return {
    text: () => new TextDecoder().decode(concat(chunks)),
    done,
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
