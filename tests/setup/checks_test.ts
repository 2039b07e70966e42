// The Discord checks setup and doctor share (_setup/checks.ts), each against the local
// Discord server with the world broken one way at a time; then setup and doctor on the same
// broken world: setup's lines and error are doctor's verdicts, up to the first failure; and
// doctor with no configuration at all.
import { type ConfigFile, loadConfig, writeConfigFile } from "../../config.ts";
import { ConfigError, DiscordApiError } from "../../errors.ts";
import {
  checkAllowedUsers,
  checkChatChannel,
  checkIntent,
  checkStatusChannel,
  checkToken,
  checkWebhook,
  IntentOffError,
  type Verdict,
} from "../../_setup/checks.ts";
import { renderChecks, runDoctor } from "../../_setup/doctor.ts";
import { runSetup } from "../../_setup/flow.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { capture, flagsFor, type SetupWorld, setupWorld } from "./_helpers.ts";

const VIEW = String(1n << 10n);
const SEND = String(1n << 11n);
const ADD_REACTIONS = String(1n << 6n);
const CREATE_THREADS = String(1n << 35n);
/** A user id nobody in the local server has. */
const NOT_A_MEMBER = "1100000000000000099";

/** The bot's session on `server` (a passing token check). */
async function session(server: DiscordServer) {
  const verdict = await checkToken(server.token, { apiUrl: server.apiUrl });
  assert(verdict.level === "ok", verdict.message);
  return verdict.value;
}

/** The failed verdict's problem, asserting it failed. */
function problemOf(verdict: Verdict<unknown>): Error {
  assert(verdict.level === "fail", `expected a failure, got ${verdict.level}: ${verdict.message}`);
  assertEquals(verdict.message, verdict.problem.message, "the line is the problem's message");
  return verdict.problem;
}

Deno.test("checks: the token's shape, a refused token, a good one", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const connection = { apiUrl: server.apiUrl };
  const shape = problemOf(await checkToken("hunter2", connection));
  assert(shape instanceof ConfigError);
  assertMatch(shape.message, /^That is not a bot token .*Reset Token$/);
  const wrong = `${server.token.split(".")[0]}.AAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBB`;
  const refused = await checkToken(wrong, connection);
  const problem = problemOf(refused);
  assert(problem instanceof DiscordApiError && problem.status === 401);
  assertMatch(refused.message, /^Discord rejected the bot token \(401 Unauthorized\)/);
  assert(!refused.message.includes(wrong), "the token is never echoed");
  const good = await checkToken(server.token, connection);
  assert(good.level === "ok");
  assertEquals(good.label, "token");
  assertEquals(good.value.bot.id, server.botId);
  assertEquals(good.message, `bot ${good.value.bot.username} (${server.botId})`);
});

Deno.test("checks: the MESSAGE CONTENT intent off fails with the portal switch; on, the owner is known", async () => {
  await using off = await startDiscordServer({
    port: 0,
    rateLimits: false,
    messageContentIntent: false,
  });
  const problem = problemOf(await checkIntent((await session(off)).api));
  assert(problem instanceof IntentOffError && problem instanceof DiscordApiError);
  assertMatch(problem.message, /^The MESSAGE CONTENT intent is off: turn on .* Save Changes$/);
  await using on = await startDiscordServer({ port: 0, rateLimits: false });
  const verdict = await checkIntent((await session(on)).api);
  assert(verdict.level === "ok", verdict.message);
  assertEquals(verdict.value.ownerId, on.ownerId);
});

Deno.test("checks: the chat channel, from fine to hidden, with each permission and type problem", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const { api, bot } = await session(server);
  await checkIntent(api); // the invite URL names the application after this
  const check = () => checkChatChannel(api, bot.id, server.channelId);
  const fine = await check();
  assert(fine.level === "ok", fine.message);
  assertEquals(fine.value.guildId, server.guildId, "the guild id for the later checks");
  assertMatch(fine.message, /^#chat in "local-discord" \(\d+\), every permission present$/);

  server.fault({ kind: "access", channels: { [server.channelId]: { deny: ADD_REACTIONS } } });
  const degraded = await check();
  assertEquals(degraded.level, "warn", "optional permissions only warn");
  assertMatch(degraded.message, /^The bot lacks Add Reactions in #chat: allow them for its role/);
  assert(degraded.level === "warn" && degraded.value.id === server.channelId);

  server.fault({ kind: "access", channels: { [server.channelId]: { deny: SEND } } });
  const mute = problemOf(await check());
  assert(mute instanceof DiscordApiError && mute.status === 403);
  assertMatch(
    mute.message,
    /^The bot lacks Send Messages in #chat: .*invite it again with https:\/\/discord\.com\/oauth2\/authorize\?client_id=\d+/,
  );

  server.fault({ kind: "access", channels: { [server.channelId]: { deny: VIEW } } });
  assertMatch(
    problemOf(await check()).message,
    /^The bot is in "local-discord" but cannot see #chat \(403 Missing Access\)/,
  );

  server.fault({ kind: "access", channels: { [server.channelId]: null }, inGuild: false });
  assertMatch(problemOf(await check()).message, /^The bot is not in any server yet: invite it/);
  server.fault({ kind: "access", inGuild: true });

  const forum = problemOf(await checkChatChannel(api, bot.id, server.forumId));
  assert(forum instanceof ConfigError);
  assertMatch(forum.message, /^#status is a forum channel: the chat needs a text channel/);
  assert(problemOf(await checkChatChannel(api, bot.id, "general")) instanceof ConfigError);
  assertMatch(
    problemOf(await checkChatChannel(api, bot.id, "1100000000000000001")).message,
    /404 Unknown Channel/,
  );
});

Deno.test("checks: the STATUS webhook and channel: forum, text channel, gone, no threads, a thread", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const { api, bot } = await session(server);
  const chat = await checkChatChannel(api, bot.id, server.channelId);
  assert(chat.level === "ok");
  const forum = await checkWebhook(api, bot.id, server.webhookUrl, chat.value);
  assert(forum.level === "ok", forum.message);
  assertEquals(forum.value.id, server.forumId);
  assertEquals(forum.message, "STATUS posts go to #status, a forum: one post per session");
  const text = await checkWebhook(api, bot.id, server.textWebhookUrl);
  assert(text.level === "ok", text.message);
  assertMatch(text.message, /a text channel: the bot starts one thread per session$/);

  const gone = server.webhookUrl.replace(/\/[^/]+$/, "/not-the-token");
  assertMatch(
    problemOf(await checkWebhook(api, bot.id, gone, chat.value)).message,
    /^The webhook of DISCORD_WEBHOOK_URL does not exist any more/,
  );
  server.fault({ kind: "access", channels: { [server.channelId]: { deny: CREATE_THREADS } } });
  assertMatch(
    problemOf(await checkWebhook(api, bot.id, server.textWebhookUrl, chat.value)).message,
    /^The bot lacks Create Public Threads in #chat, where STATUS posts go: .*use a forum channel/,
  );
  // The bridge posts there as the bot: a forum without Send Messages or Embed Links will not do.
  server.fault({
    kind: "access",
    channels: { [server.forumId]: { deny: String((1n << 11n) | (1n << 14n)) } },
  });
  assertMatch(
    problemOf(await checkWebhook(api, bot.id, server.webhookUrl, chat.value)).message,
    /^The bot lacks Send Messages, Embed Links in #status, where STATUS posts go/,
  );
  server.fault({ kind: "access", channels: { [server.forumId]: { deny: "0" } } });
  // Without a webhook: the chat channel by default (here without Create Public Threads).
  const noThreads = await checkChatChannel(api, bot.id, server.channelId);
  assert(noThreads.level === "ok", "the chat itself needs no Create Public Threads");
  assertMatch(
    problemOf(await checkStatusChannel(api, bot.id, undefined, noThreads.value)).message,
    /^The bot lacks Create Public Threads in #chat, where STATUS posts go/,
  );
  const chosen = await checkStatusChannel(api, bot.id, server.forumId, chat.value);
  assert(chosen.level === "ok" && chosen.value.id === server.forumId);
  const thread = await server.createThread({ parentId: server.forumId, name: "a post" });
  const inThread = problemOf(await checkStatusChannel(api, bot.id, thread.id, chat.value));
  assert(inThread instanceof ConfigError);
  assertMatch(inThread.message, /^STATUS posts would go to #a post, a thread channel: use a forum/);
});

Deno.test("checks: allowed users: members, one who is not in the server, none, not an id", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const { api, bot } = await session(server);
  const chat = await checkChatChannel(api, bot.id, server.channelId);
  assert(chat.level === "ok");
  const members = [server.ownerId, server.users.stranger.id];
  const fine = await checkAllowedUsers(api, members, chat.value);
  assert(fine.level === "ok", fine.message);
  assertEquals(fine.value, members);
  const absent = await checkAllowedUsers(api, [server.ownerId, NOT_A_MEMBER], chat.value);
  assertEquals(absent.level, "warn");
  assertEquals(
    absent.message,
    `${NOT_A_MEMBER} is not in "local-discord": check the ids (right-click a user > Copy User ID)`,
  );
  const unchecked = await checkAllowedUsers(api, [NOT_A_MEMBER]);
  assertEquals(unchecked.level, "ok", "without the chat's server, membership is not judged");
  assertMatch(unchecked.message, /membership in the server not checked/);
  assert(problemOf(await checkAllowedUsers(api, [], chat.value)) instanceof ConfigError);
  assertMatch(
    problemOf(await checkAllowedUsers(api, ["ada"], chat.value)).message,
    /must be comma-separated Discord user ids/,
  );
});

const DISCORD_LABELS = ["token", "intent", "channel", "webhook", "allowed users"];

/**
 * Runs setup (a dry run that reads every value from config.json) and doctor on the same
 * world. Returns setup's verdicts (its `ok`/`warn` check lines, then its error) and doctor's
 * Discord verdicts up to its first failure, both as `level label: message` (a failure as
 * `fail: message`, since setup's error carries no label), and every Discord label doctor
 * listed with its level.
 */
async function setupAndDoctor(
  server: DiscordServer,
  world: SetupWorld,
): Promise<{ setup: string[]; doctor: string[]; listed: Record<string, string> }> {
  const out = capture();
  let error: Error | undefined;
  try {
    await runSetup(
      flagsFor(server, world, { token: undefined, channel: undefined, dryRun: true }),
      out.io,
    );
  } catch (err) {
    error = err as Error;
  }
  const setup = out.lines.flatMap((line) => {
    const m = /^(ok|warn) +([a-z ]+): (.*)$/.exec(line);
    return m && DISCORD_LABELS.includes(m[2]) ? [`${m[1]} ${m[2]}: ${m[3]}`] : [];
  });
  if (error) setup.push(`fail: ${error.message}`);
  const checks = (await runDoctor({
    home: world.home,
    loadConfig: () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } }),
    projectDir: world.project,
    homeDir: world.userHome,
  })).filter((c) => DISCORD_LABELS.includes(c.label));
  const firstFail = checks.findIndex((c) => c.level === "fail");
  const doctor = checks.slice(0, firstFail === -1 ? undefined : firstFail + 1).map((c) =>
    c.level === "fail" ? `fail: ${c.message}` : `${c.level} ${c.label}: ${c.message}`
  );
  return { setup, doctor, listed: Object.fromEntries(checks.map((c) => [c.label, c.level])) };
}

/** The configuration of a world: the local server's, with `values` changed. */
function configure(server: DiscordServer, world: SetupWorld, values: ConfigFile = {}): void {
  writeConfigFile(world.home, {
    token: server.token,
    channelId: server.channelId,
    webhookUrl: server.webhookUrl,
    allowedUsers: [server.ownerId],
    apiUrl: server.apiUrl,
    ...values,
  });
}

Deno.test("setup and doctor give the same verdicts on the same broken world", async (t) => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const worlds: {
    name: string;
    broken: () => void;
    values?: ConfigFile;
    expect: Record<string, string>;
  }[] = [
    {
      name: "an allowed user outside the server, reactions denied: two warnings, no failure",
      broken: () =>
        server.fault({ kind: "access", channels: { [server.channelId]: { deny: ADD_REACTIONS } } }),
      values: { allowedUsers: [server.ownerId, NOT_A_MEMBER] },
      expect: { channel: "warn", webhook: "ok", "allowed users": "warn" },
    },
    {
      name: "the chat channel hidden from the bot",
      broken: () =>
        server.fault({ kind: "access", channels: { [server.channelId]: { deny: VIEW } } }),
      expect: { channel: "fail", webhook: "ok", "allowed users": "ok" },
    },
    {
      name: "the webhook deleted",
      broken: () => {},
      values: { webhookUrl: server.webhookUrl.replace(/\/[^/]+$/, "/not-the-token") },
      expect: { channel: "ok", webhook: "fail", "allowed users": "ok" },
    },
    {
      name: "a text channel webhook without Create Public Threads",
      broken: () =>
        server.fault({
          kind: "access",
          channels: { [server.channelId]: { deny: CREATE_THREADS } },
        }),
      values: { webhookUrl: server.textWebhookUrl },
      expect: { channel: "ok", webhook: "fail", "allowed users": "ok" },
    },
  ];
  for (const world of worlds) {
    await t.step(world.name, async () => {
      await using dir = await setupWorld();
      server.fault({ kind: "access", channels: { [server.channelId]: null } });
      configure(server, dir, world.values);
      world.broken();
      const { setup, doctor, listed } = await setupAndDoctor(server, dir);
      assertEquals(setup, doctor);
      assertEquals(listed, { token: "ok", intent: "ok", ...world.expect }, "doctor lists all");
    });
  }
});

Deno.test("setup and doctor: the MESSAGE CONTENT intent off is the same failure", async () => {
  await using server = await startDiscordServer({
    port: 0,
    rateLimits: false,
    messageContentIntent: false,
  });
  await using world = await setupWorld();
  configure(server, world);
  const { setup, doctor, listed } = await setupAndDoctor(server, world);
  assertEquals(setup, doctor);
  assertMatch(setup.at(-1)!, /^fail: The MESSAGE CONTENT intent is off/);
  assertEquals(listed.intent, "fail");
  assertEquals(listed.channel, "ok", "doctor goes on after a failure");
});

Deno.test("doctor: without a configuration it names setup, and says the hooks are missing", async () => {
  await using world = await setupWorld();
  const checks = await runDoctor({
    home: world.home,
    loadConfig: () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } }),
    projectDir: world.project,
    homeDir: world.userHome,
  });
  const text = renderChecks(checks);
  assertMatch(text, /FAIL token +DISCORD_BOT_TOKEN is not set: run `deno task setup`/);
  assertMatch(
    text,
    /FAIL hooks +No install recorded in .*installs\.json, and no claude-discord hooks in .*: run `deno task setup --project DIR` for a project/,
  );
  assertMatch(text, /FAIL bridge +The bridge is not running/);
});

Deno.test("doctor: a config.json other users can read fails, naming chmod 600", async () => {
  await using world = await setupWorld();
  writeConfigFile(world.home, { channelId: "1100000000000000001" });
  const doctor = () =>
    runDoctor({
      home: world.home,
      loadConfig: () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } }),
      projectDir: world.project,
      homeDir: world.userHome,
    });
  assert(!/FAIL config/.test(renderChecks(await doctor())), "0600 passes");
  Deno.chmodSync(`${world.home}/config.json`, 0o644);
  assertMatch(
    renderChecks(await doctor()),
    /FAIL config +.*config\.json is readable by other users \(mode 0644\) and holds the bot token: run chmod 600 .*config\.json/,
  );
});
