// Two machines on one bot token with processes: the permission hook of a session on one machine
// answered by a click that only its bridge acknowledges, and both bridges as processes with one
// killed (kill -9) and restarted mid-stream (it RESUMEs; nothing lost, misrouted or duplicated).
import { startDiscordServer } from "../../testing/mod.ts";
import { HELD } from "../../inbox.ts";
import { PostIndex } from "../../posts.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { commandOf, configure, fixture, runHookCommand } from "../hooks/_helpers.ts";
import { counts, finish } from "./_helpers.ts";
import {
  type Machine,
  machine,
  openThreads,
  postAs,
  postPrompt,
  spawnMachineBridge,
  startMachineBridge,
  waitMachineConnected,
} from "./_machines.ts";

const A1 = "a1b2c3d4-0000-4000-8000-000000000a01";
const B1 = "b1b2c3d4-0000-4000-8000-000000000b01";
const A2 = "a2b2c3d4-0000-4000-8000-000000000a02";
const B2 = "b2b2c3d4-0000-4000-8000-000000000b02";
const SESSIONS = [A1, B1, A2, B2];

Deno.test("machines: a click on the laptop's permission prompt is answered once, by the laptop, and decides its hook", async () => {
  await using server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: false },
  });
  await using laptop = await machine(server, "laptop", [
    { id: A1, cwd: "/src/api" },
    { id: B1, cwd: "/src/web" },
  ]);
  await using desk = await machine(server, "desk", [
    { id: A2, cwd: "/src/api" },
    { id: B2, cwd: "/src/docs" },
  ]);
  const command = commandOf(
    configure(laptop.home, { permissionTimeoutSeconds: 30 }, server),
    "PermissionRequest",
    "permission",
  );
  await using one = await startMachineBridge(laptop);
  await using two = await startMachineBridge(desk);
  await Promise.all([openThreads(laptop, [A1, B1]), openThreads(desk, [A2, B2])]);

  const run = runHookCommand(command, fixture("PermissionRequest", A1), {}, 60_000);
  const prompt = await waitFor(
    "the prompt",
    () =>
      server.state().messages.find((m) => JSON.stringify(m.components ?? []).includes("cd:perm:")),
    20_000,
  );
  assertEquals(prompt.channel_id, laptop.session(A1).threadId, "in A1's thread");
  const allow = JSON.stringify(prompt.components).match(/"custom_id":"(cd:perm:[^"]+:allow)"/)![1];
  const click = await server.clickButton({
    messageId: prompt.id,
    customId: allow,
    userId: server.ownerId,
  });
  const r = await run;
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout), {
    hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "allow" } },
  });
  assert(await click.answered);
  await Promise.all([one.idle(), two.idle()]);
  // One callback (the laptop's), accepted: no second answer, so no 40060.
  const callbacks = server.state().interactionCallbacks.filter((c) =>
    c.interactionId === click.interactionId
  );
  assertEquals(callbacks.map((c) => [c.type, c.status]), [[6, 204]]);
  const mailbox = new PostIndex(laptop.home).ownerOf(prompt.id)!;
  assertMatch(mailbox, /^perm-/);
  assertEquals(new PostIndex(desk.home).ownerOf(prompt.id), undefined);
  // The desk stored nothing of it.
  for (const sid of [A2, B2, mailbox]) {
    assertEquals(desk.mailbox(sid).filter((e) => e.kind === "button"), [], sid);
  }
});

Deno.test("machines: kill -9 of one bridge mid-stream, then restart: it RESUMEs, nothing lost, misrouted or duplicated", async () => {
  await using server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: false },
  });
  await using laptop = await machine(server, "laptop", [
    { id: A1, cwd: "/src/api" },
    { id: B1, cwd: "/src/web" },
  ]);
  await using desk = await machine(server, "desk", [
    { id: A2, cwd: "/src/api" },
    { id: B2, cwd: "/src/docs" },
  ]);
  const owner = (sid: string): Machine => sid === A1 || sid === B1 ? laptop : desk;
  let first = spawnMachineBridge(laptop);
  const second = spawnMachineBridge(desk);
  const expected = new Map<string, string[]>(SESSIONS.map((s) => [s, []]));
  const clicks: [string, string, string][] = [];
  const expect = (id: string, to: string[]) => {
    for (const s of to) expected.get(s)!.push(id);
  };
  try {
    await Promise.all([
      waitMachineConnected(laptop, first.pid),
      waitMachineConnected(desk, second.pid),
    ]);
    const threads = Object.fromEntries([
      ...(await openThreads(laptop, [A1, B1])).map((t, i) => [[A1, B1][i], t]),
      ...(await openThreads(desk, [A2, B2])).map((t, i) => [[A2, B2][i], t]),
    ]) as Record<string, string>;
    const prompts = {
      ra1: await postPrompt(laptop, A1, "ra1"),
      rb2: await postPrompt(desk, B2, "rb2"),
    } as Record<string, string>;
    const posts: Record<string, string> = {};
    for (const s of SESSIONS) posts[s] = await postAs(owner(s), s, `a reply of ${s.slice(0, 2)}`);
    const say = (content: string, extra = {}) =>
      server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content, ...extra })
        .then((m) => m.id);

    for (let i = 0; i < 240; i++) {
      const s = SESSIONS[i % 4];
      switch (i % 4 === 0 ? 0 : 1 + (i % 3)) {
        case 0:
          expect(await say(`to everyone ${i}`), SESSIONS);
          break;
        case 1:
          expect(await say(`in the thread ${i}`, { channelId: threads[s] }), [s]);
          break;
        case 2:
          expect(await say(`@${owner(s).session(s).name} ${i}`), [s]);
          break;
        default:
          expect(await say(`re ${i}`, { messageReference: { message_id: posts[s] } }), [s]);
      }
      if (i === 80) first.kill("SIGKILL");
      if (i === 120) {
        assertEquals((await first.status).signal, "SIGKILL");
        await finish(first);
        first = spawnMachineBridge(laptop);
      }
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await waitMachineConnected(laptop, first.pid);
    // Clicks on each machine's prompt: stored and answered by that machine alone, once.
    for (const [s, request] of [[A1, "ra1"], [B2, "rb2"]]) {
      const click = await server.clickButton({
        messageId: prompts[request],
        customId: `cd:perm:${request}:allow`,
        userId: server.ownerId,
      });
      assert(await click.answered, `${request} answered`);
      clicks.push([s, request, click.interactionId]);
    }
    // Reactions on each machine's post reach their session only.
    for (const s of [A1, B2]) {
      await server.addReaction({
        channelId: threads[s],
        messageId: threads[s],
        userId: server.ownerId,
        emoji: "👀",
      });
      expect(`r:${threads[s]}:${server.ownerId}:👀`, [s]);
    }
    await waitFor("every event", () =>
      SESSIONS.every((s) => {
        const have = new Set(owner(s).ids(s));
        return expected.get(s)!.every((id) => have.has(id));
      }), 30_000);
    await new Promise((r) => setTimeout(r, 500)); // room for a late duplicate or stray event
  } finally {
    first.kill("SIGTERM");
    second.kill("SIGTERM");
    await Promise.all([finish(first), finish(second)]);
  }
  for (const s of SESSIONS) {
    const got = owner(s).ids(s);
    assertEquals([...counts(got)].filter(([, n]) => n > 1), [], `${s}: no duplicates`);
    assertEquals([...got].sort(), [...expected.get(s)!].sort(), `${s}: exactly its events`);
  }
  assertEquals([laptop.mailbox(HELD), desk.mailbox(HELD)], [[], []]);
  for (const [s, request, interaction] of clicks) {
    const other = owner(s) === laptop ? desk : laptop;
    assertEquals(owner(s).ids(`perm-${request}`), [interaction]);
    assertEquals(other.ids(`perm-${request}`), []);
    const answers = server.state().interactionCallbacks.filter((c) =>
      c.interactionId === interaction
    );
    assertEquals(answers.map((c) => [c.type, c.status]), [[6, 204]], `${request}: one answer`);
  }
  // The laptop's restart resumed its session: one IDENTIFY per machine in all.
  const connections = server.state().gatewayConnections;
  assertEquals(connections.filter((c) => c.identified).length, 2);
  assert(connections.some((c) => c.resumed));
  assertMatch(laptop.log(), /gateway: resuming the saved session/);
});
