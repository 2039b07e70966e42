// The local server's REST surface at the HTTP level: auth, Discord error JSON,
// message history cursors, threads, webhooks (wait / thread_id / thread_name
// and 220001–220003), webhook messages, interaction callbacks and deadlines.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
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
  assertEquals(noAuth.status, 401);
  assertEquals(noAuth.body, { message: "401: Unauthorized", code: 0 });
  const bad = await call(server, "/users/@me", {
    headers: { authorization: "Bot nope" },
    auth: false,
  });
  assertEquals(bad.status, 401);
  const me = await call(server, "/users/@me");
  assertEquals(me.body.id, server.botId);
  assertEquals(me.body.bot, true);
  const app = await call(server, "/applications/@me");
  assertEquals(app.body.id, server.applicationId);
  assertEquals(app.body.owner.id, server.ownerId);
  assertEquals(app.body.flags & (1 << 19), 1 << 19);
  const gw = await call(server, "/gateway/bot");
  assertEquals(gw.body.url, server.gatewayUrl);
  assertEquals(gw.body.session_start_limit.max_concurrency, 1);
  // Token shape: base64(bot id).x.y
  assertEquals(atob(server.token.split(".")[0]), server.botId);
  assertEquals(server.token.split(".").length, 3);

  const unknownChannel = await call(server, "/channels/1234567890123456789/messages");
  assertEquals(unknownChannel.body, { message: "Unknown Channel", code: 10003 });
  assertEquals(unknownChannel.status, 404);
  const unknownMessage = await call(
    server,
    `/channels/${server.channelId}/messages/1234567890123456789`,
  );
  assertEquals([unknownMessage.status, unknownMessage.body.code], [404, 10008]);
  const unknownHook = await call(server, "/webhooks/1234567890123456789/abc", {
    method: "POST",
    body: "{}",
    auth: false,
  });
  assertEquals([unknownHook.status, unknownHook.body.code], [404, 10015]);
  const empty = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: "{}",
  });
  assertEquals([empty.status, empty.body.code], [400, 50006]);
  const long = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({ content: "x".repeat(2001) }),
  });
  assertEquals(long.status, 400);
  assertEquals(long.body.code, 50035);
  assertEquals(long.body.errors.content._errors[0].code, "BASE_TYPE_MAX_LENGTH");
  const bigEmbed = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({ embeds: [{ description: "x".repeat(4097) }] }),
  });
  assertEquals(
    bigEmbed.body.errors.embeds["0"].description._errors[0].code,
    "BASE_TYPE_MAX_LENGTH",
  );
  const notFound = await call(server, "/nope");
  assertEquals(notFound.status, 404);
  const log = server.state().requests;
  assertEquals(log.length, 12);
  assertEquals(log[0], { ...log[0], method: "GET", path: "/users/@me", status: 401 });
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
  assertEquals(await list("?limit=3"), ["m9", "m8", "m7"]);
  assertEquals(await list(`?before=${ids[5]}&limit=2`), ["m4", "m3"]);
  assertEquals(await list(`?after=${ids[5]}&limit=2`), ["m7", "m6"]);
  assertEquals(await list(`?after=${ids[7]}`), ["m9", "m8"]);
  assertEquals(await list(`?around=${ids[5]}&limit=3`), ["m6", "m5", "m4"]);
  assertEquals((await list("")).length, 10);
  const bad = await call(server, `/channels/${server.channelId}/messages?limit=101`);
  assertEquals(bad.body.code, 50035);
  // snowflakes carry their creation time
  const first = server.messages(server.channelId)[0];
  const ms = Number(BigInt(first.id) >> 22n) + 1420070400000;
  assertEquals(ms, Date.parse(first.timestamp));
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
  assertEquals(edited.body.content, "final");
  assert(edited.body.edited_timestamp);
  const user = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "mine",
  });
  const foreign = await call(server, `/channels/${server.channelId}/messages/${user.id}`, {
    method: "PATCH",
    body: JSON.stringify({ content: "hijack" }),
  });
  assertEquals([foreign.status, foreign.body.code], [403, 50005]);
  assertEquals(
    (await api(server, `/channels/${server.channelId}/typing`, { method: "POST" })).status,
    204,
  );

  const fromMsg = await call(server, `/channels/${server.channelId}/messages/${user.id}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "from-message" }),
  });
  assertEquals(fromMsg.status, 201);
  assertEquals(fromMsg.body.id, user.id);
  assertEquals(fromMsg.body.type, 11);
  const bare = await call(server, `/channels/${server.channelId}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "bare", type: 11 }),
  });
  assertEquals(bare.body.parent_id, server.channelId);
  const sys = server.messages(server.channelId).at(-1)!;
  assertEquals(
    sys.type,
    18,
    "a thread without a message leaves a THREAD_CREATED system message",
  );
  const post = await call(server, `/channels/${server.forumId}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "forum-post", message: { content: "starter" } }),
  });
  assertEquals(post.body.message.id, post.body.id);
  assertEquals(server.messages(post.body.id)[0].content, "starter");
  const noMessage = await call(server, `/channels/${server.forumId}/threads`, {
    method: "POST",
    body: JSON.stringify({ name: "x" }),
  });
  assertEquals(noMessage.body.code, 50035);

  assertEquals(
    (await api(server, `/channels/${server.channelId}/messages/${own.id}`, { method: "DELETE" }))
      .status,
    204,
  );
  assert(!server.messages(server.channelId).some((m) => m.id === own.id));
  const active = await call(server, `/guilds/${server.guildId}/threads/active`);
  assertEquals(active.body.threads.length, 3);
  const archived = await call(server, `/channels/${server.channelId}/threads/archived/public`);
  assertEquals(archived.body, { threads: [], members: [], has_more: false });
  assertEquals(
    (await api(server, `/channels/${bare.body.id}/thread-members/@me`, { method: "PUT" })).status,
    204,
  );
  const guilds = await call(server, "/users/@me/guilds");
  assertEquals(guilds.body.map((g: { id: string }) => g.id), [server.guildId]);
});

Deno.test("webhooks: wait, thread_name, thread_id, 220001-220003, message get/edit/delete", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  // Webhook URLs come unversioned, as Discord hands them out; requests name the version.
  const v10 = (url: string) => url.replace("/api/webhooks/", "/api/v10/webhooks/");
  const hook = (url: string, q = "", body: unknown = { content: "hi" }, method = "POST") =>
    fetch(`${v10(url)}${q}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const noWait = await hook(server.textWebhookUrl);
  assertEquals(noWait.status, 204);
  assertEquals(await noWait.text(), "");
  const waited = await hook(server.textWebhookUrl, "?wait=true", {
    content: "waited",
    username: "Status",
  });
  const msg = await waited.json();
  assertEquals(msg.content, "waited");
  assertEquals(msg.author.username, "Status");
  assertEquals(msg.webhook_id, msg.author.id);

  const forumNoName = await (await hook(server.webhookUrl, "?wait=true")).json();
  assertEquals(forumNoName.code, 220001);
  const created =
    await (await hook(server.webhookUrl, "?wait=true", { content: "start", thread_name: "s1" }))
      .json();
  assertEquals(created.channel_id, created.id);
  const both = await (await hook(server.webhookUrl, `?wait=true&thread_id=${created.channel_id}`, {
    content: "x",
    thread_name: "s2",
  })).json();
  assertEquals(both.code, 220002);
  const notForum =
    await (await hook(server.textWebhookUrl, "?wait=true", { content: "x", thread_name: "s3" }))
      .json();
  assertEquals(notForum.code, 220003);
  const again = await (await hook(server.webhookUrl, `?wait=true&thread_id=${created.channel_id}`, {
    content: "again",
  }))
    .json();
  assertEquals(again.channel_id, created.channel_id);
  const wrongThread = await hook(server.webhookUrl, "?wait=true&thread_id=1234567890123456789", {
    content: "x",
  });
  assertEquals((await wrongThread.json()).code, 10003);
  const badToken = await hook(server.webhookUrl.replace(/\/[^/]+$/, "/wrong"), "?wait=true");
  assertEquals(badToken.status, 401);
  await badToken.body?.cancel();

  const msgUrl = `${v10(server.webhookUrl)}/messages/${again.id}?thread_id=${created.channel_id}`;
  const got = await (await fetch(msgUrl)).json();
  assertEquals(got.content, "again");
  const patched = await (await hook(msgUrl, "", { content: "edited" }, "PATCH")).json();
  assertEquals(patched.content, "edited");
  assertEquals((await fetch(msgUrl, { method: "DELETE" })).status, 204);
  assertEquals((await (await fetch(msgUrl)).json()).code, 10008);

  const execs = server.state().webhookExecutions;
  assertEquals(execs.map((e) => e.status), [204, 200, 400, 200, 400, 400, 200, 404, 401]);
  assertEquals(execs[3].query.wait, "true");
  assertEquals(execs[6].queryString, `?wait=true&thread_id=${created.channel_id}`);
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
  assertEquals(r4.status, 200);
  assertEquals(r4.body.resource.message.content, "reply");
  assertEquals(await c1.answered, true);
  const twice = await cb(c1.interactionId, tokens[c1.interactionId], { type: 6 });
  assertEquals([twice.status, twice.body.code], [400, 40060]);
  // follow-up through the interaction webhook and @original edit
  const follow = await fetch(
    `${server.apiUrl}/v10/webhooks/${server.applicationId}/${tokens[c1.interactionId]}?wait=true`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "follow-up" }),
    },
  );
  assertEquals((await follow.json()).content, "follow-up");
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
  assertEquals((await orig.json()).content, "reply (edited)");

  const c2 = await server.clickButton({
    messageId: prompt.id,
    customId: "b2",
    userId: server.ownerId,
  });
  assertEquals((await cb(c2.interactionId, tokens[c2.interactionId], { type: 5 })).status, 204);
  const c3 = await server.clickButton({
    messageId: prompt.id,
    customId: "b3",
    userId: server.ownerId,
  });
  assertEquals((await cb(c3.interactionId, tokens[c3.interactionId], { type: 6 })).status, 204);
  const c4 = await server.clickButton({
    messageId: prompt.id,
    customId: "b4",
    userId: server.users.stranger.id,
  });
  assertEquals(await c4.answered, false, "no answer within the deadline");
  const late = await cb(c4.interactionId, tokens[c4.interactionId], {
    type: 7,
    data: { content: "too late" },
  });
  assertEquals([late.status, late.body.code], [404, 10062]);
  const log = server.state().interactionCallbacks;
  assertEquals(log.map((l) => [l.type, l.status, l.late]), [
    [4, 200, false],
    [6, 400, false],
    [5, 204, false],
    [6, 204, false],
    [7, 404, true],
  ]);
  await assertRejects(() =>
    server.clickButton({ messageId: prompt.id, customId: "nope", userId: server.ownerId })
  );
});

Deno.test("REST: embed fields come back with inline (false when the request left it out), as Discord answers", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const sent = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({
      embeds: [{
        title: "STATUS",
        fields: [{ name: "a", value: "1" }, {
          name: "b",
          value: "2",
          inline: true,
        }],
      }],
    }),
  });
  assertEquals(sent.status, 200);
  assertEquals(sent.body.embeds[0].fields, [
    { name: "a", value: "1", inline: false },
    { name: "b", value: "2", inline: true },
  ]);
  await server.close(); // no departure from Discord's API description
});

Deno.test("REST: a reply's referenced_message comes without the reactions of the message it answers, as Discord answers", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const asked = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "how far?",
  });
  const put = await api(
    server,
    `/channels/${server.channelId}/messages/${asked.id}/reactions/${encodeURIComponent("📬")}/@me`,
    { method: "PUT" },
  );
  assertEquals(put.status, 204);
  const reply = await call(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({ content: "halfway", message_reference: { message_id: asked.id } }),
  });
  assertEquals(reply.status, 200);
  assertEquals(reply.body.referenced_message.id, asked.id);
  assertEquals(reply.body.referenced_message.reactions, undefined);
  assertEquals(server.messages(server.channelId)[0].reactions?.length, 1, "the message keeps them");
  await server.close(); // no departure from Discord's API description
});
