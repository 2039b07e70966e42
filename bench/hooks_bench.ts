// Hook overhead, measured the way Claude Code runs a hook: `sh -c "<command from the
// settings>"` with the hook JSON on stdin.
//
// - empty mailbox (the common case, every tool call): the PostToolUse command (fast.sh,
//   shell builtins only) against `sh -c true`. Target ≤ 3×.
// - with a message: the same command delivering one message (Deno starts) against
//   `deno run` of an empty file (default flags, a directory without deno.json). Target ≤ 1.2×.
// - confirming: the session's next tool call after a delivery, nothing new pending: Deno starts
//   to find the delivery in the session's transcript (ARCHITECTURE.md, "Delivery guarantees").
//
// The session has a transcript of a long session (about 2 MB) under the hooks' HOME, and after
// each delivery the bench appends what Claude Code would (the text it took, the model's answer).
//
// Run: deno bench -A bench/hooks_bench.ts (the summary prints the ratios).
import { Inbox } from "../inbox.ts";
import { SessionRegistry } from "../sessions.ts";
import { buildSettings } from "../settings.ts";
import { median } from "./_helpers.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/+$/, "");
const home = Deno.makeTempDirSync({ prefix: "hooks_bench_" });
const empty = `${home}/empty.ts`;
Deno.writeTextFileSync(empty, "");
globalThis.addEventListener("unload", () => Deno.removeSync(home, { recursive: true }));

const SID = "dae42081-9441-4c30-8e6b-1aa244137845";
const userHome = `${home}/user`;
const transcript = `${userHome}/.claude/projects/-home-user-project/${SID}.jsonl`;
Deno.mkdirSync(transcript.slice(0, transcript.lastIndexOf("/")), { recursive: true });
{
  // A long session's transcript: 400 tool calls with 4 kB of output each.
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const at = new Date(Date.now() - (400 - i) * 1000).toISOString();
    lines.push(
      JSON.stringify({ type: "assistant", isSidechain: false, timestamp: at, message: { id: i } }),
      JSON.stringify({ type: "user", timestamp: at, toolUseResult: { stdout: "x".repeat(4000) } }),
    );
  }
  Deno.writeTextFileSync(transcript, lines.join("\n") + "\n");
}
const settings = buildSettings({ home, root, denoPath: Deno.execPath() });
const deliver = settings.hooks.PostToolUse[0].hooks[0].command;
const input = new TextEncoder().encode(
  JSON.stringify({
    session_id: SID,
    transcript_path: `/home/user/.claude/projects/-p/${SID}.jsonl`,
    cwd: "/home/user/project",
    hook_event_name: "PostToolUse",
    tool_name: "Bash",
    tool_input: { command: "echo hi", description: "Say hi" },
    tool_response: { stdout: "hi", stderr: "", interrupted: false, isImage: false },
    tool_use_id: "toolu_01",
  }) + "\n",
);

async function sh(
  command: string,
  env: Record<string, string> = {},
  cwd?: string,
): Promise<string> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", command],
    env: { HOME: userHome, ...env },
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(input).catch(() => {});
  await w.close().catch(() => {});
  const out = await child.output();
  if (!out.success) throw new Error(`${command} exited ${out.code}`);
  const text = new TextDecoder().decode(out.stdout);
  if (text.includes("additionalContext")) took(text);
  return text;
}

/** What Claude Code appends after taking a delivery: the text it took, then the model's answer. */
function took(stdout: string): void {
  const at = () => new Date().toISOString();
  const context = JSON.parse(stdout).hookSpecificOutput.additionalContext;
  Deno.writeTextFileSync(
    transcript,
    JSON.stringify({
      type: "attachment",
      timestamp: at(),
      attachment: { type: "hook_additional_context", content: [context] },
    }) + "\n" + JSON.stringify({ type: "assistant", isSidechain: false, timestamp: at() }) + "\n",
    { append: true },
  );
}

// As in a real session, SessionStart registered it (and its transcript) before any tool call.
await new SessionRegistry(home).register({
  id: SID,
  cwd: "/home/user/project",
  transcriptPath: transcript,
});
const inbox = new Inbox(home);
let n = 0n;
async function oneMessage(): Promise<void> {
  n++;
  await inbox.append(SID, [{
    id: String(1300000000000000000n + n),
    kind: "message",
    channelId: "1100000000000000002",
    author: { id: "1100000000000000003", name: "ada" },
    content: "please run the tests again",
    timestamp: new Date().toISOString(),
    attachments: [],
  }]);
}

// Warm Deno's module cache so the first measured run is not a cold compile.
await oneMessage();
if (!(await sh(deliver)).includes("additionalContext")) {
  throw new Error("warm-up delivered nothing");
}
/** The tool call after a delivery: the hook finds it in the transcript, prints nothing. */
async function confirm(): Promise<void> {
  if ((await sh(deliver, { CLAUDE_CODE_SESSION_ID: SID })) !== "") throw new Error("output");
}
await confirm();

Deno.bench({
  name: "sh -c true",
  group: "empty mailbox",
  baseline: true,
  fn: async () => {
    await sh("true");
  },
});

Deno.bench({
  name: "PostToolUse hook, empty mailbox (CLAUDE_CODE_SESSION_ID)",
  group: "empty mailbox",
  fn: async () => {
    if ((await sh(deliver, { CLAUDE_CODE_SESSION_ID: SID })) !== "") throw new Error("output");
  },
});

Deno.bench({
  name: "PostToolUse hook, empty mailbox (session id read from stdin)",
  group: "empty mailbox",
  fn: async () => {
    if ((await sh(deliver)) !== "") throw new Error("output");
  },
});

// The baseline is `deno run` of an empty file as a user would run it: default flags (the
// code cache on, the update check on), in a directory without a deno.json (this checkout's
// config and lock file are not the baseline's to load). The hook may use any flags it likes
// (settings.ts: --no-config, --no-code-cache, a pre-bundled module); the baseline gets none.
// Each ~70 ms; a fixed 40 runs (after 5 warm-up runs) keep the means steady on a shared machine.
const RUNS = { n: 40, warmup: 5 };

Deno.bench({
  name: "deno run empty.ts",
  group: "one message",
  baseline: true,
  ...RUNS,
  fn: async () => {
    await sh(`${Deno.execPath()} run --no-prompt ${empty}`, {}, home);
  },
});

Deno.bench({
  name: "PostToolUse hook delivering one message",
  group: "one message",
  ...RUNS,
  fn: async (b) => {
    await oneMessage();
    b.start();
    const out = await sh(deliver, { CLAUDE_CODE_SESSION_ID: SID });
    b.end();
    if (!out.includes("additionalContext")) throw new Error("nothing delivered");
    await confirm();
  },
});

Deno.bench({
  name: "PostToolUse hook confirming the last delivery (nothing new)",
  group: "one message",
  ...RUNS,
  fn: async (b) => {
    await oneMessage();
    if (!(await sh(deliver, { CLAUDE_CODE_SESSION_ID: SID })).includes("additionalContext")) {
      throw new Error("nothing delivered");
    }
    b.start();
    await confirm();
    b.end();
  },
});

// The groups above time each side in its own stretch, so a shared machine's load changing in
// between moves their ratio. This one alternates the two commands of each pair (the order
// swapped every pair) and prints the median of the 40 per-pair ratios beside the groups'.
const paired: string[] = [];
addEventListener("unload", () => {
  if (paired.length > 0) console.log(`\nhook overhead, paired\n  ${paired.join("\n  ")}`);
});

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

let pairedRun: Promise<void> | undefined;
Deno.bench({
  name: "paired ratios (40 alternating pairs each)",
  group: "paired",
  n: 1,
  warmup: 0,
  // deno bench may call this more than once even with n: 1; the figures need one run.
  fn: async () =>
    await (pairedRun ??= (async () => {
      const baseline = () => sh(`${Deno.execPath()} run --no-prompt ${empty}`, {}, home);
      const hook = async () => {
        const out = await sh(deliver, { CLAUDE_CODE_SESSION_ID: SID });
        if (!out.includes("additionalContext")) throw new Error("nothing delivered");
      };
      const withMessage: number[] = [];
      const confirming: number[] = [];
      const emptyBox: number[] = [];
      for (let i = 0; i < 40; i++) {
        await oneMessage();
        const h = i % 2 === 0 ? await timed(hook) : 0;
        const base = await timed(baseline);
        withMessage.push((i % 2 === 0 ? h : await timed(hook)) / base);
        const c = i % 2 === 0 ? await timed(confirm) : 0;
        const base2 = await timed(baseline);
        confirming.push((i % 2 === 0 ? c : await timed(confirm)) / base2);
        const idle = () => sh(deliver, { CLAUDE_CODE_SESSION_ID: SID });
        const d = i % 2 === 0 ? await timed(idle) : 0;
        const t = await timed(() => sh("true"));
        emptyBox.push((i % 2 === 0 ? d : await timed(idle)) / t);
      }
      paired.push(
        `with a message: ${median(withMessage).toFixed(2)}x deno run empty.ts (target <= 1.2)`,
        `confirming the last delivery: ${median(confirming).toFixed(2)}x deno run empty.ts`,
        `empty mailbox: ${median(emptyBox).toFixed(2)}x sh -c true (target <= 3)`,
      );
    })()),
});
