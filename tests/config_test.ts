import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";
import {
  botIdFromToken,
  configFileExposure,
  DEFAULT_API_URL,
  isBotTokenShape,
  loadConfig,
  parseWebhookUrl,
  readConfigFile,
  stateHome,
  writeConfigFile,
} from "../config.ts";
import { ConfigError } from "../errors.ts";

const ID = "1100000000000000001";
const TOKEN = `${btoa(ID)}.GxYz12.abcdefghijklmnopqrstuvwxyz012345`;
const WEBHOOK = `https://discord.com/api/webhooks/${ID}/tok_EN-123`;

Deno.test("loadConfig: defaults with an empty environment", async () => {
  await using dir = await tempDir("cd-config-");
  const h = dir.path;
  const c = loadConfig({ env: { CLAUDE_DISCORD_HOME: h } });
  assertEquals(c.home, h);
  assertEquals(c.apiUrl, DEFAULT_API_URL);
  assertEquals(c.allowedUsers, []);
  assertEquals(c.token, undefined);
  assertEquals(c.heldRetentionHours, 24);
  assertEquals(c.wakeOnMessage, true);
});

Deno.test("loadConfig: env overrides the config file", async () => {
  await using dir = await tempDir("cd-config-");
  const h = dir.path;
  writeConfigFile(h, { channelId: "1100000000000000002", allowedUsers: [ID] });
  const c = loadConfig({
    env: { CLAUDE_DISCORD_HOME: h, DISCORD_CHANNEL_ID: "1100000000000000003" },
  });
  assertEquals(c.channelId, "1100000000000000003");
  assertEquals(c.allowedUsers, [ID]);
});

Deno.test("loadConfig: every field parsed", async () => {
  await using dir = await tempDir("cd-config-");
  const c = loadConfig({
    env: {
      CLAUDE_DISCORD_HOME: dir.path,
      DISCORD_BOT_TOKEN: TOKEN,
      DISCORD_CHANNEL_ID: ID,
      DISCORD_WEBHOOK_URL: WEBHOOK,
      DISCORD_ALLOWED_USERS: ` ${ID}, 1100000000000000009 ,${ID}`,
      DISCORD_API_URL: "http://127.0.0.1:9999/api/v10/",
    },
  });
  assertEquals(c.token, TOKEN);
  assertEquals(c.webhookUrl, WEBHOOK);
  assertEquals(c.allowedUsers, [ID, "1100000000000000009"]);
  assertEquals(c.apiUrl, "http://127.0.0.1:9999/api");
});

Deno.test('loadConfig: a token pasted with the Authorization header\'s "Bot " is the token', async () => {
  await using dir = await tempDir("cd-config-");
  const env = { CLAUDE_DISCORD_HOME: dir.path, DISCORD_BOT_TOKEN: ` Bot ${TOKEN}` };
  assertEquals(loadConfig({ env }).token, TOKEN);
});

Deno.test("loadConfig: each bad value names its variable and never echoes the token", async () => {
  await using dir = await tempDir("cd-config-"); // loadConfig only reads it
  const cases: [Record<string, string>, RegExp][] = [
    [{ DISCORD_BOT_TOKEN: "not-a-token-secret" }, /^DISCORD_BOT_TOKEN .*Developer Portal/],
    [{ DISCORD_CHANNEL_ID: "general" }, /^DISCORD_CHANNEL_ID .*Copy Channel ID/],
    [
      { DISCORD_WEBHOOK_URL: "https://example.com/hook" },
      /^DISCORD_WEBHOOK_URL .*webhooks\/\{id\}/,
    ],
    [{ DISCORD_WEBHOOK_URL: "::" }, /^DISCORD_WEBHOOK_URL is not a URL/],
    [{ DISCORD_ALLOWED_USERS: "alice,bob" }, /^DISCORD_ALLOWED_USERS .*Copy User ID/],
    [{ DISCORD_API_URL: "ftp://x" }, /^DISCORD_API_URL is not an http\(s\) URL/],
  ];
  for (const [env, pattern] of cases) {
    const err = assertThrows(
      () => loadConfig({ env: { CLAUDE_DISCORD_HOME: dir.path, ...env } }),
      ConfigError,
    );
    assertMatch(err.message, pattern);
    assert(!err.message.includes("not-a-token-secret"));
    assert(!err.message.includes("\n"));
  }
});

Deno.test("loadConfig: require names the setup command", async () => {
  await using dir = await tempDir("cd-config-");
  const err = assertThrows(
    () => loadConfig({ env: { CLAUDE_DISCORD_HOME: dir.path }, require: ["token"] }),
    ConfigError,
  );
  assertMatch(err.message, /DISCORD_BOT_TOKEN is not set: run `deno task setup`/);
});

Deno.test("loadConfig: malformed config file and options", async () => {
  await using dir = await tempDir("cd-config-");
  const h = dir.path;
  Deno.writeTextFileSync(`${h}/config.json`, "{nope");
  assertThrows(
    () => loadConfig({ env: { CLAUDE_DISCORD_HOME: h } }),
    ConfigError,
    "not valid JSON",
  );
  Deno.writeTextFileSync(`${h}/config.json`, "[1]");
  assertThrows(() => readConfigFile(h), ConfigError, "JSON object");
  Deno.writeTextFileSync(`${h}/config.json`, JSON.stringify({ wakeTimeoutSeconds: -1 }));
  assertThrows(
    () => loadConfig({ env: { CLAUDE_DISCORD_HOME: h } }),
    ConfigError,
    "wakeTimeoutSeconds",
  );
  Deno.writeTextFileSync(`${h}/config.json`, JSON.stringify({ wakeOnMessage: "yes" }));
  assertThrows(() => loadConfig({ env: { CLAUDE_DISCORD_HOME: h } }), ConfigError, "wakeOnMessage");
});

Deno.test("loadConfig: allowedFilePaths are absolute, ~ expanded; anything else is refused", async () => {
  await using dir = await tempDir("cd-config-");
  const h = dir.path;
  const env = { CLAUDE_DISCORD_HOME: h, HOME: "/home/ada" };
  assertEquals(loadConfig({ env }).allowedFilePaths, []);
  writeConfigFile(h, { allowedFilePaths: ["/srv/shared", "~/notes/", "/srv/shared"] });
  assertEquals(loadConfig({ env }).allowedFilePaths, ["/srv/shared", "/home/ada/notes/"]);
  for (const bad of ["relative/dir", 5, ""]) {
    writeConfigFile(h, { allowedFilePaths: [bad as string] });
    assertThrows(() => loadConfig({ env }), ConfigError, "not an absolute path");
  }
  writeConfigFile(h, { allowedFilePaths: "/srv" as unknown as string[] });
  assertThrows(() => loadConfig({ env }), ConfigError, "must be a list of paths");
  writeConfigFile(h, { allowedFilePaths: ["~/x"] });
  assertThrows(() => loadConfig({ env: { CLAUDE_DISCORD_HOME: h } }), ConfigError, "HOME");
});

Deno.test("configFileExposure: config.json open to other users is named with the fix", async () => {
  await using dir = await tempDir("cd-config-");
  const h = dir.path;
  assertEquals(configFileExposure(h), undefined, "no file, nothing to say");
  writeConfigFile(h, { channelId: ID });
  assertEquals(configFileExposure(h), undefined);
  for (const [mode, text] of [[0o644, "0644"], [0o666, "0666"], [0o640, "0640"]] as const) {
    Deno.chmodSync(`${h}/config.json`, mode);
    const line = configFileExposure(h) ?? "";
    assertMatch(line, new RegExp(`config\\.json is .*by other users \\(mode ${text}\\)`));
    assertMatch(line, /: run chmod 600 .*config\.json$/);
  }
});

Deno.test("writeConfigFile: 0600 file in a 0700 directory, merges and removes keys", async () => {
  await using dir = await tempDir("cd-config-");
  const h = `${dir.path}/nested/state`;
  writeConfigFile(h, { channelId: ID, token: TOKEN });
  writeConfigFile(h, { token: undefined, allowedUsers: [ID] });
  assertEquals(Deno.statSync(h).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(`${h}/config.json`).mode! & 0o777, 0o600);
  assertEquals(readConfigFile(h), { channelId: ID, allowedUsers: [ID] });
  assertEquals([...Deno.readDirSync(h)].map((e) => e.name), ["config.json"]);
});

Deno.test("token helpers", () => {
  assert(isBotTokenShape(TOKEN));
  assertEquals(botIdFromToken(TOKEN), ID);
  assert(!isBotTokenShape(`${btoa("abc")}.x.y`));
  assert(!isBotTokenShape("a.b"));
  assert(!isBotTokenShape(`${btoa(ID)}.x y.z`));
});

Deno.test("parseWebhookUrl: local and versioned bases", () => {
  const w = parseWebhookUrl(`http://127.0.0.1:8080/api/v10/webhooks/${ID}/abc`);
  assertEquals(w, { id: ID, token: "abc", base: "http://127.0.0.1:8080/api/v10" });
});

Deno.test("stateHome: explicit, from HOME, and neither", () => {
  assertEquals(stateHome({ CLAUDE_DISCORD_HOME: "/x" }), "/x");
  assertEquals(stateHome({ HOME: "/home/u/" }), "/home/u/.claude/discord");
  assertThrows(() => stateHome({}), ConfigError, "CLAUDE_DISCORD_HOME");
});
