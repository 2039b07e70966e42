// The local server against Discord's API description (npm discord-api-spec): the generated
// operation table is fresh, requests that do not conform get Discord's 400 50035, answers are
// checked field by field, the departures are real operations; and the behaviours the spec
// check made visible: nonce + enforce_nonce, PATCH /channels/{id} (archive, un-archive, rename).
import assert from "node:assert/strict";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { buildSpecOperations, OPERATIONS_PATH, readOperations } from "../../testing/_spec_build.ts";
import {
  checkResponse,
  findOperation,
  operationNamed,
  SPEC_OPERATIONS,
} from "../../testing/_spec.ts";
import { exceptionFor, SPEC_EXCEPTIONS } from "../../testing/_spec_exceptions.ts";
import { restRoutes } from "../../testing/_rest.ts";
import { webhookRoutes } from "../../testing/_webhooks.ts";
import { commandRoutes } from "../../testing/_command_routes.ts";

function api(server: DiscordServer, path: string, init: RequestInit & { auth?: boolean } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth !== false) headers.set("authorization", `Bot ${server.token}`);
  if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
  return fetch(`${server.apiUrl}/v10${path}`, { ...init, headers });
}

async function call(server: DiscordServer, path: string, init: RequestInit = {}) {
  const res = await api(server, path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

Deno.test("spec: the committed operation table is the pinned package's Paths (deno task spec)", async () => {
  const root = new URL("../../", import.meta.url);
  const committed = await Deno.readTextFile(new URL(OPERATIONS_PATH, root));
  assert.equal(
    committed,
    await buildSpecOperations(),
    `${OPERATIONS_PATH} is stale: run deno task spec`,
  );
});

Deno.test("spec: the table reader takes parameters, bodies and responses from the Paths interface", () => {
  const source = `
    export interface Paths {
      "/things/{thing_id}": {
        post: {
          parameters: {
            path?: { thing_id: SnowflakeType };
            query?: { wait?: boolean; limit: number };
            header?: never;
            cookie?: never;
          };
          requestBody?: { name: string; tags?: (string | null)[] } | ThingRequest;
          responses: { "200": ThingResponse[] | null; "204": unknown; "4XX": ErrorResponse };
          security: [{}, { BotToken: [] }];
        };
      };
    }
    export type MakeThingParams = Paths["/things/{thing_id}"]["post"]["parameters"];
  `;
  assert.deepEqual(readOperations(source, "1.2.3"), {
    source: "discord-api-spec@1.2.3",
    operations: [{
      name: "MakeThing",
      method: "POST",
      path: "/things/{thing_id}",
      security: ["", "BotToken"],
      pathParams: { thing_id: { ref: "SnowflakeType" } },
      query: {
        wait: { type: "boolean", optional: true },
        limit: { type: "number", optional: false },
      },
      body: {
        union: [
          {
            object: {
              name: { type: "string", optional: false },
              tags: { type: { array: { union: ["string", "null"] } }, optional: true },
            },
          },
          { ref: "ThingRequest" },
        ],
      },
      responses: {
        "200": { union: [{ array: { ref: "ThingResponse" } }, "null"] },
        "204": "unknown",
        "4XX": { ref: "ErrorResponse" },
      },
    }],
  });
  assert.throws(() => readOperations("export interface Other {}", "1"), /no Paths interface/);
});

Deno.test("spec: every route is an operation, found with literal segments before parameters", () => {
  const names = [...restRoutes, ...webhookRoutes, ...commandRoutes].map((r) => {
    const op = SPEC_OPERATIONS.find((o) => o.method === r.method && o.path === r.template);
    assert.ok(op, `${r.method} ${r.template} is not in the description`);
    return op.name;
  });
  assert.equal(new Set(names).size, names.length, "one route per operation");
  const find = findOperation;
  const me = find("GET", "/users/@me");
  assert.ok(typeof me === "object" && me.op.name === "GetMyUser");
  const user = find("GET", "/users/123");
  assert.ok(typeof user === "object" && user.op.name === "GetUser");
  assert.deepEqual(user.params, { user_id: "123" });
  const original = find("PATCH", "/webhooks/1/tok/messages/@original");
  assert.ok(typeof original === "object" && original.op.name === "UpdateOriginalWebhookMessage");
  const emoji = find("PUT", "/channels/1/messages/2/reactions/%F0%9F%91%8D/@me");
  assert.ok(typeof emoji === "object" && emoji.op.name === "AddMyMessageReaction");
  assert.equal(emoji.params.emoji_name, "👍");
  assert.equal(find("POST", "/users/@me"), "method");
  assert.equal(find("GET", "/no/such/path"), undefined);
});

Deno.test("spec: the listed departures name real operations, and their reasons say why", () => {
  for (const e of SPEC_EXCEPTIONS) {
    for (const name of e.operations) if (name !== "*") operationNamed(name);
    assert.ok(e.reason.length > 40, e.at);
  }
  assert.ok(exceptionFor("CreateMessage", "response", ["errors", "content", "_errors", 0, "code"]));
  assert.ok(exceptionFor("CreateThread", "response", ["message"]));
  assert.equal(exceptionFor("GetThread", "response", ["message"]), undefined);
  assert.ok(exceptionFor("CreateMessage", "response", ["code"], 429));
  assert.equal(exceptionFor("CreateMessage", "response", ["code"], 400), undefined);
});

Deno.test("spec: a request that does not conform gets Discord's 400 50035 with field errors", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const post = (body: unknown) =>
    call(server, `/channels/${server.channelId}/messages`, {
      method: "POST",
      body: JSON.stringify(body),
    });
  const wrongType = await post({ content: 5 });
  assert.equal(wrongType.status, 400);
  assert.deepEqual(wrongType.body, {
    message: "Invalid Form Body",
    code: 50035,
    errors: {
      content: {
        _errors: [{ code: "BASE_TYPE_STRING", message: 'Could not interpret "5" as string.' }],
      },
    },
  });
  // send_file's old `attachments: [{ id: 0 }]`: the description's snowflakes are strings.
  const numericId = await post({ content: "x", attachments: [{ id: 0 }] });
  assert.equal(numericId.status, 400);
  assert.equal(numericId.body.errors.attachments["0"].id._errors[0].code, "BASE_TYPE_STRING");
  const notList = await post({ embeds: "x" });
  assert.equal(notList.body.errors.embeds._errors[0].code, "LIST_TYPE_CONVERT");
  const longNonce = await post({ content: "x", nonce: "n".repeat(26) });
  assert.equal(longNonce.body.errors.nonce._errors[0].code, "BASE_TYPE_MAX_LENGTH");
  // Unknown fields are ignored, as Discord ignores them.
  const extra = await post({ content: "fine", not_a_field: true });
  assert.equal(extra.status, 200);
  // The departure "stricter": 2,000 characters for bots, where the description allows 4,000.
  const long = await post({ content: "x".repeat(2001) });
  assert.equal(long.body.errors.content._errors[0].code, "BASE_TYPE_MAX_LENGTH");

  const badQuery = await call(server, `/channels/${server.channelId}/messages?before=abc`);
  assert.equal(badQuery.status, 400);
  assert.deepEqual(badQuery.body.errors.before._errors, [
    { code: "NUMBER_TYPE_COERCE", message: 'Value "abc" is not snowflake.' },
  ]);
  const badLimit = await call(server, `/channels/${server.channelId}/messages?limit=many`);
  assert.equal(badLimit.body.errors.limit._errors[0].code, "NUMBER_TYPE_COERCE");
  const badPath = await call(server, "/channels/general/messages");
  assert.equal(badPath.body.errors.channel_id._errors[0].code, "NUMBER_TYPE_COERCE");
  const badBool = await fetch(
    `${server.apiUrl}/v10/webhooks/${server.textWebhookUrl.split("/").slice(-2).join("/")}` +
      "?wait=truethread_id=1",
    { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
  );
  assert.equal((await badBool.json()).errors.wait._errors[0].code, "BOOLEAN_TYPE_COERCE");
  const notImplemented = await call(server, `/channels/${server.channelId}/pins`);
  assert.equal(notImplemented.status, 404);
  assert.match(notImplemented.body.message, /does not implement DeprecatedListPins/);
  assert.deepEqual(server.specViolations, []);
});

Deno.test("spec: answers are checked field by field, and close() names each departure", async () => {
  const create = operationNamed("CreateMessage");
  const server = await startDiscordServer({ port: 0, rateLimits: false });
  const msg = await (await api(server, `/channels/${server.channelId}/messages`, {
    method: "POST",
    body: JSON.stringify({ content: "hi" }),
  })).json();
  assert.deepEqual(await checkResponse(create, 200, msg), []);
  const { flags: _flags, ...author } = msg.author;
  assert.deepEqual(await checkResponse(create, 200, { ...msg, author, shiny: 1 }), [
    "POST /channels/{channel_id}/messages (CreateMessage) → 200 MessageResponse at author.flags: " +
    "Invalid input: expected number, received undefined",
    "POST /channels/{channel_id}/messages (CreateMessage) → 200 MessageResponse at shiny: " +
    "a field the spec does not have",
  ]);
  assert.deepEqual(await checkResponse(create, 201, msg), [
    "POST /channels/{channel_id}/messages (CreateMessage): status 201 is not one it answers " +
    "(200,429,4XX)",
  ]);
  // A request without the API version is answered, and recorded as a departure.
  await (await fetch(`${server.apiUrl}/users/@me`, {
    headers: { authorization: `Bot ${server.token}` },
  })).body?.cancel();
  await assert.rejects(
    server.close(),
    /GET \/api\/users\/@me \(GetMyUser\) was sent without \/v10/,
  );
});

Deno.test("spec: enforce_nonce answers the first message again; the nonce is echoed", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const post = (body: unknown) =>
    call(server, `/channels/${server.channelId}/messages`, {
      method: "POST",
      body: JSON.stringify(body),
    });
  const first = await post({ content: "once", nonce: "n-1", enforce_nonce: true });
  const retry = await post({ content: "once", nonce: "n-1", enforce_nonce: true });
  assert.equal(first.body.nonce, "n-1");
  assert.equal(retry.body.id, first.body.id);
  assert.equal(retry.body.nonce, "n-1");
  assert.equal(server.messages(server.channelId).length, 1);
  // Without enforce_nonce the nonce is only echoed.
  const a = await post({ content: "twice", nonce: 7 });
  const b = await post({ content: "twice", nonce: 7 });
  assert.notEqual(a.body.id, b.body.id);
  assert.equal(b.body.nonce, 7);
  const got = await call(server, `/channels/${server.channelId}/messages/${a.body.id}`);
  assert.equal(got.body.nonce, undefined, "a later read has no nonce");
});

Deno.test("spec: PATCH /channels/{id} archives, un-archives and renames a thread", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const starter = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "start",
  });
  const thread = await server.createThread({
    parentId: server.channelId,
    name: "t1",
    messageId: starter.id,
  });
  const patch = (body: unknown) =>
    call(server, `/channels/${thread.id}`, { method: "PATCH", body: JSON.stringify(body) });
  const archived = await patch({ archived: true });
  assert.equal(archived.status, 200);
  assert.equal(archived.body.thread_metadata.archived, true);
  const active = await call(server, `/guilds/${server.guildId}/threads/active`);
  assert.deepEqual(active.body.threads.map((t: { id: string }) => t.id), []);
  const listed = await call(server, `/channels/${server.channelId}/threads/archived/public`);
  assert.deepEqual(listed.body.threads.map((t: { id: string }) => t.id), [thread.id]);

  const reopened = await patch({ archived: false, locked: false, name: "t1 again" });
  assert.equal(reopened.body.thread_metadata.archived, false);
  assert.equal(reopened.body.name, "t1 again");

  // A webhook post into an archived thread un-archives it (Execute Webhook, thread_id).
  await patch({ archived: true });
  const [id, token] = server.textWebhookUrl.split("/").slice(-2);
  const hook = await fetch(`${server.apiUrl}/v10/webhooks/${id}/${token}?thread_id=${thread.id}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "status" }),
  });
  assert.equal(hook.status, 204);
  assert.equal(server.state().threads[0].thread_metadata?.archived, false);
  // Archived and locked: no new message (160005) until un-archived by someone who may.
  await patch({ archived: true, locked: true });
  const locked = await call(server, `/channels/${thread.id}/messages`, {
    method: "POST",
    body: JSON.stringify({ content: "x" }),
  });
  assert.deepEqual([locked.status, locked.body.code], [400, 160005]);

  const channel = await call(server, `/channels/${server.channelId}`, {
    method: "PATCH",
    body: JSON.stringify({ topic: "status of things" }),
  });
  assert.equal(channel.body.topic, "status of things");
});
