// setup.ts as a process: usage errors exit 2, a failed check exits 1, --help exits 0, no token
// is echoed; --plugin writes the config into the plugin's data directory and installs nothing.
import { readConfigFile } from "../../config.ts";
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
