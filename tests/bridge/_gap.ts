// The test of a gap a recoverable gateway fault leaves (gap_test.ts,
// gap_invalid_session_test.ts; in two files so that the fast tier runs them side by side).
import { assert, assertEquals, waitFor } from "../_assert.ts";
import type { Fault } from "../../testing/mod.ts";
import { counts, startBridge, world } from "./_helpers.ts";

/**
 * Registers the test: after `fault`, messages posted during the gap arrive once in each of two
 * sessions, and a catch-up ran.
 *
 * @param name The fault, as the test name says it.
 * @param fault The fault.
 */
export function gapTest(name: string, fault: Fault): void {
  Deno.test(`catch-up: after ${name}, messages posted during the gap arrive once`, async () => {
    await using w = await world({ sessions: ["s1", "s2"] });
    await using b = await startBridge(w);
    const first = await w.say("before the fault");
    await waitFor("the first message", () => w.ids("s2").includes(first));
    const catchUps = b.stats().catchUps;
    assert(w.server.fault(fault) > 0, "the fault touched the connection");
    const gap: string[] = [];
    for (let i = 0; i < 20; i++) gap.push(await w.say(`during the gap ${i}`));
    await waitFor("a catch-up after the reconnect", () => b.stats().catchUps > catchUps, 20_000);
    const after = await w.say("after the reconnect");
    for (const s of ["s1", "s2"]) {
      await waitFor(
        `everything in ${s}`,
        () => w.ids(s).includes(after) && gap.every((id) => w.ids(s).includes(id)),
        20_000,
      );
    }
    await b.idle();
    for (const s of ["s1", "s2"]) {
      const seen = counts(w.ids(s));
      assertEquals([...seen.values()].every((n) => n === 1), true, `duplicates in ${s}`);
      assertEquals([...seen.keys()].sort(), [first, ...gap, after].sort());
    }
    assert(b.stats().disconnects >= 1);
  });
}
