// Every install is recorded in the state directory, so status and doctor report on all of them
// from wherever they run: the claude-discord checkout (where setup's last line sends you) sees
// the project's install; hooks taken out of a recorded file are named with the command that
// puts them back.
import { loadConfig } from "../../config.ts";
import { runSetup } from "../../_setup/flow.ts";
import { renderChecks, runDoctor } from "../../_setup/doctor.ts";
import { collectStatus, counterLines, renderStatus } from "../../_setup/status.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { ROOT } from "../_fixture.ts";
import { capture, flagsFor, setupWorld } from "./_helpers.ts";

Deno.test("status and doctor from the checkout report the project's install recorded by setup", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  await runSetup(flagsFor(server, world, { statusChannel: server.forumId }), capture().io);
  const load = () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } });
  const doctor = () =>
    runDoctor({ home: world.home, loadConfig: load, projectDir: ROOT, homeDir: world.userHome });
  const local = `${world.project}/.claude/settings.local.json`;

  const healthy = await doctor();
  const text = renderChecks(healthy);
  const install = healthy.filter((c) => ["hooks", "mcp", "rules"].includes(c.label));
  assertEquals(install.map((c) => [c.label, c.level]), [
    ["hooks", "ok"],
    ["mcp", "ok"],
    ["rules", "ok"],
  ], text);
  assertMatch(text, new RegExp(`ok {3}hooks +${local}: 10 events \\(local\\)`));
  assertMatch(
    text,
    /ok {3}rules +Claude replies, reacts, edits and reads without asking; send_file asks each time/,
  );
  const status = renderStatus(await collectStatus(world.home, load));
  assertMatch(
    status,
    new RegExp(`Installs \\(1\\):\\n {2}local {2}${world.project} {2}hooks in ${local}`),
  );

  // Hooks taken out by hand: both say so, doctor with the command that puts them back.
  Deno.writeTextFileSync(local, "{}");
  const broken = renderChecks(await doctor());
  assertMatch(
    broken,
    new RegExp(
      `FAIL hooks +${local} no longer holds the claude-discord hooks setup put there: run \`deno task setup --project ${world.project}\` again`,
    ),
  );
  assert(!/No install recorded/.test(broken), broken);
  assertMatch(renderStatus(await collectStatus(world.home, load)), /hooks GONE from/);
});

Deno.test("status: the bridge's counters read as what was delivered, ignored as expected, and missed", () => {
  assertEquals(counterLines(12, { webhook: 9, bot: 4, "not-allowed": 2, empty: 1 }), [
    "  delivered: 12 events",
    "  ignored: 9 webhook posts, 4 bot posts (expected)",
    "  not delivered: 2 messages from users not allowed, 1 message without text (MESSAGE CONTENT intent?)",
  ]);
  assertEquals(counterLines(1, { bot: 1 }), [
    "  delivered: 1 event",
    "  ignored: 1 bot post (expected)",
  ]);
  assertEquals(counterLines(0, {}), ["  delivered: 0 events"]);
});

Deno.test("installs.json damaged: moved aside, status and doctor say so, the next setup starts a new record", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  await using world = await setupWorld();
  Deno.mkdirSync(world.home, { recursive: true });
  const record = `${world.home}/installs.json`;
  Deno.writeTextFileSync(record, '{"installs": [{"scope": "local", "sett');
  const load = () => loadConfig({ env: { CLAUDE_DISCORD_HOME: world.home } });
  const status = await collectStatus(world.home, load);
  assertEquals(status.installs, []);
  assertMatch(
    renderStatus(status),
    /WARNING: .*installs\.json is damaged \(not JSON\): moved to .*installs\.json\.damaged/,
  );
  assertEquals(
    Deno.readTextFileSync(`${record}.damaged`),
    '{"installs": [{"scope": "local", "sett',
  );
  Deno.writeTextFileSync(record, '{"installs": [{"scope": "everywhere"}]}');
  const checks = await runDoctor({
    home: world.home,
    loadConfig: load,
    projectDir: world.project,
    homeDir: world.userHome,
  });
  assertMatch(
    renderChecks(checks),
    /warn +installs +.*installs\.json is damaged \(unexpected content\)/,
  );
  const { io, lines } = capture();
  await runSetup(flagsFor(server, world), io);
  const after = await collectStatus(world.home, load);
  assertEquals(after.installs.map((i) => i.scope), ["local"], lines.join("\n"));
});
