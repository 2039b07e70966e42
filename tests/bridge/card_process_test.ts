// The status card across bridge restarts (a bridge process is not needed: the test starts a
// short-lived process only to have a pid that is gone): a restarted bridge edits only the cards
// whose session changed while it was down, and the card of a session whose Claude Code process
// died without SessionEnd says it ended.
import { assertEquals } from "../_assert.ts";
import { startBridge, world } from "./_helpers.ts";
import { edits, session, SID, until } from "./_card.ts";

Deno.test("card: a restarted bridge edits only the cards whose session changed meanwhile; a session whose process is gone is ended", async () => {
  await using w = await world();
  const transcript = await session(w);
  {
    await using _bridge = await startBridge(w, { cardIntervalMs: 200 });
    transcript.prompt("go");
    transcript.tool("Bash");
    await until(w, "working", /working: Bash/);
    await new Promise((r) => setTimeout(r, 500));
  }
  const before = edits(w).length;
  {
    // Nothing changed: no edit.
    await using bridge = await startBridge(w, { cardIntervalMs: 200 });
    await new Promise((r) => setTimeout(r, 1000));
    await bridge.idle();
    assertEquals(edits(w).length, before, "no edit for an unchanged card");
  }
  // The session's process died without SessionEnd while no bridge ran.
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  await w.registry.register({ id: SID, cwd: "/work/app", pid: dead.pid });
  await using _bridge = await startBridge(w, { cardIntervalMs: 200 });
  await until(w, "ended", /ended\*\* \(its Claude Code process is gone\)/);
});
