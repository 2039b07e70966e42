// The local server's REST surface at the HTTP level: auth, Discord error JSON,
// message history cursors, threads, webhooks (wait / thread_id / thread_name
// and 220001–220003), webhook messages, interaction callbacks and deadlines.
import assert from "node:assert/strict";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";

function api(server: DiscordServer, path: string, init: RequestInit & { auth?: boolean } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth !== false) headers.set("authorization", `Bot ${server.token}`);
  if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
  return fetch(`${server.apiUrl}/v10${path}`, { ...init, headers });
}

async function call(
  server: DiscordServer,
  path: string,
  init: RequestInit & { auth?: boolean } = {},
) {
  const res = await api(server, path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

Deno.test("REST: auth, error JSON and unknown resources", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const noAuth = await call(server, "/users/@me", { auth: false });
  assert.equal(noAuth.status, 401);
  assert.deepEqual(noAuth.body, { message: "401: Unauthorized", code: 0 });
  const bad = await call(server, "/users/@me", {
    headers: { authorization: "Bot nope" },
    auth: false,
  });
  assert.equal(bad.status, 401);
  const me = await call(server, "/users/@me");
  assert.equal(me.body.id, server.botId);
  assert.equal(me.body.bot, true);
  const app = await call(server, "/applications/@me");
  assert.equal(app.body.id, server.applicationId);
  assert.equal(app.body.owner.id, server.ownerId);
  assert.equal(app.body.flags & (1 << 19), 1 << 19);
  const gw = await call(server, "/gateway/bot");
  assert.equal(gw.body.url, server.gatewayUrl);
  assert.equal(gw.body.session_start_limit.max_concurrency, 1);
  // Token shape: base64(bot id).x.y
  assert.equal(atob(server.token.split(".")[0]), server.botId);
  assert.equal(server.token.split(".").length, 3);

  const unknownChannel = await call(server, "/channels/1234567890123456789/messages");
  assert.deepEqual(unknownChannel.body, { message: "Unknown Channel", code: 10003 });
  assert.equal(unknownChannel.status, 404);
  const unknownMessage = await call(
    server,
    `/channels/${server.channelId}/messages/1234567890123456789`,
  );
  assert.deepEqual([unknownMessage.status, unknownMessage.body.code], [404, 10008]);
  const unknownHook = await call(server, "/webhooks/1234567890123456789/abc", {
    method: "POST",
    body: "{}",
    auth: false,
  });
  assert.deepEqual([unknownHook.status, unknownHook.body.code], [404, 10015]);
  const empty = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: "{}",
  });
  assert.deepEqual([empty.status, empty.body.code], [400, 50006]);
  const long = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({ content: "x".repeat(2001) }),
  });
  assert.equal(long.status, 400);
  assert.equal(long.body.code, 50035);
  assert.equal(long.body.errors.content._errors[0].code, "BASE_TYPE_MAX_LENGTH");
  const bigEmbed = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({ embeds: [{ description: "x".repeat(4097) }] }),
  });
  assert.equal(
    bigEmbed.body.errors.embeds["0"].description._errors[0].code,
    "BASE_TYPE_MAX_LENGTH",
  );
  const notFound = await call(server, "/nope");
  assert.equal(notFound.status, 404);
  const log = server.state().requests;
  assert.equal(log.length, 12);
  assert.deepEqual(log[0], { ...log[0], method: "GET", path: "/users/@me", status: 401 });
});

Deno.test("REST: message history is newest first with before/after/around/limit", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    ids.push(
      (await server.postAsUser({
        channelId: server.channelId,
        userId: server.ownerId,
        content: `m${i}`,
      })).id,
    );
  }
  const list = async (q: string) =>
    (await call(server, `/channels/${server.channelId}/messages${q}`)).body.map((
      m: { content: string },
    ) => m.content);
  assert.deepEqual(await list("?limit=3"), ["m9", "m8", "m7"]);
  assert.deepEqual(await list(`?before=${ids[5]}&limit=2`), ["m4", "m3"]);
  assert.deepEqual(await list(`?after=${ids[5]}&limit=2`), ["m7", "m6"]);
  assert.deepEqual(await list(`?after=${ids[7]}`), ["m9", "m8"]);
  assert.deepEqual(await list(`?around=${ids[5]}&limit=3`), ["m6", "m5", "m4"]);
  assert.equal((await list("")).length, 10);
  const bad = await call(server, `/channels/${server.channelId}/messages?limit=101`);
  assert.equal(bad.body.code, 50035);
  // snowflakes carry their creation time
  const first = server.messages(server.channelId)[0];
  const ms = Number(BigInt(first.id) >> 22n) + 1420070400000;
  assert.equal(ms, Date.parse(first.timestamp));
});

Deno.test("REST: edit, delete, typing, threads from a message, without one, and forum posts", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const own = (await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({ content: "draft", allowed_mentions: { parse: [] } }),
  })).body;
  const edited = await call(server, `/channels/${server.channelId}/messages/${own.id}`, {
    method: "PATCH",
    body: JSON.stringify({ content: "final" }),
  });
  assert.equal(edited.body.content, "final");
  assert.ok(edited.body.edited_timestamp);
  const user = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "mine",
  });
  const foreign = await call(server, `/channels/${server.channelId}/messages/${user.id}`, {
    method: "PATCH",
    body: JSON.stringify({ content: "hijack" }),
  });
  assert.deepEqual([foreign.status, foreign.body.code], [403, 50005]);
  assert.equal(
    (await api(server, `/channels/${server.channelId}/typing`, { method: "POST" })).status,
    204,
  );

  const fromMsg = await call(server, `/channels/${server.channelId}/messages/${user.id}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "from-message" }),
  });
  assert.equal(fromMsg.status, 201);
  assert.equal(fromMsg.body.id, user.id);
  assert.equal(fromMsg.body.type, 11);
  const bare = await call(server, `/channels/${server.channelId}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "bare", type: 11 }),
  });
  assert.equal(bare.body.parent_id, server.channelId);
  const sys = server.messages(server.channelId).at(-1)!;
  assert.equal(sys.type, 18, "a thread without a message leaves a THREAD_CREATED system message");
  const post = await call(server, `/channels/${server.forumId}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "forum-post", message: { content: "starter" } }),
  });
  assert.equal(post.body.message.id, post.body.id);
  assert.equal(server.messages(post.body.id)[0].content, "starter");
  const noMessage = await call(server, `/channels/${server.forumId}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "x" }),
  });
  assert.equal(noMessage.body.code, 50035);

  assert.equal(
    (await api(server, `/channels/${server.channelId}/messages/${own.id}`, { method: "DELETE" }))
      .status,
    204,
  );
  assert.ok(!server.messages(server.channelId).some((m) => m.id === own.id));
  const active = await call(server, `/guilds/${server.guildId}/threads/active`);
  assert.equal(active.body.threads.length, 3);
  const archived = await call(server, `/channels/${server.channelId}/threads/archived/public`);
  assert.deepEqual(archived.body, { threads: [], members: [], has_more: false });
  assert.equal(
    (await api(server, `/channels/${bare.body.id}/thread-members/@me`, { method: "PUT" })).status,
    204,
  );
  const guilds = await call(server, "/users/@me/guilds");
  assert.deepEqual(guilds.body.map((g: { id: string }) => g.id), [server.guildId]);
});

Deno.test("webhooks: wait, thread_name, thread_id, 220001-220003, message get/edit/delete", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const hook = (url: string, q = "", body: unknown = { content: "hi" }, method = "POST") =>
    fetch(`${url}${q}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const noWait = await hook(server.textWebhookUrl);
  assert.equal(noWait.status, 204);
  assert.equal(await noWait.text(), "");
  const waited = await hook(server.textWebhookUrl, "?wait=true", {
    content: "waited",
    username: "Status",
  });
  const msg = await waited.json();
  assert.equal(msg.content, "waited");
  assert.equal(msg.author.username, "Status");
  assert.equal(msg.webhook_id, msg.author.id);

  const forumNoName = await (await hook(server.webhookUrl, "?wait=true")).json();
  assert.equal(forumNoName.code, 220001);
  const created =
    await (await hook(server.webhookUrl, "?wait=true", { content: "start", thread_name: "s1" }))
      .json();
  assert.equal(created.channel_id, created.id);
  const both = await (await hook(server.webhookUrl, `?wait=true&thread_id=${created.channel_id}`, {
    content: "x",
    thread_name: "s2",
  })).json();
  assert.equal(both.code, 220002);
  const notForum =
    await (await hook(server.textWebhookUrl, "?wait=true", { content: "x", thread_name: "s3" }))
      .json();
  assert.equal(notForum.code, 220003);
  const again = await (await hook(server.webhookUrl, `?wait=true&thread_id=${created.channel_id}`, {
    content: "again",
  }))
    .json();
  assert.equal(again.channel_id, created.channel_id);
  const wrongThread = await hook(server.webhookUrl, "?wait=true&thread_id=1234567890123456789", {
    content: "x",
  });
  assert.equal((await wrongThread.json()).code, 10003);
  const badToken = await hook(server.webhookUrl.replace(/\/[^/]+$/, "/wrong"), "?wait=true");
  assert.equal(badToken.status, 401);
  await badToken.body?.cancel();

  const msgUrl = `${server.webhookUrl}/messages/${again.id}?thread_id=${created.channel_id}`;
  const got = await (await fetch(msgUrl)).json();
  assert.equal(got.content, "again");
  const patched = await (await hook(msgUrl, "", { content: "edited" }, "PATCH")).json();
  assert.equal(patched.content, "edited");
  assert.equal((await fetch(msgUrl, { method: "DELETE" })).status, 204);
  assert.equal((await (await fetch(msgUrl)).json()).code, 10008);

  const execs = server.state().webhookExecutions;
  assert.deepEqual(execs.map((e) => e.status), [204, 200, 400, 200, 400, 400, 200, 404, 401]);
  assert.equal(execs[3].query.wait, "true");
  assert.equal(execs[6].queryString, `?wait=true&thread_id=${created.channel_id}`);
});

Deno.test("interactions: callbacks 4/5/6/7, 40060 twice, 10062 after the 3 s deadline, follow-ups", async () => {
  await using server = await startDiscordServer({
    port: 0,
    rateLimits: false,
    interactionDeadlineMs: 300,
  });
  const buttons = {
    content: "Pick",
    components: [{
      type: 1,
      components: [1, 2, 3, 4].map((n) => ({
        type: 2,
        style: 1,
        label: `b${n}`,
        custom_id: `b${n}`,
      })),
    }],
  };
  const prompt = (await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify(buttons),
  })).body;
  const cb = (id: string, token: string, body: unknown, q = "") =>
    call(server, `/interactions/${id}/${token}/callback${q}`, {
      method: "POST",
      body: JSON.stringify(body),
      auth: false,
    });
  const tokens: Record<string, string> = {};
  server.onEvent((t, d) => {
    if (t === "INTERACTION_CREATE") tokens[d.id as string] = d.token as string;
  });

  const c1 = await server.clickButton({
    messageId: prompt.id,
    customId: "b1",
    userId: server.ownerId,
  });
  const r4 = await cb(c1.interactionId, tokens[c1.interactionId], {
    type: 4,
    data: { content: "reply" },
  }, "?with_response=true");
  assert.equal(r4.status, 200);
  assert.equal(r4.body.resource.message.content, "reply");
  assert.equal(await c1.answered, true);
  const twice = await cb(c1.interactionId, tokens[c1.interactionId], { type: 6 });
  assert.deepEqual([twice.status, twice.body.code], [400, 40060]);
  // follow-up through the interaction webhook and @original edit
  const follow = await fetch(
    `${server.apiUrl}/v10/webhooks/${server.applicationId}/${tokens[c1.interactionId]}?wait=true`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "follow-up" }),
    },
  );
  assert.equal((await follow.json()).content, "follow-up");
  const orig = await fetch(
    `${server.apiUrl}/v10/webhooks/${server.applicationId}/${
      tokens[c1.interactionId]
    }/messages/@original`,
    {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "reply (edited)" }),
    },
  );
  assert.equal((await orig.json()).content, "reply (edited)");

  const c2 = await server.clickButton({
    messageId: prompt.id,
    customId: "b2",
    userId: server.ownerId,
  });
  assert.equal((await cb(c2.interactionId, tokens[c2.interactionId], { type: 5 })).status, 204);
  const c3 = await server.clickButton({
    messageId: prompt.id,
    customId: "b3",
    userId: server.ownerId,
  });
  assert.equal((await cb(c3.interactionId, tokens[c3.interactionId], { type: 6 })).status, 204);
  const c4 = await server.clickButton({
    messageId: prompt.id,
    customId: "b4",
    userId: server.users.stranger.id,
  });
  assert.equal(await c4.answered, false, "no answer within the deadline");
  const late = await cb(c4.interactionId, tokens[c4.interactionId], {
    type: 7,
    data: { content: "too late" },
  });
  assert.deepEqual([late.status, late.body.code], [404, 10062]);
  const log = server.state().interactionCallbacks;
  assert.deepEqual(log.map((l) => [l.type, l.status, l.late]), [
    [4, 200, false],
    [6, 400, false],
    [5, 204, false],
    [6, 204, false],
    [7, 404, true],
  ]);
  await assert.rejects(
    server.clickButton({ messageId: prompt.id, customId: "nope", userId: server.ownerId }),
  );
});
