// What setup installs, used by the REAL, pinned Claude Code CLI: after `setup` against the local
// Discord server, `claude -p` in the project runs the hooks from .claude/settings.local.json
// (the session registers, a waiting Discord message reaches the model) and starts the MCP
// server from the project's entry in ~/.claude.json (local scope: the project's committed
// files stay as they were); Claude replies through it without a permission prompt, while
// send_file still needs one.
import {
  countToolResults,
  requestText,
  startAnthropicServer,
  text,
  toolUse,
} from "../../testing/anthropic.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { createClaudeSandbox } from "./_claude.ts";
import { runBounded } from "../_process.ts";
import { HELD, Inbox } from "../../inbox.ts";
import { stopBridge } from "../../daemon.ts";
import { writeConfigFile } from "../../config.ts";
import { attachmentReadRule } from "../../settings.ts";
import { runSetup } from "../../_setup/flow.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
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
      // The committed settings file is as it was; the hooks are in the local one.
      const settings = JSON.parse(await Deno.readTextFile(`${box.project}/.claude/settings.json`));
      assertEquals(settings, ALLOW_ECHO, "the project's committed settings are untouched");
      // The local settings allow Read of the attachments folder beside the MCP tools.
      const local = JSON.parse(
        await Deno.readTextFile(`${box.project}/.claude/settings.local.json`),
      );
      assert(local.permissions.allow.includes(attachmentReadRule(home)), "the Read rule");
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

Deno.test({
  name:
    "setup then claude -p: the MCP server is in local scope and Claude replies without a permission prompt; send_file still asks",
  ignore: cli.ignore,
  async fn() {
    await using discord = await startDiscordServer({ port: 0, rateLimits: false });
    await using api = await startAnthropicServer({
      script: (request) => {
        switch (countToolResults(request)) {
          case 0:
            return toolUse("mcp__discord__reply", { text: "REPLY-MARK-8 all done" });
          case 1:
            return toolUse("mcp__discord__send_file", { path: "/etc/hostname" });
          default:
            return text("Replied.");
        }
      },
    });
    await using box = await createClaudeSandbox(cli.path, {
      apiUrl: api.url,
    });
    const home = `${box.root}/state`;
    // send_file's prompt in Discord: unanswered, so -p refuses it after 3 s.
    writeConfigFile(home, { permissionTimeoutSeconds: 3 });
    try {
      await runSetup({
        token: discord.token,
        channel: discord.channelId,
        apiUrl: discord.apiUrl,
        home,
        user: false,
        projectDir: box.project,
        homeDir: box.home,
        install: true,
        dryRun: false,
        liveTest: false,
        liveTimeoutSeconds: 10,
      }, { say: () => {}, env: {} });
      const get = await runBounded(cli.path, {
        args: ["mcp", "get", "discord"],
        cwd: box.project,
        env: box.env,
        clearEnv: true,
      }, 60_000);
      const listed = new TextDecoder().decode(get.out.stdout);
      assertMatch(listed, /Scope: Local config/);
      assertMatch(listed, /Status: . Connected/);

      const run = await box.print("answer in discord", { timeoutMs: 120_000 });
      assertEquals(run.code, 0, `${run.stdout.slice(0, 800)}\n${run.stderr.slice(-800)}`);
      const denied = (run.json?.permission_denials as { tool_name: string }[]).map((d) =>
        d.tool_name
      );
      assertEquals(denied, ["mcp__discord__send_file"], "only send_file asked");
      const posted = discord.state().messages.map((m) => m.content);
      assert(posted.some((c) => c.includes("REPLY-MARK-8 all done")), posted.join("\n"));
      const prompts = posted.filter((c) => c.includes("**Permission request**"));
      assertEquals(prompts.length, 1, prompts.join("\n---\n"));
      assertMatch(prompts[0], /mcp__discord__send_file/);
    } finally {
      await stopBridge(home, { timeoutMs: 3000 }).catch(() => {});
    }
  },
});
