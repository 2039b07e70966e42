// The Claude Code plugin with the REAL, pinned CLI: `claude plugin validate` accepts the
// plugin and its marketplace; installed the way a user does (`plugin marketplace add` +
// `plugin install`), its hooks run in `claude -p` with their state in ${CLAUDE_PLUGIN_DATA}
// (the directory `setup.ts --plugin` configures), a held Discord message reaches the model,
// and its MCP server's tools are offered to the model.
import { requestText } from "../../testing/anthropic.ts";
import { HELD, Inbox } from "../../inbox.ts";
import { writeConfigFile } from "../../config.ts";
import { readBridgeStatus, stopBridge } from "../../daemon.ts";
import { pluginDataDir } from "../../_setup/plugin.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { ROOT, tempDir } from "../_fixture.ts";
import { claudeForTests, ownerMessage, sayHiWorld } from "./_helpers.ts";

const cli = await claudeForTests(import.meta.url);
const ignore = cli.ignore;
const decoder = new TextDecoder();

/**
 * The plugin as a user gets it: the files git would publish (tracked and new, not ignored; no
 * caches, no state).
 */
async function pluginCopy(dir: string): Promise<void> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  for (const path of decoder.decode(listed.stdout).split("\0").filter(Boolean)) {
    const to = `${dir}/${path}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}/${path}`, to).catch(() => {}); // deleted, not yet committed
  }
}

async function claude(args: string[], env: Record<string, string>, cwd: string) {
  const out = await new Deno.Command(cli.path, {
    args,
    env,
    clearEnv: true,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, text: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

Deno.test({
  name: "plugin: `claude plugin validate` accepts the plugin and its marketplace",
  ignore,
  async fn() {
    await using tmp = await tempDir("cd-plugin-");
    const dir = tmp.path;
    await pluginCopy(`${dir}/plugin`);
    const env = {
      HOME: dir,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    };
    const plugin = await claude(["plugin", "validate", `${dir}/plugin`], env, dir);
    assertEquals(plugin.code, 0, plugin.text);
    assertMatch(plugin.text, /Validation passed/);
    assert(!/✘/.test(plugin.text), plugin.text);
    const market = await claude(
      ["plugin", "validate", `${dir}/plugin/.claude-plugin/marketplace.json`],
      env,
      dir,
    );
    assertEquals(market.code, 0, market.text);
    assertMatch(market.text, /Validation passed/);
  },
});

Deno.test({
  name: "plugin: installed from its marketplace, the hooks run with state in CLAUDE_PLUGIN_DATA",
  ignore,
  async fn() {
    await using world = await sayHiWorld(cli.path);
    const { discord, api, box } = world;
    const data = pluginDataDir({ HOME: box.home });
    try {
      await pluginCopy(`${box.root}/plugin`);
      const add = await claude(
        ["plugin", "marketplace", "add", `${box.root}/plugin`],
        box.env,
        box.project,
      );
      assertEquals(add.code, 0, add.text);
      const install = await claude(
        ["plugin", "install", "discord-bridge@discord-bridge"],
        box.env,
        box.project,
      );
      assertEquals(install.code, 0, install.text);
      // What `setup.ts --plugin` writes: the configuration in the plugin's data directory.
      writeConfigFile(data, {
        token: discord.token,
        channelId: discord.channelId,
        allowedUsers: [discord.ownerId],
        apiUrl: discord.apiUrl,
      });
      await new Inbox(data).append(HELD, [
        ownerMessage(discord, "1100000000000000042", "PLUGIN-HELD-MARK please check the build"),
      ]);

      const run = await box.print("say hi via bash", { timeoutMs: 120_000 });
      assertEquals(run.code, 0, `${run.stdout.slice(0, 800)}\n${run.stderr.slice(-800)}`);
      assertEquals(run.json?.result, "Done.");
      const sessionId = String(run.json?.session_id);
      // The register hook (SessionStart) ran from the plugin, with the plugin's data directory.
      const record = JSON.parse(await Deno.readTextFile(`${data}/sessions/${sessionId}.json`));
      assertEquals(record.cwd, box.project);
      // The held message moved to the session and reached the model.
      const all = api.messageRequests().map((r) => requestText(r)).join("\n");
      assertMatch(all, /PLUGIN-HELD-MARK please check the build/);
      // The plugin's MCP server started and its tools were offered.
      // The plugin's MCP server started with CLAUDE_DISCORD_HOME = the data directory, and
      // its tools are offered (deferred, by name, behind tool search).
      const mcpLog = await Deno.readTextFile(`${data}/mcp.log`).catch(() => "");
      assertMatch(mcpLog, / info started \(pid \d+/);
      assertMatch(
        JSON.stringify(api.messageRequests()[0]),
        /mcp__plugin_discord-bridge_discord__reply\b/,
      );
      const hooksLog = await Deno.readTextFile(`${data}/hooks.log`).catch(() => "");
      assertMatch(hooksLog, /registered as project-/);
      // …and started the bridge with `deno` from PATH (--allow-run=deno), which connected.
      assertMatch(hooksLog, /bridge started \(pid \d+\)/);
      const deadline = Date.now() + 15_000;
      while (readBridgeStatus(data)?.state !== "connected" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assertEquals(readBridgeStatus(data)?.state, "connected", hooksLog);
    } finally {
      await stopBridge(data, { timeoutMs: 3000 }).catch(() => {});
    }
  },
});
