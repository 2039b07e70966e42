// The notify.ts CLI as users and hooks run it, against the local Discord server: exit codes
// (0 sent or spooled, 1 failure, 2 usage or config), text from arguments or stdin, one-line
// errors without secrets.
import { Bridge } from "../../bridge.ts";
import { createLogger } from "../../log.ts";
import { Outbox } from "../../outbox.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { denoDir, runBounded } from "../_process.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";

const SCRIPT = new URL("../../notify.ts", import.meta.url).pathname;
const PERMS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env"];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs notify.ts with `args`, only `env` (HOME is a temporary one: this Deno's cache is kept). */
async function run(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
  perms: string[] = PERMS,
): Promise<Run> {
  const { out } = await runBounded(
    Deno.execPath(),
    {
      args: ["run", ...perms, SCRIPT, ...args],
      env: { NO_COLOR: "1", DENO_DIR: denoDir(), ...env },
      clearEnv: true,
    },
    60_000,
    stdin,
  );
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
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
  await using tmp = await tempDir("notify-cli-test-");
  const r = await run(["--help"], { HOME: tmp.path });
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /^Usage: notify\.ts --session NAME/);
  assertMatch(r.stdout, /--allow-net --allow-read --allow-write --allow-env/);
});

Deno.test("CLI: usage and config errors exit 2 with one line", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-cli-test-");
  const home = tmp.path;
  const env = envFor(server, home);
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["hello"], env, /--session NAME is required/],
    [["--session", "s", "--state", "finished", "x"], env, /--state must be done, error/],
    [["--session", "s", "--bogus"], env, /^notify: unknown option --bogus \(see --help\)$/m],
    [["--session", "s", "--field", "novalue", "x"], env, /--field must be NAME=VALUE/],
    [["--session", "s", "--budget", "soon", "x"], env, /--budget must be a number/],
    [["--session", "s", "x"], { HOME: home }, /DISCORD_WEBHOOK_URL is not set/],
    [["--session", "s", "x"], { ...env, DISCORD_WEBHOOK_URL: "nope" }, /DISCORD_WEBHOOK_URL/],
  ];
  for (const [args, e, re] of cases) {
    const r = await run(args, e);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertMatch(r.stderr, re);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  assertEquals(server.state().webhookExecutions.length, 0);
});

Deno.test("CLI: posts text from arguments, then from stdin, into one thread", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-cli-test-");
  const home = tmp.path;
  const env = envFor(server, home);
  const a = await run(
    ["--session", "cli-run", "--state", "done", "--field", "Tests=42 passed", "all", "green"],
    env,
  );
  assertEquals(a.code, 0, a.stderr);
  assertEquals(a.stderr, "");
  const b = await run(["--session", "cli-run", "--state", "error", "--json"], env, "from stdin\n");
  assertEquals(b.code, 0, b.stderr);
  const result = JSON.parse(b.stdout);
  assertEquals(result.delivered, true);
  assertEquals(server.state().threads.length, 1);
  assertEquals(server.state().threads[0].name, "cli-run");
  assertEquals(result.threadId, server.state().threads[0].id);
  assertEquals(threadTexts(server), ["all green", "from stdin"]);
  const fields = (server.messages(result.threadId)[0].embeds![0] as {
    fields: { name: string; value: string }[];
  }).fields;
  assert(fields.some((f) => f.name === "Tests" && f.value === "42 passed"));
});

Deno.test("CLI: a bad webhook exits 1 with one line naming the fix and no token", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-cli-test-");
  const home = tmp.path;
  const bad = server.webhookUrl.replace(/\/[^/]+$/, "/not-the-token");
  const r = await run(["--session", "s", "text"], envFor(server, home, bad));
  assertEquals(r.code, 1);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assertMatch(r.stderr, /Discord answered 401 Invalid Webhook Token: run setup/);
  assert(!r.stderr.includes("not-the-token"));
});

Deno.test("CLI: unreachable Discord spools (exit 0), --flush sends it later", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-cli-test-");
  const home = tmp.path;
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (l.addr as Deno.NetAddr).port;
  l.close();
  const dead = server.webhookUrl.replace(/127\.0\.0\.1:[0-9]+/, `127.0.0.1:${deadPort}`);
  const t0 = performance.now();
  const r = await run(["--session", "s", "--budget", "1", "kept"], envFor(server, home, dead));
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /kept in the spool/);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert(performance.now() - t0 < 10_000);
  const f = await run(["--flush", "--json"], envFor(server, home));
  assertEquals(f.code, 0, f.stderr);
  assertEquals(JSON.parse(f.stdout), { flushed: 1 });
  assertEquals(threadTexts(server), ["kept"]);
});

Deno.test("CLI --enqueue: writes the post to the outbox without network; the bridge sends it into the session's thread", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using tmp = await tempDir("notify-cli-test-");
  const state = `${tmp.path}/state`;
  const noNet = PERMS.filter((p) => p !== "--allow-net");
  const env = { HOME: tmp.path, CLAUDE_DISCORD_HOME: state };
  const usage = await run(["--enqueue", "--flush"], env, undefined, noNet);
  assertEquals(usage.code, 2, usage.stderr);
  assertMatch(usage.stderr, /--enqueue sends nothing itself/);
  const r = await run(
    ["--enqueue", "--session", "nightly", "--id", "nightly-1", "--json", "all", "green"],
    env,
    undefined,
    noNet,
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout).queued.length, 1);
  assertMatch(r.stderr, /no bridge runs for this state directory: the post waits in the outbox/);
  assertEquals(new Outbox(state).pending("nightly-1"), 1);
  assertEquals(server.state().requests.length, 0);

  const bridge = new Bridge({
    token: server.token,
    channelId: server.channelId,
    webhookUrl: server.webhookUrl,
    allowedUsers: [server.ownerId],
    apiUrl: server.apiUrl,
    home: state,
    log: createLogger(`${state}/bridge.log`),
  });
  try {
    await bridge.start();
    await waitFor("the post", () => threadTexts(server).length === 1, 15_000);
  } finally {
    await bridge.stop();
  }
  assertEquals(server.state().threads[0].name, "nightly");
  assertEquals(threadTexts(server), ["all green"]);
  assertEquals(server.state().webhookExecutions.length, 0, "the bot posted it, not the webhook");
});
