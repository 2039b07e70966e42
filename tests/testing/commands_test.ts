// Application commands on the local server, as Discord's Application Commands topic describes
// them: bulk overwrite (idempotent: same names keep their ids and versions), list, create as
// an upsert (201 new, 200 overwritten), edit, delete, global ones beside the guild's; the
// naming and option rules answered with 50035 field errors; the per-type and daily limits;
// commands kept in a saved world.
import { assert, assertEquals, assertNotEquals } from "../_assert.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";

function client(server: DiscordServer, scope: "guild" | "global" = "guild") {
  const base = `${server.apiUrl}/v10/applications/${server.applicationId}` +
    (scope === "guild" ? `/guilds/${server.guildId}/commands` : "/commands");
  return async (method: string, path = "", body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bot ${server.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

const SESSIONS = { name: "sessions", description: "List the live sessions" };
const STOP = {
  name: "stop",
  description: "Stop a session",
  options: [{
    type: 3,
    name: "session",
    description: "The session",
    required: true,
    autocomplete: true,
  }],
};

Deno.test("commands: a guild bulk overwrite is idempotent; a change keeps the id and bumps the version; list and delete", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const api = client(server);
  const first = await api("PUT", "", [SESSIONS, STOP]);
  assertEquals(first.status, 200);
  assertEquals(first.body.map((c: { name: string }) => c.name), ["sessions", "stop"]);
  const stop = first.body[1];
  assertEquals(stop.application_id, server.applicationId);
  assertEquals(stop.guild_id, server.guildId);
  assertEquals(stop.type, 1);
  assertEquals(stop.default_member_permissions, null);
  assertEquals(stop.options, STOP.options);
  const again = await api("PUT", "", [SESSIONS, STOP]);
  assertEquals(again.body, first.body, "same names, same content: same ids and versions");
  const changed = await api("PUT", "", [
    { ...SESSIONS, description: "Every live session" },
    STOP,
    { name: "status", description: "The bridge's health" },
  ]);
  assertEquals(changed.body[0].id, first.body[0].id);
  assertNotEquals(changed.body[0].version, first.body[0].version);
  assertEquals(changed.body[1].version, first.body[1].version);
  const listed = await api("GET");
  assertEquals(listed.body.map((c: { name: string }) => c.name), ["sessions", "stop", "status"]);
  assertEquals((await api("GET", `/${stop.id}`)).body.name, "stop");
  assertEquals((await api("DELETE", `/${stop.id}`)).status, 204);
  assertEquals((await api("GET", `/${stop.id}`)).body.code, 10063);
  assertEquals((await api("DELETE", `/${stop.id}`)).body.code, 10063);
  // An overwrite with fewer commands removes the others; an empty one removes all.
  assertEquals((await api("PUT", "", [STOP])).body.length, 1);
  assertEquals((await api("PUT", "", [])).body, []);
  assertEquals(server.commands(), []);
  await server.close(); // every answer conformed to Discord's API description
});

Deno.test("commands: global ones beside the guild's; create is an upsert (201, then 200); edit replaces given fields", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const global = client(server, "global");
  const created = await global("POST", "", { ...SESSIONS, default_member_permissions: "0" });
  assertEquals(created.status, 201);
  assertEquals(created.body.default_member_permissions, "0");
  assertEquals(created.body.dm_permission, true);
  assertEquals(created.body.guild_id, undefined);
  const upsert = await global("POST", "", { ...SESSIONS, description: "All of them" });
  assertEquals(upsert.status, 200);
  assertEquals(upsert.body.id, created.body.id);
  const edited = await global("PATCH", `/${created.body.id}`, { description: "Edited" });
  assertEquals([edited.body.name, edited.body.description], ["sessions", "Edited"]);
  await client(server)("PUT", "", [{ ...SESSIONS, description: "The guild's own" }]);
  assertEquals(server.commands().map((c) => [c.name, c.guild_id ?? "global"]), [
    ["sessions", "global"],
    ["sessions", server.guildId],
  ]);
  const wrongGuild = await fetch(
    `${server.apiUrl}/v10/applications/${server.applicationId}/guilds/1234567890123456789/commands`,
    { headers: { authorization: `Bot ${server.token}` } },
  );
  assertEquals([wrongGuild.status, (await wrongGuild.json()).code], [404, 10004]);
  await server.close();
});

Deno.test("commands: names, descriptions and options are checked as Discord documents them (50035 with field errors)", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const api = client(server);
  const error = async (commands: unknown[]) => {
    const r = await api("PUT", "", commands);
    assertEquals([r.status, r.body.code], [400, 50035]);
    return r.body.errors;
  };
  const code = (errs: Record<string, unknown>, path: (string | number)[]): string => {
    let node: unknown = errs;
    for (const k of path) node = (node as Record<string, unknown>)[String(k)];
    return (node as { _errors: { code: string }[] })._errors[0].code;
  };
  assertEquals(
    code(await error([{ name: "Stop", description: "x" }]), [0, "name"]),
    "APPLICATION_COMMAND_INVALID_NAME",
  );
  assertEquals(
    code(await error([{ name: "has space", description: "x" }]), [0, "name"]),
    "APPLICATION_COMMAND_INVALID_NAME",
  );
  assertEquals(
    code(await error([{ name: "ok", description: "" }]), [0, "description"]),
    "BASE_TYPE_BAD_LENGTH",
  );
  assertEquals(
    code(await error([SESSIONS, SESSIONS]), [1]),
    "APPLICATION_COMMANDS_DUPLICATE_NAME",
  );
  const optionErrors = await error([{
    name: "bad",
    description: "bad options",
    options: [
      { type: 5, name: "flag", description: "a flag", autocomplete: true },
      { type: 3, name: "must", description: "required after optional", required: true },
      {
        type: 3,
        name: "both",
        description: "choices and autocomplete",
        autocomplete: true,
        choices: [{ name: "a", value: "a" }],
      },
      { type: 3, name: "flag", description: "same name again" },
    ],
  }]);
  assertEquals(
    code(optionErrors, [0, "options", 0, "autocomplete"]),
    "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_INVALID",
  );
  assertEquals(
    code(optionErrors, [0, "options", 1, "required"]),
    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
  );
  assertEquals(
    code(optionErrors, [0, "options", 2, "autocomplete"]),
    "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES_INVALID",
  );
  assertEquals(
    code(optionErrors, [0, "options", 3, "name"]),
    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
  );
  // What the description itself refuses: a name over 32 characters.
  assertEquals(
    code(await error([{ name: "x".repeat(33), description: "x" }]), [0, "name"]),
    "BASE_TYPE_MAX_LENGTH",
  );
  // Nothing was stored by the refused overwrites.
  assertEquals((await api("GET")).body, []);
  // User and message commands: mixed case and spaces, no description.
  const ok = await api("PUT", "", [{ type: 3, name: "Stop This Session", description: "" }]);
  assertEquals(ok.status, 200);
  await server.close();
});

Deno.test("commands: 100 per type and scope (30032); 200 new commands per guild per day (30034), names already there do not count", async () => {
  let now = Date.now();
  await using server = await startDiscordServer({ port: 0, rateLimits: false, now: () => now });
  const api = client(server);
  const many = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, description: "d" }));
  assertEquals((await api("PUT", "", many("a", 101))).body.code, 30032);
  assertEquals((await api("PUT", "", many("a", 100))).status, 200);
  assertEquals((await api("PUT", "", many("a", 100))).status, 200, "no new name: no create");
  assertEquals((await api("PUT", "", many("b", 100))).status, 200);
  const over = await api("PUT", "", [...many("b", 99), { name: "c", description: "d" }]);
  assertEquals([over.status, over.body.code, over.body.global], [429, 30034, false]);
  assert(over.body.retry_after > 0 && over.body.retry_after <= 86_400);
  now += 24 * 60 * 60_000;
  assertEquals((await api("PUT", "", [{ name: "c", description: "d" }])).status, 200);
});

Deno.test("commands: a saved world keeps them, with their ids", async () => {
  const first = await startDiscordServer({ port: 0, rateLimits: false });
  const made = (await client(first)("PUT", "", [SESSIONS, STOP])).body;
  const world = first.saveWorld();
  await first.close();
  await using again = await startDiscordServer({ port: 0, world });
  assertEquals(again.commands(), made);
  const overwritten = (await client(again)("PUT", "", [SESSIONS, STOP])).body;
  assertEquals(overwritten.map((c: { id: string }) => c.id), made.map((c: { id: string }) => c.id));
  assert(world.commands?.length === 2);
});
