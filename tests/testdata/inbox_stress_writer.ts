// Stress writer, like the bridge: appends messages from its own durable cursor onward, each
// to every session it is addressed to, and advances the cursor only after the appends
// resolved. Killed with SIGKILL at random and restarted by tests/inbox/stress_process_test.ts.
//   inbox_stress_writer.ts <home> <total>
import { Inbox } from "../../inbox.ts";
import { addressees, eventFor, SESSIONS, STRESS_DEDUPE_WINDOW } from "./inbox_stress_common.ts";
import type { InboxEvent } from "../../inbox.ts";

const [home, totalArg] = Deno.args;
const total = Number(totalArg);
const cursorPath = `${home}/writer.cursor`;
const inbox = new Inbox(home, { dedupeWindow: STRESS_DEDUPE_WINDOW });

function readCursor(): number {
  try {
    return Number(Deno.readTextFileSync(cursorPath));
  } catch {
    return 0;
  }
}

let cursor = readCursor();
while (cursor < total) {
  const end = Math.min(total, cursor + 1 + Math.floor(Math.random() * 100));
  const bySession = new Map<string, InboxEvent[]>(SESSIONS.map((s) => [s, []]));
  for (let i = cursor; i < end; i++) {
    for (const s of addressees(i)) bySession.get(s)!.push(eventFor(i));
  }
  // The bridge fans a message out to its sessions; appends to different mailboxes overlap.
  await Promise.all(SESSIONS.map((s) => {
    const events = bySession.get(s)!;
    return events.length > 0 ? inbox.append(s, events) : Promise.resolve(0);
  }));
  const tmp = `${cursorPath}.tmp`;
  Deno.writeTextFileSync(tmp, String(end));
  Deno.renameSync(tmp, cursorPath);
  cursor = end;
}
