// The local server's access model: guild membership, the bot role's permissions and channel
// overwrites, as setup reads them (roles, member roles, overwrites) and as Discord enforces
// them on the bot's REST calls.
import { assert, assertEquals } from "../_assert.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";

const VIEW = 1n << 10n;
const SEND = 1n << 11n;
const HISTORY = 1n << 16n;
const WEBHOOKS = 1n << 29n;

async function call(
  server: DiscordServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.apiUrl}/v10${path}`, {
    method,
    headers: { authorization: `Bot ${server.token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

Deno.test("access: the guild has an @everyone and a bot role; the bot member has its role", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const guild = await call(server, "GET", `/guilds/${server.guildId}`);
  const roles = guild.body.roles as { id: string; permissions: string; managed: boolean }[];
  assertEquals(roles.length, 2);
  assertEquals(roles[0].id, server.guildId);
  const botRole = roles.find((r) => r.managed)!;
  assert((BigInt(botRole.permissions) & WEBHOOKS) === WEBHOOKS, "the bot may manage webhooks");
  assert((BigInt(roles[0].permissions) & WEBHOOKS) === 0n, "@everyone may not");
  const member = await call(server, "GET", `/guilds/${server.guildId}/members/${server.botId}`);
  assertEquals(member.body.roles, [botRole.id]);
  const channel = await call(server, "GET", `/channels/${server.channelId}`);
  assertEquals(channel.status, 200);
  assertEquals(channel.body.permission_overwrites, []);
});

Deno.test("access: a channel overwrite denying View Channel hides the channel (50001), not the guild list", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  server.fault({ kind: "access", channels: { [server.channelId]: { deny: String(VIEW) } } });
  const channel = await call(server, "GET", `/channels/${server.channelId}`);
  assertEquals([channel.status, channel.body.code], [403, 50001]);
  const messages = await call(server, "GET", `/channels/${server.channelId}/messages`);
  assertEquals(messages.status, 403);
  const list = await call(server, "GET", `/guilds/${server.guildId}/channels`);
  const chat = (list.body as unknown as { id: string; permission_overwrites: unknown[] }[])
    .find((c) => c.id === server.channelId);
  assertEquals(chat?.permission_overwrites, [{
    id: server.botId,
    type: 1,
    allow: "0",
    deny: String(VIEW),
  }]);
  const forum = await call(server, "GET", `/channels/${server.forumId}`);
  assertEquals(forum.status, 200, "other channels stay visible");
  server.fault({ kind: "access", channels: { [server.channelId]: null } });
  assertEquals((await call(server, "GET", `/channels/${server.channelId}`)).status, 200);
});

Deno.test("access: without Send Messages a post is 50013; without history the list is empty", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content: "hi" });
  server.fault({
    kind: "access",
    channels: { [server.channelId]: { deny: String(SEND | HISTORY) } },
  });
  const post = await call(server, "POST", `/channels/${server.channelId}/messages`, {
    content: "x",
  });
  assertEquals([post.status, post.body.code], [403, 50013]);
  const read = await call(server, "GET", `/channels/${server.channelId}/messages`);
  assertEquals([read.status, read.body as unknown], [200, []]);
  server.reset();
  assertEquals(
    (await call(server, "POST", `/channels/${server.channelId}/messages`, { content: "x" }))
      .status,
    200,
    "reset restores the access",
  );
});

Deno.test("access: a bot role without Manage Webhooks cannot create or list webhooks", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  server.fault({ kind: "access", permissions: "0" });
  const created = await call(server, "POST", `/channels/${server.channelId}/webhooks`, {
    name: "x",
  });
  assertEquals([created.status, created.body.code], [403, 50013]);
  assertEquals((await call(server, "GET", `/channels/${server.channelId}/webhooks`)).status, 403);
  // @everyone still lets it read and post.
  assertEquals(
    (await call(server, "POST", `/channels/${server.channelId}/messages`, { content: "x" }))
      .status,
    200,
  );
  server.fault({ kind: "access", permissions: String(WEBHOOKS) });
  assertEquals(
    (await call(server, "POST", `/channels/${server.channelId}/webhooks`, { name: "x" })).status,
    200,
  );
});

Deno.test("access: a bot that is not in the guild sees no guild and no channel (control API)", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const res = await fetch(`${server.origin}/_control/fault`, {
    method: "POST",
    body: JSON.stringify({ kind: "access", inGuild: false }),
  });
  assertEquals(res.status, 200);
  await res.body?.cancel();
  assertEquals((await call(server, "GET", "/users/@me/guilds")).body as unknown, []);
  const channel = await call(server, "GET", `/channels/${server.channelId}`);
  assertEquals([channel.status, channel.body.code], [403, 50001]);
  assertEquals((await call(server, "GET", `/guilds/${server.guildId}`)).status, 403);
  assertEquals((await call(server, "GET", "/users/@me")).status, 200, "the token still works");
  server.fault({ kind: "access", inGuild: true });
  assertEquals(
    ((await call(server, "GET", "/users/@me/guilds")).body as unknown as unknown[]).length,
    1,
  );
});
