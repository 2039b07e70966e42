// The notify.ts CLI as users and hooks run it, against the local Discord server: exit codes
// (0 sent or spooled, 1 failure, 2 usage or config), text from arguments or stdin, one-line
// errors without secrets.
import assert from "node:assert/strict";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";

const SCRIPT = new URL("../../notify.ts", import.meta.url).pathname;
const PERMS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env"];
const DENO_DIR = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<Run> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, SCRIPT, ...args],
    // The parent's Deno cache: the REST library is an npm package (HOME is a temporary one).
    env: { NO_COLOR: "1", DENO_DIR: DENO_DIR, ...env },
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const timer = setTimeout(() => child.kill(), 60_000);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** A temporary HOME, removed when the `using` scope ends. */
function tempHome(): Disposable & { path: string } {
  const path = Deno.makeTempDirSync({ prefix: "notify_cli_test_" });
  return { path, [Symbol.dispose]: () => Deno.removeSync(path, { recursive: true }) };
}

function envFor(server: DiscordServer, home: string, webhookUrl = server.webhookUrl) {
  return {
    HOME: home,
    CLAUDE_DISCORD_HOME: `${home}/state`,
    DISCORD_WEBHOOK_URL: webhookUrl,
    DISCORD_API_URL: server.apiUrl,
  };
}

function threadTexts(server: DiscordServer): string[] {
  const thread = server.state().threads[0];
  if (!thread) return [];
  return server.messages(thread.id).map((m) =>
    String((m.embeds?.[0] as { description?: string } | undefined)?.description ?? "")
  );
}

Deno.test("CLI: --help prints usage and exits 0", async () => {
  using tmp = tempHome();
  const r = await run(["--help"], { HOME: tmp.path });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: notify\.ts --session NAME/);
  assert.match(r.stdout, /--allow-net --allow-read --allow-write --allow-env/);
});

Deno.test("CLI: usage and config errors exit 2 with one line", async () => {
  await using server = await startDiscordServer({ port: 0 });
  using tmp = tempHome();
  const home = tmp.path;
  const env = envFor(server, home);
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["hello"], env, /--session NAME is required/],
    [["--session", "s", "--state", "finished", "x"], env, /--state must be done, error/],
    [["--session", "s", "--bogus"], env, /Unknown option '--bogus'/],
    [["--session", "s", "--field", "novalue", "x"], env, /--field must be NAME=VALUE/],
    [["--session", "s", "--budget", "soon", "x"], env, /--budget must be a number/],
    [["--session", "s", "x"], { HOME: home }, /DISCORD_WEBHOOK_URL is not set/],
    [["--session", "s", "x"], { ...env, DISCORD_WEBHOOK_URL: "nope" }, /DISCORD_WEBHOOK_URL/],
  ];
  for (const [args, e, re] of cases) {
    const r = await run(args, e);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  assert.equal(server.state().webhookExecutions.length, 0);
});

Deno.test("CLI: posts text from arguments, then from stdin, into one thread", async () => {
  await using server = await startDiscordServer({ port: 0 });
  using tmp = tempHome();
  const home = tmp.path;
  const env = envFor(server, home);
  const a = await run(
    ["--session", "cli-run", "--state", "done", "--field", "Tests=42 passed", "all", "green"],
    env,
  );
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stderr, "");
  const b = await run(["--session", "cli-run", "--state", "error", "--json"], env, "from stdin\n");
  assert.equal(b.code, 0, b.stderr);
  const result = JSON.parse(b.stdout);
  assert.equal(result.delivered, true);
  assert.equal(server.state().threads.length, 1);
  assert.equal(server.state().threads[0].name, "cli-run");
  assert.equal(result.threadId, server.state().threads[0].id);
  assert.deepEqual(threadTexts(server), ["all green", "from stdin"]);
  const fields = (server.messages(result.threadId)[0].embeds![0] as {
    fields: { name: string; value: string }[];
  }).fields;
  assert.ok(fields.some((f) => f.name === "Tests" && f.value === "42 passed"));
});

Deno.test("CLI: a bad webhook exits 1 with one line naming the fix and no token", async () => {
  await using server = await startDiscordServer({ port: 0 });
  using tmp = tempHome();
  const home = tmp.path;
  const bad = server.webhookUrl.replace(/\/[^/]+$/, "/not-the-token");
  const r = await run(["--session", "s", "text"], envFor(server, home, bad));
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /Discord answered 401 Invalid Webhook Token: run setup/);
  assert.ok(!r.stderr.includes("not-the-token"));
});

Deno.test("CLI: unreachable Discord spools (exit 0), --flush sends it later", async () => {
  await using server = await startDiscordServer({ port: 0 });
  using tmp = tempHome();
  const home = tmp.path;
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (l.addr as Deno.NetAddr).port;
  l.close();
  const dead = server.webhookUrl.replace(/127\.0\.0\.1:[0-9]+/, `127.0.0.1:${deadPort}`);
  const t0 = performance.now();
  const r = await run(["--session", "s", "--budget", "1", "kept"], envFor(server, home, dead));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /kept in the spool/);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.ok(performance.now() - t0 < 10_000);
  const f = await run(["--flush", "--json"], envFor(server, home));
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(JSON.parse(f.stdout), { flushed: 1 });
  assert.deepEqual(threadTexts(server), ["kept"]);
});
