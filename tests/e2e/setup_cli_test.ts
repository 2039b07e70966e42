// What setup installs, used by the REAL, pinned Claude Code CLI: after `setup` against the local
// Discord server, `claude -p` in the project runs the hooks from .claude/settings.json (the
// session registers, a waiting Discord message reaches the model) and starts the MCP server
// from .mcp.json without asking (enabledMcpjsonServers).
import { requestText } from "../../testing/anthropic.ts";
import { HELD, Inbox } from "../../inbox.ts";
import { stopBridge } from "../../daemon.ts";
import { runSetup } from "../../_setup/flow.ts";
import { assertEquals, assertMatch } from "../_assert.ts";
import { ALLOW_ECHO, claudeForTests, ownerMessage, sayHiWorld } from "./_helpers.ts";

const cli = await claudeForTests(import.meta.url);

Deno.test({
  name: "setup then claude -p: the installed hooks and MCP server run in the real CLI",
  ignore: cli.ignore,
  async fn() {
    await using world = await sayHiWorld(cli.path);
    const { discord, api, box } = world;
    const home = `${box.root}/state`;
    try {
      const said: string[] = [];
      await runSetup({
        token: discord.token,
        channel: discord.channelId,
        statusChannel: discord.forumId,
        apiUrl: discord.apiUrl,
        home,
        user: false,
        projectDir: box.project,
        homeDir: box.home,
        install: true,
        dryRun: false,
        liveTest: false,
        liveTimeoutSeconds: 10,
      }, { say: (l) => said.push(l), env: {} });
      const settings = JSON.parse(await Deno.readTextFile(`${box.project}/.claude/settings.json`));
      assertEquals(settings.permissions, ALLOW_ECHO.permissions, "kept");
      await new Inbox(home).append(HELD, [
        ownerMessage(discord, "1100000000000000043", "SETUP-HELD-MARK deploy when green"),
      ]);

      const run = await box.print("say hi via bash", { timeoutMs: 120_000 });
      assertEquals(run.code, 0, `${run.stdout.slice(0, 800)}\n${run.stderr.slice(-800)}`);
      assertEquals(run.json?.result, "Done.");
      const record = JSON.parse(
        await Deno.readTextFile(`${home}/sessions/${String(run.json?.session_id)}.json`),
      );
      assertEquals(record.cwd, box.project);
      const all = api.messageRequests().map((r) => requestText(r)).join("\n");
      assertMatch(all, /SETUP-HELD-MARK deploy when green/);
      assertMatch(await Deno.readTextFile(`${home}/mcp.log`), / info started \(pid \d+/);
      assertMatch(JSON.stringify(api.messageRequests()[0]), /mcp__discord__reply\b/);
    } finally {
      await stopBridge(home, { timeoutMs: 3000 }).catch(() => {});
    }
  },
});
