// setup.ts as a process: usage errors exit 2, a failed check exits 1, --help exits 0, no token
// is echoed; --plugin writes the config into the plugin's data directory and installs nothing.
import { readConfigFile, writeConfigFile } from "../../config.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { ROOT } from "../_fixture.ts";
import { denoDir } from "../_process.ts";
import { exists, setupWorld } from "./_helpers.ts";

/** Runs setup.ts with `args` and only `env` (plus PATH and this Deno's cache). */
function setupCli(args: string[], env: Record<string, string>): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/setup.ts`, ...args],
    // Another HOME would mean another Deno cache: keep this one (npm packages are in it).
    env: { DENO_DIR: denoDir(), PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("setup.ts CLI: usage errors exit 2, a failed check exits 1, --help exits 0", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const run = (args: string[]) =>
    setupCli(args, { CLAUDE_DISCORD_HOME: world.home, HOME: world.userHome });
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  assertEquals((await run(["--help"])).code, 0);
  const bogus = await run(["--bogus"]);
  assertEquals(bogus.code, 2);
  assertEquals((await run(["frobnicate"])).code, 2);
  const noToken = await run(["--api-url", server.apiUrl]);
  assertEquals(noToken.code, 2, text(noToken.stderr));
  assertMatch(text(noToken.stderr), /No bot token/);
  server.fault({ kind: "access", inGuild: false });
  const failed = await run([
    "--api-url",
    server.apiUrl,
    "--token",
    server.token,
    "--channel",
    server.channelId,
  ]);
  assertEquals(failed.code, 1, text(failed.stderr));
  assertMatch(text(failed.stderr), /^The bot is not in any server yet: invite it with https:/);
  assert(!(text(failed.stdout) + text(failed.stderr)).includes(server.token), "no token echoed");
});

Deno.test("setup.ts --plugin writes the config into the plugin's data directory and installs no settings", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const out = await setupCli([
    "--plugin",
    "--no-live-test",
    "--api-url",
    server.apiUrl,
    "--channel",
    server.channelId,
    "--project",
    world.project,
  ], { HOME: world.userHome, DISCORD_BOT_TOKEN: server.token });
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  const data = `${world.userHome}/.claude/plugins/data/discord-bridge-discord-bridge`;
  assertEquals(readConfigFile(data).channelId, server.channelId);
  assertEquals(readConfigFile(data).token, server.token, "the token from DISCORD_BOT_TOKEN");
  assert(!exists(`${world.project}/.claude`), "no settings install in plugin mode");
  assertMatch(text, /\/plugin install discord-bridge@discord-bridge/);
});

Deno.test("setup.ts status --sandbox reads the sandbox's state directory; plain status points there while only the sandbox's bridge runs", async () => {
  await using world = await setupWorld();
  const box = `${world.root}/box`;
  const state = `${box}/state`;
  writeConfigFile(state, {
    token: `${btoa("1100000000000000001")}.abc.def`,
    channelId: "1100000000000000002",
  });
  // A stand-in for the sandbox's bridge: it holds the bridge lock of the sandbox's state.
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/tests/testdata/lock_holder.ts`, state],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = holder.stdout.getReader();
    const { value } = await reader.read();
    assertMatch(new TextDecoder().decode(value), /locked/);
    reader.releaseLock();
    const env = { HOME: world.userHome, CLAUDE_DISCORD_SANDBOX_HOME: box };
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    const sandbox = await setupCli(["status", "--sandbox"], env);
    assertEquals(sandbox.code, 0, text(sandbox.stderr));
    assertMatch(text(sandbox.stdout), new RegExp(`^State directory: ${state}\\n`));
    assertMatch(text(sandbox.stdout), /token set/);
    assertMatch(text(sandbox.stdout), /Bridge: running/);
    const plain = await setupCli(["status"], env);
    assertEquals(plain.code, 0, text(plain.stderr));
    assertMatch(text(plain.stdout), /Bridge: not running/);
    assertMatch(
      text(plain.stdout),
      new RegExp(
        `The sandbox's bridge runs with its own state directory, ${state}: \`deno task status --sandbox\` shows it\\.`,
      ),
    );
    assertEquals((await setupCli(["status", "--sandbox", "--home", state], env)).code, 2);
  } finally {
    holder.kill("SIGTERM");
    await holder.status;
    await holder.stdout.cancel().catch(() => {});
  }
});

Deno.test("setup.ts in a project, then --uninstall: the local files get the hooks, the MCP server and its rules (shown), and lose them again; the record goes too", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const env = { HOME: world.userHome, CLAUDE_DISCORD_HOME: world.home };
  const text = (o: Deno.CommandOutput) =>
    new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  const claudeJson = `${world.userHome}/.claude.json`;
  Deno.writeTextFileSync(claudeJson, JSON.stringify({ numStartups: 3 }));
  const install = await setupCli([
    "--no-live-test",
    "--api-url",
    server.apiUrl,
    "--token",
    server.token,
    "--channel",
    server.channelId,
    "--project",
    world.project,
  ], env);
  const said = text(install);
  assertEquals(install.code, 0, said);
  const local = `${world.project}/.claude/settings.local.json`;
  assertMatch(
    said,
    new RegExp(
      `${local}: create \\(hooks for 10 events, allow mcp__discord__reply, mcp__discord__react, mcp__discord__edit_message, mcp__discord__fetch_messages, Read\\(//.*/attachments/\\*\\*\\)\\)`,
    ),
  );
  assertMatch(said, /\.claude\.json: update \(MCP server discord for .*, local scope\)/);
  assert(!said.includes(server.token), "no token echoed");
  assert(
    !exists(`${world.project}/.claude/settings.json`) && !exists(`${world.project}/.mcp.json`),
  );

  const uninstall = await setupCli(["--uninstall", "--project", world.project], env);
  assertEquals(uninstall.code, 0, text(uninstall));
  assert(!exists(local), "settings.local.json, which only held ours, is gone");
  assertEquals(JSON.parse(Deno.readTextFileSync(claudeJson)).numStartups, 3);
  const projects = JSON.parse(Deno.readTextFileSync(claudeJson)).projects;
  assertEquals(Object.values(projects).map((p) => (p as { mcpServers: object }).mcpServers), [
    {},
  ]);
  assertEquals(JSON.parse(Deno.readTextFileSync(`${world.home}/installs.json`)).installs, []);
  const again = await setupCli(["--uninstall", "--project", world.project], env);
  assertEquals(again.code, 0, text(again));
  assertMatch(text(again), /^Nothing of claude-discord in /m);
});
