// Installing into Claude Code's settings files: merging next to other hooks and settings,
// strict JSON (comments are refused, nothing changed), idempotence (a second run writes
// nothing and keeps the first backup), uninstall restoring the original, --user targets, and
// the plugin files being exactly what the generator makes.
import { attachmentReadRule, buildSettings, mcpConfig, mcpToolRules } from "../../settings.ts";
import {
  applyChange,
  findOurHooks,
  installTarget,
  planMcpMerge,
  planMcpRemoval,
  planMerge,
  planRemoval,
} from "../../_setup/install.ts";
import { pluginDataDir, pluginFiles, stalePluginFiles } from "../../_setup/plugin.ts";
import { ConfigError } from "../../errors.ts";
import { channelPermissions, INVITE_PERMISSIONS } from "../../_setup/perms.ts";
import { main } from "../../setup.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import { ROOT } from "../_fixture.ts";
import { setupWorld } from "./_helpers.ts";

const OPTS = { home: "/state", root: ROOT, denoPath: "/usr/bin/deno" };
const fragment = () => buildSettings(OPTS) as unknown as Record<string, unknown>;
const mcpFragment = () => mcpConfig(OPTS) as unknown as Record<string, unknown>;

const ORIGINAL = {
  model: "opus",
  permissions: { allow: ["Bash(ls:*)"], deny: [] },
  hooks: {
    Stop: [{ hooks: [{ type: "command", command: "say done" }] }],
    PostToolUse: [{ matcher: "Edit", hooks: [{ type: "command", command: "prettier --write" }] }],
  },
  enabledMcpjsonServers: ["github"],
  env: { FOO: "1" },
};

Deno.test("install: merges next to other hooks and settings; a second run writes nothing", async () => {
  await using world = await setupWorld();
  const path = `${world.project}/.claude/settings.json`;
  Deno.mkdirSync(`${world.project}/.claude`);
  const originalText = JSON.stringify(ORIGINAL, null, 2);
  Deno.writeTextFileSync(path, originalText);
  const first = planMerge(path, fragment());
  assert(first.changed);
  assertEquals(applyChange(first), `${path}.bak`);
  const merged = JSON.parse(Deno.readTextFileSync(path));
  assertEquals(merged.model, "opus");
  assertEquals(merged.env, { FOO: "1" });
  assertEquals(merged.enabledMcpjsonServers, ["github", "discord"]);
  assertEquals(merged.hooks.Stop[0].hooks[0].command, "say done");
  assertEquals(merged.hooks.PostToolUse[0].matcher, "Edit");
  assertEquals(findOurHooks(merged).events.length, 10);
  const second = planMerge(path, fragment());
  assert(!second.changed, "idempotent");
  assertEquals(applyChange(second), undefined);
  assertEquals(Deno.readTextFileSync(`${path}.bak`), originalText, "the first backup is kept");
  // A newer checkout path replaces the old hooks instead of adding a second set.
  const moved = buildSettings({ ...OPTS, root: "/new/checkout" }) as unknown as Record<
    string,
    unknown
  >;
  applyChange(planMerge(path, moved));
  const after = JSON.parse(Deno.readTextFileSync(path));
  assertEquals(findOurHooks(after).commands.length, findOurHooks(merged).commands.length);
  assert(!JSON.stringify(after).includes(`${ROOT}/hooks/`), "the old checkout's hooks are gone");
});

Deno.test("install: a settings file with comments is refused (strict JSON) and left as it is", async () => {
  await using world = await setupWorld();
  const path = `${world.project}/settings.json`;
  const text = '{\n  // my model\n  "model": "opus"\n}\n';
  Deno.writeTextFileSync(path, text);
  const err = assertThrows(() => planMerge(path, fragment()), ConfigError);
  assertMatch(
    err.message,
    /settings\.json:2:3 is not valid JSON \(Claude Code reads strict JSON: no comments/,
  );
  assertEquals(Deno.readTextFileSync(path), text);
  Deno.writeTextFileSync(path, "[1, 2]");
  assertMatch(
    assertThrows(() => planMerge(path, fragment()), ConfigError).message,
    /does not hold a JSON object/,
  );
});

Deno.test("uninstall: restores the original settings and .mcp.json exactly; a file we created is deleted", async () => {
  await using world = await setupWorld();
  const settings = `${world.project}/.claude/settings.json`;
  const mcp = `${world.project}/.mcp.json`;
  Deno.mkdirSync(`${world.project}/.claude`);
  Deno.writeTextFileSync(settings, JSON.stringify(ORIGINAL));
  const otherMcp = { mcpServers: { github: { command: "gh-mcp", args: [] } } };
  Deno.writeTextFileSync(mcp, JSON.stringify(otherMcp));
  applyChange(planMerge(settings, fragment()));
  applyChange(planMerge(mcp, mcpFragment()));
  assertEquals(Object.keys(JSON.parse(Deno.readTextFileSync(mcp)).mcpServers), [
    "github",
    "discord",
  ]);
  applyChange(planRemoval(settings));
  applyChange(planRemoval(mcp));
  assertEquals(JSON.parse(Deno.readTextFileSync(settings)), ORIGINAL);
  assertEquals(JSON.parse(Deno.readTextFileSync(mcp)), otherMcp);
  assert(!planRemoval(settings).changed, "a second uninstall changes nothing");
  // Files that only held our part disappear.
  const fresh = `${world.project}/fresh.json`;
  applyChange(planMerge(fresh, mcpFragment()));
  applyChange(planRemoval(fresh));
  assertThrows(() => Deno.statSync(fresh), Deno.errors.NotFound);
});

Deno.test("install, local scope: the MCP server goes under the project in ~/.claude.json, the rest of that file stays; uninstall takes out only it", async () => {
  await using world = await setupWorld();
  const target = installTarget({
    user: false,
    projectDir: world.project,
    homeDir: world.userHome,
  });
  const key = target.mcpProject!;
  const claudeJson = {
    numStartups: 7,
    mcpServers: { everywhere: { command: "x", args: [] } },
    projects: {
      [key]: { hasTrustDialogAccepted: true, mcpServers: { github: { command: "gh" } } },
      "/other": { allowedTools: [] },
    },
  };
  Deno.writeTextFileSync(target.mcp, JSON.stringify(claudeJson));
  const plan = planMcpMerge(target, mcpConfig(OPTS));
  assertMatch(plan.summary, /MCP server discord for .*, local scope/);
  applyChange(plan);
  const after = JSON.parse(Deno.readTextFileSync(target.mcp));
  assertEquals(after.numStartups, 7);
  assertEquals(after.mcpServers, claudeJson.mcpServers);
  assertEquals(after.projects["/other"], { allowedTools: [] });
  assertEquals(after.projects[key].hasTrustDialogAccepted, true);
  assertEquals(Object.keys(after.projects[key].mcpServers), ["github", "discord"]);
  assert(!planMcpMerge(target, mcpConfig(OPTS)).changed, "idempotent");
  applyChange(planMcpRemoval(target));
  assertEquals(JSON.parse(Deno.readTextFileSync(target.mcp)), claudeJson);
  assert(!planMcpRemoval(target).changed, "a second uninstall changes nothing");
  // The settings part: hooks and rules in settings.local.json; uninstall restores it.
  Deno.mkdirSync(`${world.project}/.claude`);
  Deno.writeTextFileSync(target.settings, JSON.stringify(ORIGINAL));
  applyChange(planMerge(target.settings, fragment()));
  const merged = JSON.parse(Deno.readTextFileSync(target.settings));
  assertEquals(merged.permissions.allow, [
    "Bash(ls:*)",
    ...mcpToolRules({}),
    attachmentReadRule(OPTS.home),
  ]);
  applyChange(planRemoval(target.settings));
  assertEquals(JSON.parse(Deno.readTextFileSync(target.settings)), ORIGINAL);
});

Deno.test("setup.ts --uninstall removes the project install and keeps the state directory", async () => {
  await using world = await setupWorld();
  const io = { lines: [] as string[] };
  const out = { out: (l: string) => io.lines.push(l), err: (l: string) => io.lines.push(l) };
  Deno.mkdirSync(world.home, { recursive: true });
  const settings = `${world.project}/.claude/settings.json`;
  assertEquals(
    await main([
      "--write",
      settings,
      "--write-mcp",
      `${world.project}/.mcp.json`,
      "--home",
      world.home,
    ], out),
    0,
  );
  assertEquals(findOurHooks(JSON.parse(Deno.readTextFileSync(settings))).events.length, 10);
  assertEquals(
    await main(["--uninstall", "--project", world.project, "--home", world.home], out),
    0,
  );
  assertThrows(() => Deno.statSync(settings), Deno.errors.NotFound);
  assertThrows(() => Deno.statSync(`${world.project}/.mcp.json`), Deno.errors.NotFound);
  assert(Deno.statSync(world.home).isDirectory, "state stays");
  assert(io.lines.some((l) => /The state directory stays/.test(l)), io.lines.join("\n"));
});

Deno.test("install targets: the project's local files by default, --shared its committed ones, or --user's", async () => {
  assertEquals(installTarget({ user: false, shared: true, projectDir: "/p/" }), {
    scope: "shared",
    settings: "/p/.claude/settings.json",
    mcp: "/p/.mcp.json",
    project: "/p",
  });
  assertEquals(installTarget({ user: true, projectDir: "/p", homeDir: "/home/ada" }), {
    scope: "user",
    settings: "/home/ada/.claude/settings.json",
    mcp: "/home/ada/.claude.json",
  });
  assertThrows(() => installTarget({ user: true, projectDir: "/p" }), ConfigError);
  assertThrows(() => installTarget({ user: false, projectDir: "/p" }), ConfigError, "--shared");
  // Local: Claude Code keys the project in ~/.claude.json by its git root, else by itself.
  await using world = await setupWorld();
  const sub = `${world.project}/sub`;
  Deno.mkdirSync(sub);
  const local = { user: false, projectDir: sub, homeDir: world.userHome };
  assertEquals(installTarget(local), {
    scope: "local",
    settings: `${sub}/.claude/settings.local.json`,
    mcp: `${world.userHome}/.claude.json`,
    project: sub,
    mcpProject: Deno.realPathSync(sub),
  });
  Deno.mkdirSync(`${world.project}/.git`);
  assertEquals(installTarget(local).mcpProject, Deno.realPathSync(world.project));
});

Deno.test("plugin: the committed files are what the generator makes from settings.ts", () => {
  assertEquals(stalePluginFiles(ROOT), [], "run `deno task plugin`");
  const files = pluginFiles(ROOT);
  const hooks = JSON.parse(files["hooks/hooks.json"]).hooks;
  const expected = buildSettings({ home: "/d", root: "/r", denoPath: "deno" }).hooks;
  assertEquals(Object.keys(hooks), Object.keys(expected), "the same events");
  for (
    const [event, groups] of Object.entries(hooks) as [string, { hooks: { command: string }[] }[]][]
  ) {
    for (const [i, group] of groups.entries()) {
      for (const [j, h] of group.hooks.entries()) {
        const plain = h.command.replaceAll('"${CLAUDE_PLUGIN_ROOT}"', "/r")
          .replaceAll('"${CLAUDE_PLUGIN_DATA}"', "/d");
        assertEquals(plain, expected[event][i].hooks[j].command, `${event} ${i} ${j}`);
      }
    }
  }
  const manifest = JSON.parse(files[".claude-plugin/plugin.json"]);
  assertEquals(manifest.mcpServers.discord.env, { CLAUDE_DISCORD_HOME: "${CLAUDE_PLUGIN_DATA}" });
  assertEquals(manifest.mcpServers.discord.args.at(-1), "${CLAUDE_PLUGIN_ROOT}/mcp.ts");
  const version = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).version;
  assertEquals(manifest.version, version);
  const market = JSON.parse(files[".claude-plugin/marketplace.json"]);
  assertEquals(market.plugins[0].name, manifest.name);
  assertEquals(
    pluginDataDir({ HOME: "/home/ada" }),
    "/home/ada/.claude/plugins/data/discord-bridge-discord-bridge",
  );
});

Deno.test("permissions: Discord's order (@everyone, roles, overwrites) and the invite integer", () => {
  const VIEW = 1n << 10n;
  const SEND = 1n << 11n;
  const ATTACH = 1n << 15n;
  const base = {
    guildId: "1",
    roles: [{ id: "1", permissions: String(VIEW | SEND | ATTACH) }, {
      id: "2",
      permissions: "0",
    }],
    memberRoles: ["2"],
    userId: "9",
  };
  assertEquals(channelPermissions({ ...base, overwrites: [] }), VIEW | SEND | ATTACH);
  // @everyone denies Send, the bot's role allows it back, a member overwrite denies View.
  const everyoneDeny = { id: "1", type: 0, allow: "0", deny: String(SEND) };
  const roleAllow = { id: "2", type: 0, allow: String(SEND), deny: "0" };
  assertEquals(channelPermissions({ ...base, overwrites: [everyoneDeny] }), VIEW);
  assertEquals(
    channelPermissions({ ...base, overwrites: [everyoneDeny, roleAllow] }),
    VIEW | SEND | ATTACH,
  );
  const memberDeny = { id: "9", type: 1, allow: "0", deny: String(VIEW) };
  assertEquals(channelPermissions({ ...base, overwrites: [roleAllow, memberDeny] }), 0n);
  assertEquals(
    channelPermissions({
      ...base,
      roles: [{ id: "1", permissions: String(1n << 3n) }],
      overwrites: [memberDeny],
    }) & VIEW,
    VIEW,
    "administrators see everything",
  );
  assertEquals(INVITE_PERMISSIONS, 309774634048n);
});
