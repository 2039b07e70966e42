// Slash commands on the local server, as Discord's Receiving and Responding topic describes
// them: INTERACTION_CREATE type 2 with typed options, type 4 (autocomplete) with the focused
// option; callbacks 4 (ephemeral or not), 5 (deferred), 8 (choices), once within the deadline
// (40060 after, 10062 late), wrong types refused; follow-ups and @original for the token; the
// ephemeral answers only with the interaction; and the control routes over HTTP.
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";

const COMMANDS = [
  { name: "sessions", description: "List the live sessions" },
  {
    name: "stop",
    description: "Stop a session",
    options: [
      { type: 3, name: "session", description: "The session", required: true, autocomplete: true },
      { type: 4, name: "after", description: "Seconds", min_value: 0, max_value: 60 },
      { type: 3, name: "how", description: "How", choices: [{ name: "now", value: "now" }] },
      { type: 6, name: "for", description: "On behalf of" },
    ],
  },
  {
    name: "machine",
    description: "Per machine",
    options: [{
      type: 1,
      name: "label",
      description: "Set the label",
      options: [{ type: 3, name: "text", description: "The label", required: true }],
    }],
  },
];

/** A server with the commands registered, and a recorder of INTERACTION_CREATE. */
async function setup(opts: { interactionDeadlineMs?: number } = {}) {
  const server = await startDiscordServer({ port: 0, rateLimits: false, ...opts });
  const res = await fetch(
    `${server.apiUrl}/v10/applications/${server.applicationId}/guilds/${server.guildId}/commands`,
    {
      method: "PUT",
      headers: { authorization: `Bot ${server.token}`, "content-type": "application/json" },
      body: JSON.stringify(COMMANDS),
    },
  );
  assertEquals(res.status, 200);
  await res.body?.cancel();
  const seen = new Map<string, Record<string, unknown>>();
  const messageCreates: string[] = [];
  server.onEvent((t, d) => {
    if (t === "INTERACTION_CREATE") seen.set(d.id as string, d);
    if (t === "MESSAGE_CREATE") messageCreates.push(d.id as string);
  });
  return { server, seen, messageCreates };
}

function rest(server: DiscordServer) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.apiUrl}/v10${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

Deno.test("slash: INTERACTION_CREATE type 2 carries the command's id, name, type and typed options; the client's checks refuse bad input", async () => {
  const { server, seen } = await setup();
  await using _ = server;
  const cmd = server.commands().find((c) => c.name === "stop")!;
  const run = await server.runCommand({
    name: "stop",
    options: { session: "alpha", after: "5", for: server.users.stranger.id },
    channelId: server.channelId,
  });
  const d = seen.get(run.interactionId)!;
  assertEquals(d.type, 2);
  assertEquals(d.channel_id, server.channelId);
  assertEquals(d.guild_id, server.guildId);
  assertEquals((d.member as { user: { id: string } }).user.id, server.ownerId);
  const data = d.data as Record<string, unknown>;
  assertEquals([data.id, data.name, data.type, data.guild_id], [cmd.id, "stop", 1, server.guildId]);
  assertEquals(data.options, [
    { type: 3, name: "session", value: "alpha" },
    { type: 4, name: "after", value: 5 },
    { type: 6, name: "for", value: server.users.stranger.id },
  ]);
  const resolved = data.resolved as { users: Record<string, { username: string }> };
  assertEquals(resolved.users[server.users.stranger.id].username, "stranger");
  // Sub-commands nest; the user defaults to the owner.
  const sub = await server.runCommand({
    name: "machine",
    subcommand: "label",
    options: { text: "laptop" },
  });
  assertEquals((seen.get(sub.interactionId)!.data as { options: unknown }).options, [
    { type: 1, name: "label", options: [{ type: 3, name: "text", value: "laptop" }] },
  ]);
  for (
    const [bad, why] of [
      [{ name: "nope" }, /not registered/],
      [{ name: "stop" }, /needs the option "session"/],
      [{ name: "stop", options: { session: "a", after: "x" } }, /not an integer/],
      [{ name: "stop", options: { session: "a", after: 61 } }, /at most 60/],
      [{ name: "stop", options: { session: "a", how: "later" } }, /one of "now"/],
      [{ name: "stop", options: { session: "a", extra: 1 } }, /no option "extra"/],
      [{ name: "machine" }, /needs a subcommand: one of label/],
    ] as const
  ) {
    const e = await assertRejects(() => server.runCommand(bad));
    assert(why.test((e as Error).message), (e as Error).message);
  }
  // Every interaction is recorded; the refused runs made none.
  assertEquals(server.state().interactions.map((i) => i.commandName), ["stop", "machine"]);
});

Deno.test("slash: an ephemeral answer (4, flag 64) stays with the interaction; a second callback gets 40060; types 6 and 7 are for components", async () => {
  const { server, seen, messageCreates } = await setup();
  await using _ = server;
  const api = rest(server);
  const run = await server.runCommand({ name: "sessions" });
  const { id, token } = seen.get(run.interactionId) as { id: string; token: string };
  const wrong = await api("POST", `/interactions/${id}/${token}/callback`, { type: 7, data: {} });
  assertEquals([wrong.status, wrong.body.code], [400, 50035]);
  assertEquals(wrong.body.errors.type._errors[0].code, "BASE_TYPE_CHOICES");
  const answer = await api("POST", `/interactions/${id}/${token}/callback?with_response=true`, {
    type: 4,
    data: { content: "2 live sessions", flags: 64 },
  });
  assertEquals(answer.status, 200);
  assertEquals(answer.body.interaction.type, 2);
  assertEquals(answer.body.interaction.response_message_ephemeral, true);
  const message = answer.body.resource.message;
  assertEquals([message.type, message.flags, message.content], [20, 64, "2 live sessions"]);
  assertEquals(message.interaction_metadata.type, 2);
  assertEquals(message.interaction_metadata.user.id, server.ownerId);
  assertEquals(await run.answered, true);
  const again = await api("POST", `/interactions/${id}/${token}/callback`, {
    type: 4,
    data: { content: "x" },
  });
  assertEquals([again.status, again.body.code], [400, 40060]);
  assertEquals(server.messages(server.channelId), [], "an ephemeral answer is in no channel");
  assertEquals(messageCreates, [], "and in no gateway event");
  const record = server.interaction(run.interactionId)!;
  assertEquals(record.acknowledged, true);
  assertEquals(record.responseType, 4);
  assertEquals(record.messages.map((m) => m.content), ["2 live sessions"]);
  assertEquals(
    server.state().interactionCallbacks.map((c) => [c.kind, c.commandName, c.type, c.status]),
    [["command", "sessions", 7, 400], ["command", "sessions", 4, 200], [
      "command",
      "sessions",
      4,
      400,
    ]],
  );
  // A public answer is a channel message of type 20 (CHAT_INPUT_COMMAND).
  const pub = await server.runCommand({ name: "sessions" });
  const p = seen.get(pub.interactionId) as { id: string; token: string };
  await api("POST", `/interactions/${p.id}/${p.token}/callback`, {
    type: 4,
    data: { content: "public" },
  });
  const inChannel = server.messages(server.channelId);
  assertEquals(inChannel.map((m) => [m.type, m.content]), [[20, "public"]]);
  assertEquals(messageCreates, [inChannel[0].id]);
  await server.close();
});

Deno.test("slash: deferred (5, ephemeral), then follow-ups: the first edits the loading message, the next are new; @original and by id; 15-minute tokens need an answer first", async () => {
  const { server, seen, messageCreates } = await setup({ interactionDeadlineMs: 300 });
  await using _ = server;
  const api = rest(server);
  const run = await server.runCommand({ name: "sessions" });
  const { id, token } = seen.get(run.interactionId) as { id: string; token: string };
  const hook = `/webhooks/${server.applicationId}/${token}`;
  const early = await api("POST", hook, { content: "too early" });
  assertEquals([early.status, early.body.code], [404, 10015], "no follow-up before an answer");
  const deferred = await api("POST", `/interactions/${id}/${token}/callback?with_response=true`, {
    type: 5,
    data: { flags: 64 },
  });
  assertEquals(deferred.body.interaction.response_message_loading, true);
  assertEquals(deferred.body.resource, undefined, "a deferral returns no resource");
  const loading = await api("GET", `${hook}/messages/@original`);
  assertEquals(loading.body.flags, 64 | 128);
  const first = await api("POST", hook, { content: "machine A: s1, s2" });
  assertEquals(first.body.id, loading.body.id, "the first follow-up edits the loading message");
  assertEquals(first.body.flags, 64);
  const second = await api("POST", hook, { content: "machine B: s3", flags: 64 });
  assertEquals(second.body.flags, 64);
  assertEquals(second.body.interaction_metadata.original_response_message_id, loading.body.id);
  const third = await api("POST", hook, { content: "a public follow-up" });
  assertEquals(third.body.flags, 0);
  assertEquals(server.messages(server.channelId).map((m) => m.content), ["a public follow-up"]);
  assertEquals(messageCreates, [third.body.id]);
  const got = await server.waitForAnswers(run.interactionId, { messages: 3, timeoutMs: 1000 });
  assertEquals(got?.messages.map((m) => m.content), [
    "machine A: s1, s2",
    "machine B: s3",
    "a public follow-up",
  ]);
  const edited = await api("PATCH", `${hook}/messages/${second.body.id}`, {
    content: "machine B: none",
  });
  assertEquals([edited.body.content, edited.body.flags], ["machine B: none", 64]);
  assertEquals(
    (await api("GET", `${hook}/messages/${second.body.id}`)).body.content,
    "machine B: none",
  );
  assertEquals(
    (await api("PATCH", `${hook}/messages/@original`, { content: "all" })).body.content,
    "all",
  );
  assertEquals((await api("DELETE", `${hook}/messages/${third.body.id}`)).status, 204);
  assertEquals(server.messages(server.channelId), []);
  assertEquals((await api("DELETE", `${hook}/messages/@original`)).status, 204);
  assertEquals((await api("GET", `${hook}/messages/@original`)).body.code, 10008);
  assertEquals(server.interaction(run.interactionId)!.messages.map((m) => m.content), [
    "machine B: none",
  ]);
  // Not answered within the deadline: the callback gets 10062, the token takes no follow-up.
  const late = await server.runCommand({ name: "sessions" });
  assertEquals(await late.answered, false);
  const l = seen.get(late.interactionId) as { id: string; token: string };
  const lateAnswer = await api("POST", `/interactions/${l.id}/${l.token}/callback`, { type: 5 });
  assertEquals([lateAnswer.status, lateAnswer.body.code], [404, 10062]);
  assertEquals(
    (await api("POST", `/webhooks/${server.applicationId}/${l.token}`, { content: "x" })).body.code,
    10015,
  );
  await server.close();
});

Deno.test("slash: autocomplete (type 4) sends the focused option and takes choices (8) only; no answer in time gives none", async () => {
  const { server, seen } = await setup({ interactionDeadlineMs: 300 });
  await using _ = server;
  const api = rest(server);
  server.onEvent((t, d) => {
    if (t !== "INTERACTION_CREATE" || d.type !== 4) return;
    const typed = (d.data as { options: { value: string; focused?: boolean }[] }).options
      .find((o) => o.focused)!.value;
    if (typed === "silent") return;
    const url = `/interactions/${d.id}/${d.token}/callback`;
    void (async () => {
      const refused = await api("POST", url, { type: 4, data: { content: "no" } });
      assertEquals(refused.body.code, 50035);
      const ok = await api("POST", url, {
        type: 8,
        data: {
          choices: ["alpha", "alpine"].filter((c) => c.startsWith(typed)).map((c) => ({
            name: c,
            value: c,
          })),
        },
      });
      assertEquals(ok.status, 204);
    })();
  });
  const got = await server.autocomplete({
    name: "stop",
    focused: "session",
    options: { session: "alp", after: 3 },
  });
  assertEquals(got.answered, true);
  assertEquals(got.choices, [{ name: "alpha", value: "alpha" }, {
    name: "alpine",
    value: "alpine",
  }]);
  const d = seen.get(got.interactionId)!;
  assertEquals(d.type, 4);
  assertEquals((d.data as { options: unknown }).options, [
    { type: 3, name: "session", value: "alp", focused: true },
    { type: 4, name: "after", value: 3 },
  ]);
  // An empty focused option is sent too; required options may be missing while typing.
  const empty = await server.autocomplete({ name: "stop", focused: "session" });
  assertEquals(empty.choices.length, 2);
  const silent = await server.autocomplete({
    name: "stop",
    focused: "session",
    options: { session: "silent" },
  });
  assertEquals([silent.answered, silent.choices], [false, []]);
  await assertRejects(() => server.autocomplete({ name: "stop", focused: "how" }));
  // An autocomplete token takes no follow-up.
  const token = (seen.get(got.interactionId) as { token: string }).token;
  assertEquals(
    (await api("POST", `/webhooks/${server.applicationId}/${token}`, { content: "x" })).body.code,
    10015,
  );
  await server.close();
});

Deno.test("slash over the control API: commands, command (wait), interactions/{id} waiting for answers, autocomplete", async () => {
  const { server, seen } = await setup();
  await using _ = server;
  const api = rest(server);
  server.onEvent((t, d) => {
    if (t !== "INTERACTION_CREATE") return;
    const url = `/interactions/${d.id}/${d.token}/callback`;
    if (d.type === 4) {
      void api("POST", url, { type: 8, data: { choices: [{ name: "s1", value: "s1" }] } });
    } else {
      void (async () => {
        await api("POST", url, { type: 5, data: { flags: 64 } });
        await api("POST", `/webhooks/${server.applicationId}/${d.token}`, { content: "A: s1" });
        await api("POST", `/webhooks/${server.applicationId}/${d.token}`, {
          content: "B: s2",
          flags: 64,
        });
      })();
    }
  });
  const control = async (method: string, path: string, body?: unknown) =>
    await (await fetch(`${server.origin}/_control/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    })).json();
  assertEquals((await control("GET", "commands")).map((c: { name: string }) => c.name), [
    "sessions",
    "stop",
    "machine",
  ]);
  const run = await control("POST", "command", { name: "sessions", wait: true });
  assertEquals(run.answered, true);
  const record = await control(
    "GET",
    `interactions/${run.interactionId}?messages=2&timeoutMs=3000`,
  );
  assertEquals(record.messages.map((m: { content: string }) => m.content), ["A: s1", "B: s2"]);
  assertEquals([record.kind, record.commandName, record.userId], [
    "command",
    "sessions",
    server.ownerId,
  ]);
  assertEquals(seen.get(run.interactionId)!.channel_id, server.channelId);
  const ac = await control("POST", "autocomplete", {
    name: "stop",
    focused: "session",
    options: { session: "s" },
  });
  assertEquals(ac.choices, [{ name: "s1", value: "s1" }]);
  const unknown = await control("POST", "command", { name: "nope" });
  assertEquals(unknown.code, 10063);
  assertEquals((await control("GET", "interactions/1234567890123456789")).code, 10062);
  await server.close();
});
