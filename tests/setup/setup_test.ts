// setup against the local Discord server: every failure mode gives one precise sentence with
// the fix and writes nothing; the happy path writes the config 0600, finds or creates the
// webhook, defaults the allowlist to the application owner. setup.ts as a process (exit codes,
// --plugin): setup_process_test.ts.
import { ConfigError, DiscordApiError } from "../../errors.ts";
import { readConfigFile, writeConfigFile } from "../../config.ts";
import { runSetup } from "../../_setup/flow.ts";
import { scriptedPrompter } from "../../_setup/prompt.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import { capture, exists, flagsFor, setupWorld } from "./_helpers.ts";
import { ROOT } from "../_fixture.ts";
import { attachmentReadRule, mcpToolRules } from "../../settings.ts";
import { readInstalls } from "../../_setup/installs.ts";

const VIEW = String(1n << 10n);
const SEND = String(1n << 11n);
const CREATE_THREADS = String(1n << 35n);

/** Runs setup, expects it to fail with `ErrorClass` matching `pattern`, and nothing written. */
async function expectFailure(
  run: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => Error,
  pattern: RegExp,
  world: { home: string; project: string },
): Promise<Error> {
  const caught = await assertRejects(run, ErrorClass);
  assertMatch(caught.message, pattern);
  assert(!exists(`${world.home}/config.json`), "no config written");
  assert(!exists(`${world.project}/.claude/settings.json`), "no settings written");
  return caught;
}

Deno.test("setup: the happy path writes the config 0600, creates the webhook, allows the owner, installs", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const out = capture();
  const result = await runSetup(flagsFor(server, world, { statusChannel: server.forumId }), out.io);
  const file = readConfigFile(world.home);
  assertEquals(file.token, server.token);
  assertEquals(file.channelId, server.channelId);
  assertEquals(file.allowedUsers, [server.ownerId], "defaults to the application owner");
  assertEquals(file.apiUrl, server.apiUrl);
  assertEquals(Deno.statSync(`${world.home}/config.json`).mode! & 0o777, 0o600);
  const hook = file.webhookUrl!;
  assertMatch(hook, /\/api\/webhooks\/\d+\/.+/);
  const hooks = await (await fetch(`${server.apiUrl}/v10/channels/${server.forumId}/webhooks`, {
    headers: { authorization: `Bot ${server.token}` },
  })).json() as { name: string; url?: string; id: string }[];
  assert(hooks.some((h) => h.name === "claude-discord" && file.webhookUrl!.includes(h.id)));
  // The project's local files: nothing in the ones it commits.
  const local = `${world.project}/.claude/settings.local.json`;
  const settings = JSON.parse(Deno.readTextFileSync(local));
  assertEquals(Object.keys(settings.hooks).length, 10);
  assertEquals(settings.permissions.allow, [...mcpToolRules({}), attachmentReadRule(world.home)]);
  assertEquals(settings.enabledMcpjsonServers, undefined, "no .mcp.json server to approve");
  const claudeJson = JSON.parse(Deno.readTextFileSync(`${world.userHome}/.claude.json`));
  const mcp = claudeJson.projects[Deno.realPathSync(world.project)];
  assertEquals(mcp.mcpServers.discord.args.at(-1), `${ROOT}/mcp.ts`);
  assert(!exists(`${world.project}/.claude/settings.json`), "no settings.json");
  assert(!exists(`${world.project}/.mcp.json`), "no .mcp.json");
  assert(result.written.length === 3, `written: ${result.written}`);
  assertEquals(result.installedInto, local);
  assertEquals(readInstalls(world.home).value.map((r) => [r.scope, r.project, r.settings]), [
    ["local", world.project, local],
  ]);
  assert(out.lines.some((l) => /a forum: one post per session/.test(l)), out.lines.join("\n"));
  // A second run keeps the configured webhook and changes no settings file; it also makes a
  // config.json that others could read private again.
  Deno.chmodSync(`${world.home}/config.json`, 0o644);
  const again = capture();
  const second = await runSetup(
    flagsFor(server, world, { statusChannel: server.forumId }),
    again.io,
  );
  assertEquals(Deno.statSync(`${world.home}/config.json`).mode! & 0o777, 0o600);
  assert(
    again.lines.some((l) =>
      /^fixed: .*config\.json is readable by other users \(mode 0644\)/.test(l)
    ),
    again.lines.join("\n"),
  );
  assertEquals(readConfigFile(world.home).webhookUrl, file.webhookUrl);
  assertEquals(second.written, [`${world.home}/config.json`]);
  assertEquals(again.lines.filter((l) => /already up to date/.test(l)).length, 2);
  // Without a webhook in the config, the bot's existing one is found, not another created.
  writeConfigFile(world.home, { webhookUrl: undefined });
  const third = capture();
  await runSetup(flagsFor(server, world, { statusChannel: server.forumId }), third.io);
  assertEquals(readConfigFile(world.home).webhookUrl, file.webhookUrl);
  assert(third.lines.some((l) => /found webhook "claude-discord" on #status/.test(l)));
});

Deno.test("setup --shared: the project's committed files; installing again locally moves it out of them", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const shared = `${world.project}/.claude/settings.json`;
  Deno.mkdirSync(`${world.project}/.claude`);
  Deno.writeTextFileSync(shared, JSON.stringify({ model: "opus" }));
  await runSetup(flagsFor(server, world, { shared: true, allowSendFile: true }), capture().io);
  const settings = JSON.parse(Deno.readTextFileSync(shared));
  assertEquals(Object.keys(settings.hooks).length, 10);
  assertEquals(settings.enabledMcpjsonServers, ["discord"]);
  assertEquals(settings.permissions.allow, [
    ...mcpToolRules({ allowSendFile: true }),
    attachmentReadRule(world.home),
  ]);
  assertEquals(
    JSON.parse(Deno.readTextFileSync(`${world.project}/.mcp.json`)).mcpServers.discord.args.at(-1),
    `${ROOT}/mcp.ts`,
  );
  const out = capture();
  await runSetup(flagsFor(server, world), out.io);
  assertEquals(JSON.parse(Deno.readTextFileSync(shared)), { model: "opus" }, "moved out");
  assert(!exists(`${world.project}/.mcp.json`), "the .mcp.json setup made is gone");
  assert(exists(`${world.project}/.claude/settings.local.json`));
  assert(out.lines.some((l) => /settings\.json: remove the claude-discord entries/.test(l)));
  assertEquals(readInstalls(world.home).value.map((r) => r.scope), ["local"]);
});

Deno.test("setup: a settings file Claude Code cannot read stops it before anything is written, naming line and column", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const local = `${world.project}/.claude/settings.local.json`;
  Deno.mkdirSync(`${world.project}/.claude`);
  const text = '{\n  // mine\n  "model": "opus"\n}\n';
  Deno.writeTextFileSync(local, text);
  const err = await assertRejects(
    () => runSetup(flagsFor(server, world), capture().io),
    ConfigError,
  );
  assertMatch(err.message, /settings\.local\.json:2:3 is not valid JSON .*nothing was changed/);
  assert(!exists(`${world.home}/config.json`), "config.json not written");
  assertEquals(Deno.readTextFileSync(local), text);
  assert(!exists(`${world.userHome}/.claude.json`), "no MCP server written");
});

Deno.test("setup: a token of the wrong shape and a token Discord refuses", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  await expectFailure(
    () => runSetup(flagsFor(server, world, { token: "hunter2" }), capture().io),
    ConfigError,
    /not a bot token.*Reset Token/,
    world,
  );
  const wrong = `${server.token.split(".")[0]}.AAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBB`;
  const err = await expectFailure(
    () => runSetup(flagsFor(server, world, { token: wrong }), capture().io),
    DiscordApiError,
    /Discord rejected the bot token \(401 Unauthorized\): copy a fresh one from the Developer Portal/,
    world,
  );
  assert(!err.message.includes(wrong), "the token is never echoed");
});

Deno.test("setup: the MESSAGE CONTENT intent off names the Developer Portal switch", async () => {
  await using server = await startDiscordServer({
    port: 0,
    rateLimits: false,
    messageContentIntent: false,
  });
  await using world = await setupWorld();
  await expectFailure(
    () => runSetup(flagsFor(server, world), capture().io),
    DiscordApiError,
    /MESSAGE CONTENT intent is off: turn on MESSAGE CONTENT INTENT in the Developer Portal .* > Bot > Privileged Gateway Intents/,
    world,
  );
});

Deno.test("setup: a bot in no server gets the invite URL with the exact permissions", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  server.fault({ kind: "access", inGuild: false });
  const err = await expectFailure(
    () => runSetup(flagsFor(server, world), capture().io),
    DiscordApiError,
    /The bot is not in any server yet: invite it with https:\/\/discord\.com\/oauth2\/authorize\?client_id=\d+&scope=bot\+applications\.commands&permissions=\d+/,
    world,
  );
  const perms = BigInt(/permissions=(\d+)/.exec(err.message)![1]);
  assertEquals(
    perms,
    309774634048n,
    "View, Send, History, Reactions, Embed, Attach, Webhooks, Threads",
  );
});

Deno.test("setup: a channel hidden from the bot, or without Send Messages, says which permission where", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  server.fault({ kind: "access", channels: { [server.channelId]: { deny: VIEW } } });
  await expectFailure(
    () => runSetup(flagsFor(server, world), capture().io),
    DiscordApiError,
    /The bot is in "local-discord" but cannot see #chat \(403 Missing Access\): in Channel Settings > Permissions of #chat, allow the bot's role View Channels and Read Message History/,
    world,
  );
  server.fault({ kind: "access", channels: { [server.channelId]: { deny: SEND } } });
  await expectFailure(
    () => runSetup(flagsFor(server, world), capture().io),
    DiscordApiError,
    /The bot lacks Send Messages in #chat: allow them for its role in Channel Settings > Permissions/,
    world,
  );
});

Deno.test("setup: an unknown channel id, a forum as chat channel, a bad id", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  await expectFailure(
    () => runSetup(flagsFor(server, world, { channel: "1100000000000000001" }), capture().io),
    DiscordApiError,
    /--channel 1100000000000000001 is not a channel Discord knows \(404 Unknown Channel\): right-click the channel > Copy Channel ID/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { channel: server.forumId }), capture().io),
    ConfigError,
    /#status is a forum channel: the chat needs a text channel \(a forum is right for STATUS posts: --status-channel\)/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { channel: "general" }), capture().io),
    ConfigError,
    /"general" is not a channel id: right-click the channel > Copy Channel ID/,
    world,
  );
});

Deno.test("setup: no webhook and no Manage Webhooks: create one by hand or allow it", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  server.fault({ kind: "access", permissions: "0" });
  await expectFailure(
    () => runSetup(flagsFor(server, world, { statusChannel: server.forumId }), capture().io),
    DiscordApiError,
    /may not create the STATUS webhook on #status \(it lacks Manage Webhooks\): create one yourself \(Channel Settings of #status > Integrations > Webhooks > New Webhook > Copy Webhook URL\) and pass --webhook URL/,
    world,
  );
  // With the webhook given, no Manage Webhooks is needed.
  await runSetup(flagsFor(server, world, { webhook: server.webhookUrl }), capture().io);
  assertEquals(readConfigFile(world.home).webhookUrl, server.webhookUrl);
});

Deno.test("setup: a deleted webhook, and a webhook in a text channel without Create Public Threads", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const gone = server.webhookUrl.replace(/\/[^/]+$/, "/not-the-token");
  await expectFailure(
    () => runSetup(flagsFor(server, world, { webhook: gone }), capture().io),
    DiscordApiError,
    /The webhook of --webhook does not exist any more or its URL is wrong \(401 code 50027\): copy it again/,
    world,
  );
  server.fault({ kind: "access", channels: { [server.channelId]: { deny: CREATE_THREADS } } });
  await expectFailure(
    () => runSetup(flagsFor(server, world, { webhook: server.textWebhookUrl }), capture().io),
    DiscordApiError,
    /The bot lacks Create Public Threads in #chat, where STATUS posts go: .*, or use a forum channel for STATUS posts/,
    world,
  );
  server.fault({ kind: "access", channels: { [server.channelId]: null } });
  const out = capture();
  await runSetup(flagsFor(server, world, { webhook: server.textWebhookUrl }), out.io);
  assert(out.lines.some((l) => /a text channel: the bot starts one thread per session/.test(l)));
});

Deno.test("setup: a value is named where it came from, the flag or the env var", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const unknown = "1100000000000000001";
  const { channel: _, ...noChannel } = flagsFor(server, world);
  await expectFailure(
    () => runSetup(noChannel, capture({ env: { DISCORD_CHANNEL_ID: unknown } }).io),
    DiscordApiError,
    /^DISCORD_CHANNEL_ID 1100000000000000001 is not a channel Discord knows/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { webhook: "https://example.com/hook" }), capture().io),
    ConfigError,
    /^--webhook does not have the shape …\/webhooks\/\{id\}\/\{token\}/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { statusChannel: "status" }), capture().io),
    ConfigError,
    /^--status-channel "status" is not a channel id: right-click the channel > Copy Channel ID/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { apiUrl: "ftp://x" }), capture().io),
    ConfigError,
    /^--api-url is not an http\(s\) URL: leave it out for Discord/,
    world,
  );
  const { allowedUsers: __, ...noUsers } = flagsFor(server, world);
  await expectFailure(
    () => runSetup(noUsers, capture({ env: { DISCORD_ALLOWED_USERS: "ada" } }).io),
    ConfigError,
    /^DISCORD_ALLOWED_USERS must be comma-separated Discord user ids/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { token: "hunter2" }), capture().io),
    ConfigError,
    /^--token is not a bot token \(it has three parts separated by dots\)/,
    world,
  );
});

Deno.test('setup: a token pasted with the header\'s "Bot " is taken without it', async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const out = capture();
  await runSetup(flagsFor(server, world, { token: `Bot ${server.token}` }), out.io);
  assertEquals(readConfigFile(world.home).token, server.token);
  assert(
    out.lines.includes(
      '--token starts with "Bot ", the word of the Authorization header: using the token after it',
    ),
    out.lines.join("\n"),
  );
  assert(!out.lines.join("\n").includes(server.token), "the token is not echoed");
});

Deno.test("setup: an unreachable API is one sentence with one fix, naming where its URL came from", async () => {
  await using world = await setupWorld();
  // A port nobody listens on: bound, then closed.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const token = `${btoa("1100000000000000001")}.GxYz12.abcdefghijklmnopqrstuvwxyz0`;
  const flags = {
    token,
    channel: "1100000000000000002",
    home: world.home,
    user: false,
    projectDir: world.project,
    install: false,
    dryRun: false,
    liveTest: false,
    liveTimeoutSeconds: 1,
  };
  const api = `http://127.0.0.1:${port}/api`;
  const err = await expectFailure(
    () => runSetup({ ...flags, apiUrl: api }, capture().io),
    DiscordApiError,
    new RegExp(
      `^Cannot read the bot user: Discord is unreachable \\(.*\\) after 3 attempts: check the network, or --api-url \\(now ${api}\\)$`,
    ),
    world,
  );
  assertEquals(err.message.match(/check/g)?.length, 1, err.message);
  const count = (c: string) => err.message.split(c).length;
  assertEquals(count("("), count(")"), `balanced: ${err.message}`);
  await expectFailure(
    () => runSetup(flags, capture({ env: { DISCORD_API_URL: api } }).io),
    DiscordApiError,
    new RegExp(`: check the network, or DISCORD_API_URL \\(now ${api}\\)$`),
    world,
  );
});

Deno.test("setup: missing values without a terminal are usage errors naming the flag", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  await expectFailure(
    () => runSetup(flagsFor(server, world, { token: undefined }), capture().io),
    ConfigError,
    /No bot token: pass --token, set DISCORD_BOT_TOKEN, or run setup in a terminal/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { channel: undefined }), capture().io),
    ConfigError,
    /No chat channel: pass --channel ID/,
    world,
  );
  await expectFailure(
    () => runSetup(flagsFor(server, world, { allowedUsers: "ada" }), capture().io),
    ConfigError,
    /--allowed-users must be comma-separated Discord user ids/,
    world,
  );
});

Deno.test("setup: in a terminal it asks, retries a refused token, lists channels, defaults the owner", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const wrong = `${server.token.split(".")[0]}.AAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBB`;
  // token (refused), token, channel number, status channel number (the forum), Enter for
  // the owner, "user" for where the hooks go
  const prompter = scriptedPrompter([wrong, server.token, "1", "1", "", "user"]);
  const out = capture({ prompter });
  await runSetup(
    flagsFor(server, world, { token: undefined, channel: undefined, askWhere: true }),
    out.io,
  );
  assert(exists(`${world.userHome}/.claude/settings.json`), "installed for every project");
  assert(exists(`${world.userHome}/.claude.json`), "the MCP server in ~/.claude.json");
  assert(!exists(`${world.project}/.claude`));
  const file = readConfigFile(world.home);
  assertEquals(file.channelId, server.channelId);
  assertEquals(file.allowedUsers, [server.ownerId]);
  assert(file.webhookUrl, "a webhook was created on the forum");
  assert(out.lines.some((l) => /Discord rejected the bot token/.test(l)), "the refusal is shown");
  assert(out.lines.some((l) => /1 {2}#chat \(text, local-discord\)/.test(l)), out.lines.join("\n"));
  assert(out.lines.some((l) => /1 {2}#status \(forum, local-discord\)/.test(l)));
  assertEquals(prompter.asked.length, 6);
});

Deno.test("setup: --dry-run checks everything and writes nothing", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const out = capture();
  const result = await runSetup(
    flagsFor(server, world, { dryRun: true, liveTest: true, statusChannel: server.forumId }),
    out.io,
  );
  assertEquals(result.written, []);
  assert(!exists(`${world.home}/config.json`));
  assert(!exists(`${world.project}/.claude`));
  assert(out.lines.some((l) => /\(dry run\) would find or create the webhook/.test(l)));
  assert(out.lines.some((l) => /\(dry run\) .*settings\.local\.json: create/.test(l)));
  assertEquals(readInstalls(world.home).value, []);
  assertEquals(server.messages(server.channelId).length, 0, "no live test");
});

Deno.test("setup: --machine-label names this machine in config.json; machine.json holds its id", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  const out = capture();
  await runSetup(flagsFor(server, world, { machineLabel: "cloud-box", install: false }), out.io);
  assertEquals(readConfigFile(world.home).machineLabel, "cloud-box");
  const machine = JSON.parse(Deno.readTextFileSync(`${world.home}/machine.json`));
  assertMatch(machine.id, /^[a-z2-7]{10}$/);
  assert(
    out.lines.includes(`ok  machine: cloud-box (id ${machine.id}, ${world.home}/machine.json)`),
    out.lines.join("\n"),
  );
  // A later run without the flag keeps the label and the id.
  const again = capture();
  await runSetup(flagsFor(server, world, { install: false }), again.io);
  assertEquals(readConfigFile(world.home).machineLabel, "cloud-box");
  assert(
    again.lines.includes(`ok  machine: cloud-box (id ${machine.id}, ${world.home}/machine.json)`),
  );
});
