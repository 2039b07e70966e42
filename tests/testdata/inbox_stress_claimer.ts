// Stress claimer, like a hook: waits for its session's mailbox and claims it. Inside
// `deliver` it records the batch in its own results file before the queue commits.
// Killed with SIGKILL at random and restarted by tests/inbox/stress_process_test.ts; exits 0 once
// `<home>/stop` exists and nothing is pending.
//   inbox_stress_claimer.ts <home> <session> <resultsDir>
import { Inbox } from "../../inbox.ts";
import { STRESS_DEDUPE_WINDOW } from "./inbox_stress_common.ts";

const [home, session, resultsDir] = Deno.args;
const results = `${resultsDir}/${session}.${Deno.pid}.jsonl`;
const inbox = new Inbox(home, { dedupeWindow: STRESS_DEDUPE_WINDOW });
const stopFile = `${home}/stop`;

function pause(): Promise<void> | void {
  if (Math.random() < 0.3) return new Promise((r) => setTimeout(r, Math.random() * 5));
}

function stopRequested(): boolean {
  try {
    Deno.statSync(stopFile);
    return true;
  } catch {
    return false;
  }
}

while (true) {
  const stopping = stopRequested();
  if (!stopping) {
    await inbox.waitForMessages(session, { timeoutMs: 200 });
    // A hook runs between tool calls, not on every write: let a few appends gather.
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
  }
  try {
    await inbox.claim(session, async (events) => {
      // A deliver that fails before handing anything over (e.g. stdout closed).
      await pause();
      if (Math.random() < 0.02) throw new Error("injected deliver failure");
      Deno.writeTextFileSync(results, JSON.stringify(events.map((e) => e.id)) + "\n", {
        append: true,
      });
      // Widen the window between deliver and commit, where a kill must cause redelivery.
      await pause();
      // A deliver that fails after handing over: nothing may be committed.
      if (Math.random() < 0.02) throw new Error("injected deliver failure");
    });
  } catch (err) {
    if (!(err instanceof Error && err.message === "injected deliver failure")) throw err;
    continue;
  }
  if (stopping && (await inbox.pending(session)) === 0) break;
}
