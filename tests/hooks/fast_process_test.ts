// hooks/fast.sh: the shell fast path in front of the per-tool-call hooks. A stand-in
// command (instead of deno) shows whether Deno would start and what stdin it would get.
import { assert, assertEquals } from "../_assert.ts";
import { ROOT, tempDir } from "../_fixture.ts";
import { runHookCommand, SID } from "./_helpers.ts";

const FAST = `${ROOT}/hooks/fast.sh`;
// Prints a marker and echoes its stdin: what "Deno started" looks like here.
const STANDIN = `/bin/sh -c 'printf STARTED:; cat'`;

function fast(mode: string, home: string): string {
  return `/bin/sh '${FAST}' ${mode} '${home}' ${STANDIN}`;
}

function mailbox(home: string, sid = SID, text = '{"id":"1"}\n') {
  Deno.mkdirSync(`${home}/inbox`, { recursive: true });
  Deno.writeTextFileSync(`${home}/inbox/${sid}.jsonl`, text);
}

Deno.test("fast.sh deliver: an empty or absent mailbox ends without starting anything", async () => {
  await using h = await tempDir("cd-hooks-");
  const input = JSON.stringify({ session_id: SID, hook_event_name: "PostToolUse" });
  for (const env of [{}, { CLAUDE_CODE_SESSION_ID: SID }] as Record<string, string>[]) {
    assertEquals((await runHookCommand(fast("deliver", h.path), input, env)).stdout, "");
    mailbox(h.path, SID, "");
    assertEquals((await runHookCommand(fast("deliver", h.path), input, env)).stdout, "");
    Deno.removeSync(`${h.path}/inbox/${SID}.jsonl`);
  }
});

Deno.test("fast.sh deliver: a pending mailbox or overflow starts the command with the hook JSON intact", async () => {
  await using h = await tempDir("cd-hooks-");
  const input = JSON.stringify({ session_id: SID, hook_event_name: "PostToolUse", x: "a\\nb" });
  mailbox(h.path);
  for (const env of [{}, { CLAUDE_CODE_SESSION_ID: SID }] as Record<string, string>[]) {
    const r = await runHookCommand(fast("deliver", h.path), input, env);
    assertEquals(r.code, 0);
    assertEquals(r.stdout.replace(/\n$/, ""), `STARTED:${input}`);
  }
  Deno.removeSync(`${h.path}/inbox/${SID}.jsonl`);
  Deno.mkdirSync(`${h.path}/hooks/overflow`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/hooks/overflow/${SID}.jsonl`, '{"id":"2"}\n');
  const r = await runHookCommand(fast("deliver", h.path), input);
  assert(r.stdout.startsWith("STARTED:"));
});

Deno.test("fast.sh: session_id with or without spaces, pretty-printed JSON; bad ids and garbage end quietly", async () => {
  await using h = await tempDir("cd-hooks-");
  mailbox(h.path);
  const good = [
    `{"session_id":"${SID}","hook_event_name":"PostToolUse"}`,
    `{"cwd":"/x","session_id": "${SID}","hook_event_name":"PostToolUse"}`,
    `{"session_id" :\t"${SID}"}`,
    JSON.stringify({ session_id: SID, hook_event_name: "PostToolUse" }, null, 2),
  ];
  for (const input of good) {
    const r = await runHookCommand(fast("deliver", h.path), input);
    assert(r.stdout.startsWith("STARTED:"), `${input} → ${r.stdout}`);
    // The whole input reaches the command, line breaks and all.
    assertEquals(r.stdout.slice("STARTED:".length).trim(), input.trim());
  }
  mailbox(h.path, "x y");
  mailbox(h.path, "..");
  const bad = [
    "",
    "garbage",
    `{"session_id":"../${SID}"}`,
    `{"session_id":"x y"}`,
    `{"session_id":""}`,
    `{"session_id":12}`,
    `{"hook_event_name":"PostToolUse"}`,
    `{"session_id":"${"a".repeat(129)}"}`,
  ];
  for (const input of bad) {
    const r = await runHookCommand(fast("deliver", h.path), input);
    assertEquals([r.code, r.stdout], [0, ""], input);
  }
  for (const sid of ["../x", "a b", "a;rm"]) {
    const r = await runHookCommand(fast("deliver", h.path), "{}", { CLAUDE_CODE_SESSION_ID: sid });
    assertEquals([r.code, r.stdout], [0, ""], sid);
  }
});

Deno.test("fast.sh: with CLAUDE_CODE_SESSION_ID it never reads a large stdin; the no-env-session marker turns that off", async () => {
  await using h = await tempDir("cd-hooks-");
  const big = JSON.stringify({
    session_id: "other",
    hook_event_name: "PostToolUse",
    tool_response: { stdout: "x".repeat(2_000_000) },
  });
  const t0 = performance.now();
  const r = await runHookCommand(fast("deliver", h.path), big, { CLAUDE_CODE_SESSION_ID: SID });
  const ms = performance.now() - t0;
  assertEquals([r.code, r.stdout], [0, ""]);
  assert(ms < 2000, `took ${ms} ms`);
  mailbox(h.path, "other");
  Deno.mkdirSync(`${h.path}/hooks`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/hooks/no-env-session`, "x\n");
  const viaStdin = await runHookCommand(
    fast("deliver", h.path),
    JSON.stringify({ session_id: "other" }),
    { CLAUDE_CODE_SESSION_ID: SID },
  );
  assert(viaStdin.stdout.startsWith("STARTED:"));
});

Deno.test("fast.sh prompt: empties the session's wake-up wait file, then delivers like deliver", async () => {
  await using h = await tempDir("cd-hooks-");
  Deno.mkdirSync(`${h.path}/hooks/wait`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/hooks/wait/${SID}`, "token");
  const input = JSON.stringify({ session_id: SID, hook_event_name: "UserPromptSubmit" });
  const r = await runHookCommand(fast("prompt", h.path), input);
  assertEquals(r.stdout, "");
  assertEquals(Deno.readTextFileSync(`${h.path}/hooks/wait/${SID}`), "");
  mailbox(h.path);
  assert((await runHookCommand(fast("prompt", h.path), input)).stdout.startsWith("STARTED:"));
});

Deno.test("fast.sh register: skips Deno only when registered and the bridge pid is alive", async () => {
  await using h = await tempDir("cd-hooks-");
  const input = JSON.stringify({ session_id: SID, hook_event_name: "PreToolUse" });
  const started = async () =>
    (await runHookCommand(fast("register", h.path), input)).stdout.startsWith("STARTED:");
  assert(await started(), "not registered");
  Deno.mkdirSync(`${h.path}/sessions`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/sessions/${SID}.json`, "{}");
  assert(await started(), "no bridge pid file");
  Deno.mkdirSync(`${h.path}/bridge`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/bridge/bridge.pid`, `${Deno.pid}\n`);
  assert(!(await started()), "registered, bridge alive");
  Deno.writeTextFileSync(`${h.path}/bridge/bridge.pid`, "99999999\n");
  assert(await started(), "bridge pid dead");
  Deno.writeTextFileSync(`${h.path}/bridge/bridge.pid`, "1; rm -rf /\n");
  assert(await started(), "garbage pid");
  Deno.mkdirSync(`${h.path}/hooks`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/hooks/bridge-off`, "not configured\n");
  assert(!(await started()), "registered, bridge not configured: nothing to start");
});

Deno.test("fast.sh register: a non-empty stop marker starts the command with --role=stop (registered or not); prompt empties it", async () => {
  await using h = await tempDir("cd-hooks-");
  const args = `/bin/sh '${FAST}' register '${h.path}' /bin/sh -c 'printf "ARGS:%s" "$*"' standin`;
  const input = JSON.stringify({ session_id: SID, hook_event_name: "PreToolUse" });
  const env = { CLAUDE_CODE_SESSION_ID: SID };
  Deno.mkdirSync(`${h.path}/sessions`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/sessions/${SID}.json`, "{}");
  Deno.mkdirSync(`${h.path}/bridge`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/bridge/bridge.pid`, `${Deno.pid}\n`);
  assertEquals((await runHookCommand(args, input, env)).stdout, "", "not stopped");
  Deno.mkdirSync(`${h.path}/stop`, { recursive: true });
  Deno.writeTextFileSync(`${h.path}/stop/${SID}`, '{"by":"ada"}\n');
  for (const e of [env, {}]) {
    assertEquals((await runHookCommand(args, input, e)).stdout, "ARGS:--role=stop");
  }
  Deno.removeSync(`${h.path}/sessions/${SID}.json`);
  assertEquals((await runHookCommand(args, input, env)).stdout, "ARGS:--role=stop");
  const prompt = JSON.stringify({ session_id: SID, hook_event_name: "UserPromptSubmit" });
  assertEquals((await runHookCommand(fast("prompt", h.path), prompt, env)).stdout, "");
  assertEquals(Deno.readTextFileSync(`${h.path}/stop/${SID}`), "", "emptied: the stop is over");
  assertEquals((await runHookCommand(args, input, env)).stdout, "ARGS:", "registering again");
});

Deno.test("fast.sh: a state directory with spaces and quotes works", async () => {
  await using h = await tempDir("cd-hooks-");
  const home = `${h.path}/it's a dir`;
  Deno.mkdirSync(home);
  mailbox(home);
  const quoted = `'${home.replaceAll("'", `'\\''`)}'`;
  const r = await runHookCommand(
    `/bin/sh '${FAST}' deliver ${quoted} ${STANDIN}`,
    JSON.stringify({ session_id: SID }),
  );
  assert(r.stdout.startsWith("STARTED:"), r.stdout + r.stderr);
});
