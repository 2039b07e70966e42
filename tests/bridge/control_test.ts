// The bridge's control room against the local Discord server: the slash commands (registered at
// READY, idempotently; /sessions, /status, /stop with autocomplete; strangers refused) and Stop
// from Discord (the card's Stop button, /stop, `stop` typed in a session's thread). The hooks'
// side of a stop: tests/hooks/stop_test.ts; with the real CLI: tests/e2e/stop_e2e_test.ts.
import { readStop, stopCustomId } from "../../stop.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import { removeGuildCommands } from "../../_discord/commands.ts";
import { readBridgeStatus } from "../../daemon.ts";
import { ButtonStyle, ComponentType, EPHEMERAL } from "../../_discord/numbers.ts";
import type { InteractionRecord } from "../../testing/mod.ts";
import { SessionRegistry } from "../../sessions.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { startBridge, type World, world } from "./_helpers.ts";

/** An interaction once the bot's answer has text (a deferral's loading message has none). */
function answerOf(w: World, interactionId: string): Promise<InteractionRecord> {
  return waitFor(`an answer to ${interactionId}`, () => {
    const record = w.server.interaction(interactionId);
    return record?.messages.some((m) => m.content !== "") ? record : undefined;
  }, 5000);
}

function text(record: InteractionRecord): string {
  return record.messages.map((m) => m.content).join("\n");
}

function commandPuts(w: World): number {
  return w.server.state().requests.filter((r) =>
    r.method === "PUT" && /\/applications\/\d+\/guilds\/\d+\/commands$/.test(r.path)
  ).length;
}

const registered = (w: World) =>
  waitFor("the slash commands", () => w.server.commands().length === 3, 10_000);

Deno.test("slash commands: registered at READY; a bridge started again (it RESUMEs) lists them and registers only what is missing; other commands of the application stay", async () => {
  await using w = await world({ server: { identifyBudget: { concurrencyWindowMs: false } } });
  // A command of the application that is not ours.
  const rest = new DiscordRest({ token: w.server.token, apiUrl: w.server.apiUrl });
  const route = `/applications/${w.server.applicationId}/guilds/${w.server.guildId}/commands`;
  await rest.request("POST", route, {
    what: "create a command",
    body: { name: "deploy", description: "Someone else's command" },
  });
  {
    await using _bridge = await startBridge(w);
    await waitFor("ours and theirs", () => w.server.commands().length === 4, 10_000);
  }
  const names = w.server.commands().map((c) => c.name).sort();
  assertEquals(names, ["deploy", "sessions", "status", "stop"]);
  const stop = w.server.commands().find((c) => c.name === "stop")!;
  assertEquals(stop.options?.map((o) => [o.name, o.required, o.autocomplete]), [
    ["session", true, true],
  ]);
  assertEquals(commandPuts(w), 1);
  const gets = () =>
    w.server.state().requests.filter((r) => r.method === "GET" && r.path === route).length;
  let before = gets();
  {
    await using _again = await startBridge(w);
    assertEquals(readBridgeStatus(w.home)?.connectedBy, "resume");
    await waitFor("the second bridge's look at the commands", () => gets() > before, 10_000);
  }
  assertEquals(commandPuts(w), 1, "the set was already right: no second bulk overwrite");
  // Removed meanwhile (setup --uninstall does so): the next bridge puts them back.
  assertEquals(await removeGuildCommands(rest, w.server.applicationId, w.server.guildId), 3);
  before = gets();
  {
    await using _third = await startBridge(w);
    await waitFor("ours again", () => w.server.commands().length === 4, 10_000);
  }
  assertEquals(commandPuts(w), 3, "one PUT of the removal, one of the bridge");
});

Deno.test("/sessions lists exactly the live sessions (ephemeral, with thread links); /status tells the bridge's health; strangers are not allowed", async () => {
  await using w = await world({ sessions: ["aaaa1111", "bbbb2222", "cccc3333"] });
  await w.registry.unregister("cccc3333");
  await w.registry.setThread("aaaa1111", "1100000000000000077");
  await using _bridge = await startBridge(w);
  await registered(w);

  const run = await w.server.runCommand({ name: "sessions" });
  assert(await run.answered, "deferred within 3 s");
  const listed = await answerOf(w, run.interactionId);
  assertEquals(listed.responseType, 5, "deferred, then followed up");
  assertEquals((listed.messages[0].flags ?? 0) & EPHEMERAL, EPHEMERAL);
  const lines = text(listed).split("\n").filter((l) => l.startsWith("•"));
  assertEquals(lines.length, 2, JSON.stringify(listed));
  assertMatch(
    text(listed),
    /\*\*aaaa1111-aaaa\*\* · .* · `aaaa1111` · live · \d+ s · <#1100000000000000077>/,
  );
  assertMatch(text(listed), /\*\*bbbb2222-bbbb\*\* · .* · no thread yet/);
  assert(!text(listed).includes("cccc3333"), "an ended session is not listed");
  assertEquals(w.server.messages(w.server.channelId), [], "ephemeral: in no channel");

  const status = await w.server.runCommand({ name: "status" });
  assertMatch(
    text(await answerOf(w, status.interactionId)),
    /bridge connected since <t:\d+:R>\ndelivered \d+ · held 0 · outbox 0 waiting \(sent 0, refused 0\)\nno error logged/,
  );

  for (const name of ["sessions", "status", "stop"]) {
    const stranger = await w.server.runCommand({
      name,
      userId: w.server.users.stranger.id,
      ...(name === "stop" ? { options: { session: "aaaa1111" } } : {}),
    });
    const answer = text(await answerOf(w, stranger.interactionId));
    assertMatch(answer, /^Not allowed/, name);
    assert(!answer.includes("aaaa"), "no session shown to a stranger");
  }
  assertEquals(readStop(w.home, "aaaa1111"), undefined, "a stranger's /stop stops nothing");
});

Deno.test("/stop: autocomplete offers the live sessions (none to a stranger); the owner's pick writes the stop marker and audit line; an unknown session is answered after the fallback", async () => {
  await using w = await world({ sessions: ["aaaa1111", "bbbb2222", "cccc3333"] });
  await w.registry.unregister("cccc3333");
  await using _bridge = await startBridge(w);
  await registered(w);

  const all = await w.server.autocomplete({ name: "stop", focused: "session" });
  assert(all.answered);
  assertEquals(all.choices.map((c) => c.value).sort(), ["aaaa1111", "bbbb2222"]);
  assertMatch(all.choices[0].name, /^(aaaa1111-aaaa|bbbb2222-bbbb) · .+ · (aaaa1111|bbbb2222)$/);
  const typed = await w.server.autocomplete({
    name: "stop",
    focused: "session",
    options: { session: "BBBB" },
  });
  assertEquals(typed.choices.map((c) => c.value), ["bbbb2222"]);
  const stranger = await w.server.autocomplete({
    name: "stop",
    focused: "session",
    userId: w.server.users.stranger.id,
  });
  assert(stranger.answered);
  assertEquals(stranger.choices, []);

  const run = await w.server.runCommand({ name: "stop", options: { session: "bbbb2222" } });
  const answer = await answerOf(w, run.interactionId);
  assertEquals(answer.responseType, 4);
  assertMatch(text(answer), /Stopping \*\*bbbb2222-bbbb\*\*/);
  const stop = readStop(w.home, "bbbb2222");
  assertEquals([stop?.by, stop?.userId, stop?.via], ["owner", w.server.ownerId, "command"]);
  assertEquals(readStop(w.home, "aaaa1111"), undefined);
  const audit = Deno.readTextFileSync(`${w.home}/audit.log`).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assertEquals(audit.map((a) => [a.decision, a.session, a.by.id, a.via]), [
    ["stop", "bbbb2222", w.server.ownerId, "command"],
  ]);

  // A name works as well as the id; an ended session has nothing to stop.
  const byName = await w.server.runCommand({ name: "stop", options: { session: "aaaa1111-aaaa" } });
  assertMatch(text(await answerOf(w, byName.interactionId)), /Stopping \*\*aaaa1111-aaaa\*\*/);
  const ended = await w.server.runCommand({ name: "stop", options: { session: "cccc3333" } });
  assertMatch(text(await answerOf(w, ended.interactionId)), /has ended: there is nothing to stop/);
  // Nobody has it: after the fallback delay (no other bridge answered first), this one says so.
  const unknown = await w.server.runCommand({ name: "stop", options: { session: "nope" } });
  assertMatch(text(await answerOf(w, unknown.interactionId)), /No live session "nope"/);
});

Deno.test("two machines on one bot: /sessions gets each machine's part; /stop and a Stop click are answered by the session's machine, which alone writes the marker", async () => {
  await using w = await world({
    sessions: ["aaaa1111"],
    server: { identifyBudget: { concurrencyWindowMs: false } },
  });
  await using other = await tempDir("bridge-test-other-");
  await new SessionRegistry(other.path).register({
    id: "bbbb2222",
    cwd: "/work/bbbb2222",
    pid: Deno.pid,
  });
  await using _one = await startBridge(w);
  await using _two = await startBridge(w, { home: other.path });
  await registered(w);

  const run = await w.server.runCommand({ name: "sessions" });
  const both = await waitFor("both parts", () => {
    const r = w.server.interaction(run.interactionId);
    return r && r.messages.filter((m) => m.content !== "").length === 2 ? r : undefined;
  }, 5000);
  const parts = both.messages.map((m) => m.content).sort();
  assertMatch(parts.join("\n"), /aaaa1111-aaaa/);
  assertMatch(parts.join("\n"), /bbbb2222-bbbb/);
  assert(parts.every((p) => (p.match(/^•/gm) ?? []).length === 1), "one session each");

  const stop = await w.server.runCommand({ name: "stop", options: { session: "bbbb2222" } });
  assertMatch(text(await answerOf(w, stop.interactionId)), /Stopping \*\*bbbb2222-bbbb\*\*/);
  assertEquals(readStop(other.path, "bbbb2222")?.via, "command");
  assertEquals(readStop(w.home, "bbbb2222"), undefined);
  const card = await stopButton(w, "aaaa1111");
  const click = await w.server.clickButton({
    messageId: card,
    customId: stopCustomId("aaaa1111"),
    userId: w.server.ownerId,
  });
  assertMatch(text(await answerOf(w, click.interactionId)), /Stopping \*\*aaaa1111-aaaa\*\*/);
  assertEquals(readStop(w.home, "aaaa1111")?.via, "button");
  assertEquals(readStop(other.path, "aaaa1111"), undefined);
  // Each interaction got exactly one accepted answer (the other bridge's fallback was refused).
  await new Promise((r) => setTimeout(r, 2000));
  assertEquals(w.server.interaction(stop.interactionId)?.messages.length, 1);
});

/** Posts a bot message with a session's Stop button, as its card does. */
async function stopButton(w: World, session: string): Promise<string> {
  const rest = new DiscordRest({ token: w.server.token, apiUrl: w.server.apiUrl });
  const card = await rest.createMessage(w.server.channelId, {
    content: `card of ${session}`,
    components: [{
      type: ComponentType.ActionRow,
      components: [{
        type: ComponentType.Button,
        style: ButtonStyle.Danger,
        label: "Stop",
        custom_id: stopCustomId(session),
      }],
    }],
  });
  return card.id;
}

Deno.test("Stop button: the owner's click writes the marker and answers who was stopped; a stranger's click stops nothing; another machine's session is left to its bridge", async () => {
  await using w = await world({ sessions: ["aaaa1111"] });
  await using _bridge = await startBridge(w);
  const card = await stopButton(w, "aaaa1111");

  const stranger = await w.server.clickButton({
    messageId: card,
    customId: stopCustomId("aaaa1111"),
    userId: w.server.users.stranger.id,
  });
  assertMatch(text(await answerOf(w, stranger.interactionId)), /^Not allowed/);
  assertEquals(readStop(w.home, "aaaa1111"), undefined);

  const owner = await w.server.clickButton({
    messageId: card,
    customId: stopCustomId("aaaa1111"),
    userId: w.server.ownerId,
  });
  assert(await owner.answered);
  const answer = await answerOf(w, owner.interactionId);
  assertMatch(text(answer), /Stopping \*\*aaaa1111-aaaa\*\*/);
  assertEquals((answer.messages[0].flags ?? 0) & EPHEMERAL, EPHEMERAL);
  assertEquals(readStop(w.home, "aaaa1111")?.via, "button");
  assertEquals(w.mailbox("aaaa1111"), [], "a stop is no message to the session");

  const other = await stopButton(w, "ffff9999");
  const elsewhere = await w.server.clickButton({
    messageId: other,
    customId: stopCustomId("ffff9999"),
    userId: w.server.ownerId,
  });
  assertEquals(await elsewhere.answered, false, "not this machine's: no answer from it");
  assertEquals(readStop(w.home, "ffff9999"), undefined);
});

Deno.test("`stop` typed in a session's thread stops it (not delivered; ⏹️ on the message); a stranger's is dropped; `stop` in the channel is a message", async () => {
  await using w = await world({ sessions: ["aaaa1111", "bbbb2222"] });
  const starter = await w.say("thread starter");
  const thread = await w.server.createThread({
    parentId: w.server.channelId,
    name: "aaaa1111-aaaa",
    messageId: starter,
  });
  await w.registry.setThread("aaaa1111", thread.id);
  await using bridge = await startBridge(w);

  const foreign = await w.server.postAsUser({
    channelId: thread.id,
    userId: w.server.users.stranger.id,
    content: "stop",
  });
  const typed = await w.say("  Stop! ", { channelId: thread.id });
  await waitFor("the stop", () => readStop(w.home, "aaaa1111") !== undefined);
  assertEquals(readStop(w.home, "aaaa1111")?.via, "text");
  await waitFor(
    "the ⏹️ reaction",
    () =>
      w.server.messages(thread.id).find((m) => m.id === typed)?.reactions?.some((r) =>
        r.emoji.name === "⏹️" && r.me
      ),
  );
  assert(
    !w.server.messages(thread.id).find((m) => m.id === foreign.id)?.reactions?.length,
    "nothing on a stranger's message",
  );
  const inChannel = await w.say("stop");
  await waitFor("the channel's stop, delivered", () => w.ids("bbbb2222").includes(inChannel));
  await bridge.idle();
  assertEquals(w.ids("aaaa1111"), [inChannel], "the typed stop was not delivered");
  assertEquals(readStop(w.home, "bbbb2222"), undefined);
});
