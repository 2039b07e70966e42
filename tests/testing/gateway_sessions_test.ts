// Several gateway sessions per token and the token's IDENTIFY budget, as Discord's gateway
// documentation states them: every session gets every dispatch of its intents (interactions
// too; the first callback wins), shards split guild events, max_concurrency answers a fast
// IDENTIFY with op 9, session_start_limit counts down, and an IDENTIFY over the budget ends
// every session and resets the token. Raw WebSocket clients: no library retries in between.
import { assert, assertEquals, assertNotEquals } from "../_assert.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { waitFor } from "./_clients.ts";
import { rawGateway } from "./_ws.ts";

async function gatewayBot(server: DiscordServer, token = server.token) {
  const res = await fetch(`${server.apiUrl}/v10/gateway/bot`, {
    headers: { authorization: `Bot ${token}` },
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("gateway: two sessions on one token each get every dispatch; an interaction goes to both and the first callback wins", async () => {
  await using server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: false },
  });
  await using a = await rawGateway(server);
  await using b = await rawGateway(server);
  a.identify();
  b.identify({ shard: [0, 1] });
  const [ra, rb] = [await a.ready(), await b.ready()];
  assertNotEquals(ra.session_id, rb.session_id);
  assertEquals(rb.shard, [0, 1]);
  const m = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "to both",
  });
  for (const c of [a, b]) {
    await c.next(
      "the message",
      (f) => f.t === "MESSAGE_CREATE" && (f.d as { id: string }).id === m.id,
    );
  }
  const prompt = await fetch(`${server.apiUrl}/v10/channels/${server.channelId}/messages`, {
    method: "POST",
    headers: { authorization: `Bot ${server.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      content: "Allow?",
      components: [{
        type: 1,
        components: [{ type: 2, style: 3, label: "Allow", custom_id: "ok" }],
      }],
    }),
  }).then((r) => r.json());
  const click = await server.clickButton({
    messageId: prompt.id,
    customId: "ok",
    userId: server.ownerId,
  });
  const got = await Promise.all(
    [a, b].map((c) => c.next("INTERACTION_CREATE", (f) => f.t === "INTERACTION_CREATE")),
  );
  const [ia, ib] = got.map((f) => f.d as { id: string; token: string });
  assertEquals(ia.id, click.interactionId);
  assertEquals(ib.token, ia.token, "the same interaction");
  const answer = (body: unknown) =>
    fetch(`${server.apiUrl}/v10/interactions/${ia.id}/${ia.token}/callback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const first = await answer({ type: 6 });
  const second = await answer({ type: 6 });
  assertEquals(first.status, 204);
  assertEquals([second.status, (await second.json()).code], [400, 40060]);
  assertEquals(await click.answered, true);
  const stats = server.gatewayStats();
  assertEquals(stats.sessionsConnected, 2);
  assertEquals(stats.tokens[0].identifies, 2);
  assertEquals((await gatewayBot(server)).body.session_start_limit.remaining, 998);
});

Deno.test("gateway: an IDENTIFY within max_concurrency's window gets op 9 on an open connection and counts nothing; later it starts a session", async () => {
  await using server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: 400 },
  });
  await using a = await rawGateway(server);
  await using b = await rawGateway(server);
  a.identify();
  await a.ready();
  b.identify();
  const refused = await b.next("op 9", (f) => f.op === 9);
  assertEquals(refused.d, false);
  assertEquals(b.closeCode(), undefined, "the connection stays open");
  assertEquals(b.events("READY"), []);
  let stats = server.gatewayStats();
  assertEquals([stats.tokens[0].identifies, stats.tokens[0].identifiesTooFast], [1, 1]);
  assertEquals(stats.sessionStartLimit.remaining, 999, "a refused IDENTIFY costs nothing");
  await new Promise((r) => setTimeout(r, 450));
  b.identify();
  await b.ready();
  stats = server.gatewayStats();
  assertEquals([stats.tokens[0].identifies, stats.sessionsConnected], [2, 2]);
  // The default window is Discord's 5 seconds, max_concurrency 1.
  await using other = await startDiscordServer({ port: 0 });
  const limit = (await gatewayBot(other)).body.session_start_limit;
  assertEquals([limit.total, limit.remaining, limit.max_concurrency], [1000, 1000, 1]);
  assert(limit.reset_after > 86_000_000 && limit.reset_after <= 86_400_000);
});

Deno.test("gateway: RESUMEs do not count; an IDENTIFY over the budget ends every session and resets the token", async () => {
  let now = Date.now();
  await using server = await startDiscordServer({
    port: 0,
    now: () => now,
    identifyBudget: { total: 2, concurrencyWindowMs: false, resetAfterMs: 60_000 },
  });
  const oldToken = server.token;
  await using a = await rawGateway(server);
  a.identify();
  const ready = await a.ready();
  now += 10_000;
  let limit = (await gatewayBot(server)).body.session_start_limit;
  assertEquals([limit.total, limit.remaining, limit.reset_after], [2, 1, 50_000]);
  // A dropped connection resumes: no IDENTIFY spent.
  server.fault({ kind: "drop" });
  await waitFor("the drop", () => a.closeCode() !== undefined);
  await using resumed = await rawGateway(server, ready.resume_gateway_url as string);
  resumed.send({ op: 6, d: { token: server.token, session_id: ready.session_id, seq: 2 } });
  await resumed.next("RESUMED", (f) => f.t === "RESUMED");
  await using b = await rawGateway(server);
  b.identify();
  await b.ready();
  let stats = server.gatewayStats();
  assertEquals(stats.tokens[0], {
    tokenNumber: 1,
    current: true,
    identifies: 2,
    identifiesTooFast: 0,
    resumes: 1,
    resumesRefused: 0,
  });
  assertEquals((await gatewayBot(server)).body.session_start_limit.remaining, 0);
  // The third IDENTIFY: every session ends, the token is reset.
  await using c = await rawGateway(server);
  c.identify();
  await waitFor(
    "every connection closed",
    () => [resumed, b, c].every((x) => x.closeCode() !== undefined),
  );
  assertEquals([resumed, b, c].map((x) => x.closeCode()), [4004, 4004, 4004]);
  assertNotEquals(server.token, oldToken);
  assertEquals((await gatewayBot(server, oldToken)).status, 401);
  stats = server.gatewayStats();
  assertEquals([stats.tokenResets, stats.sessionsAlive, stats.sessionsConnected], [1, 0, 0]);
  assertEquals(stats.tokens.map((t) => [t.tokenNumber, t.current]), [[1, false], [2, true]]);
  await using d = await rawGateway(server);
  d.identify({ token: oldToken });
  await waitFor("the old token refused", () => d.closeCode() === 4004);
  await using e = await rawGateway(server);
  e.identify();
  await e.ready();
  limit = (await gatewayBot(server)).body.session_start_limit;
  assertEquals(limit.remaining, 1, "the new token has a budget of its own");
  // The window passes: the budget is whole again.
  now += 60_000;
  assertEquals((await gatewayBot(server)).body.session_start_limit.remaining, 2);
});

Deno.test("gateway: shards split the guild's events by (guild_id >> 22) % num_shards; an invalid shard closes 4010", async () => {
  await using server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: false },
  });
  const mine = Number((BigInt(server.guildId) >> 22n) % 2n);
  await using s0 = await rawGateway(server);
  await using s1 = await rawGateway(server);
  s0.identify({ shard: [0, 2] });
  s1.identify({ shard: [1, 2] });
  await s0.ready();
  await s1.ready();
  const m = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "sharded",
  });
  const [owner, other] = mine === 0 ? [s0, s1] : [s1, s0];
  await owner.next("the message", (f) => f.t === "MESSAGE_CREATE");
  assertEquals(other.events("MESSAGE_CREATE").length, 0);
  assertEquals(other.events("GUILD_CREATE").length, 0, "the guild is on the other shard");
  assertEquals(server.state().gatewaySessions.map((s) => s.shard), [[0, 2], [1, 2]]);
  assertEquals(m.content, "sharded");
  await using bad = await rawGateway(server);
  bad.identify({ shard: [2, 2] });
  await waitFor("4010", () => bad.closeCode() === 4010);
});

Deno.test("the bot's reactions reach every session as MESSAGE_REACTION_ADD/REMOVE with the bot as user", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using gw = await rawGateway(server);
  gw.identify();
  await gw.ready();
  const m = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "react to me",
  });
  const url = `${server.apiUrl}/v10/channels/${server.channelId}/messages/${m.id}` +
    `/reactions/${encodeURIComponent("📬")}/@me`;
  const auth = { authorization: `Bot ${server.token}` };
  assertEquals((await fetch(url, { method: "PUT", headers: auth })).status, 204);
  const add = await gw.next("the add", (f) => f.t === "MESSAGE_REACTION_ADD");
  assertEquals((add.d as { user_id: string }).user_id, server.botId);
  assertEquals((add.d as { emoji: { name: string } }).emoji.name, "📬");
  assertEquals(server.messages(server.channelId)[0].reactions?.[0].me, true);
  assertEquals((await fetch(url, { method: "DELETE", headers: auth })).status, 204);
  const remove = await gw.next("the remove", (f) => f.t === "MESSAGE_REACTION_REMOVE");
  assertEquals((remove.d as { user_id: string }).user_id, server.botId);
  assertEquals(server.messages(server.channelId)[0].reactions ?? [], []);
});

Deno.test("message edits: 5 per 5 s per channel, then 429 with retry_after; MESSAGE_UPDATE for each edit", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using gw = await rawGateway(server);
  gw.identify();
  await gw.ready();
  const headers = { authorization: `Bot ${server.token}`, "content-type": "application/json" };
  const post = async (channelId: string) =>
    await (await fetch(`${server.apiUrl}/v10/channels/${channelId}/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({ content: "card" }),
    })).json();
  const card = await post(server.channelId);
  const edit = (id: string, content: string, channelId = server.channelId) =>
    fetch(`${server.apiUrl}/v10/channels/${channelId}/messages/${id}`, {
      method: "PATCH",
      headers,
      body: JSON.stringify({ content }),
    });
  for (let i = 1; i <= 5; i++) {
    const res = await edit(card.id, `state ${i}`);
    assertEquals(res.status, 200);
    await res.body?.cancel();
  }
  const limited = await edit(card.id, "state 6");
  assertEquals(limited.status, 429);
  const body = await limited.json();
  assert(body.retry_after > 0 && body.retry_after <= 5, String(body.retry_after));
  assertEquals(body.global, false);
  assertEquals(limited.headers.get("x-ratelimit-scope"), "user");
  assertEquals(limited.headers.get("x-ratelimit-limit"), "5");
  // Another message in the same channel shares the limit; another channel does not.
  const other = await post(server.channelId);
  assertEquals((await edit(other.id, "x")).status, 429);
  const thread = await server.createThread({ parentId: server.forumId, name: "t" });
  const starter = server.messages(thread.id)[0];
  const foreign = await edit(starter.id, "y", thread.id);
  assertEquals(foreign.status, 403, "the rate limit passed; the message is the owner's");
  await foreign.body?.cancel();
  await waitFor(
    "five MESSAGE_UPDATEs",
    () => gw.events("MESSAGE_UPDATE").filter((d) => d.id === card.id).length === 5,
  );
  assertEquals(
    gw.events("MESSAGE_UPDATE").filter((d) => d.id === card.id).map((d) => d.content),
    ["state 1", "state 2", "state 3", "state 4", "state 5"],
  );
});
