// `setup.ts --uninstall` against the local Discord server: it removes the bridge's slash commands
// (/sessions, /status, /stop) from the chat channel's server and leaves the application's other
// commands; without a token there is nothing to remove and nothing is said.
import { writeConfigFile } from "../../config.ts";
import { syncGuildCommands } from "../../_discord/commands.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import { main } from "../../setup.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { setupWorld } from "./_helpers.ts";

Deno.test("setup.ts --uninstall removes the slash commands from the server; the application's other commands stay", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using world = await setupWorld();
  writeConfigFile(world.home, {
    token: server.token,
    channelId: server.channelId,
    apiUrl: server.apiUrl,
  });
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  const route = `/applications/${server.applicationId}/guilds/${server.guildId}/commands`;
  await rest.request("POST", route, {
    what: "create a command",
    body: { name: "deploy", description: "Someone else's command" },
  });
  assertEquals(await syncGuildCommands(rest, server.applicationId, server.guildId), "registered");
  assertEquals(await syncGuildCommands(rest, server.applicationId, server.guildId), "unchanged");
  assertEquals(server.commands().length, 4);

  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  const args = ["--uninstall", "--project", world.project, "--home", world.home];
  assertEquals(await main(args, io), 0);
  assertEquals(server.commands().map((c) => c.name), ["deploy"]);
  assert(lines.includes("removed the slash commands /sessions, /status, /stop"), lines.join("\n"));

  lines.length = 0;
  assertEquals(await main(args, io), 0);
  assert(!lines.some((l) => /slash commands/.test(l)), "none left: nothing said");
  assertEquals(server.commands().map((c) => c.name), ["deploy"]);
});
