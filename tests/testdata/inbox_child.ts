// Child process for tests/inbox/inbox_process_test.ts and bench/inbox_bench.ts.
//   claim-once <home> <mailbox>   claims once and prints the events as one JSON line
//   claim-hang <home> <mailbox>   claims, prints "delivering <ids>" inside deliver, then hangs
//                                 (the parent kills it with SIGKILL before the commit)
import { Inbox } from "../../inbox.ts";

const [mode, home, mailbox] = Deno.args;
const inbox = new Inbox(home);
if (mode === "claim-once") {
  const events = await inbox.claim(mailbox, (events) => {
    console.log(JSON.stringify(events));
  });
  if (events.length === 0) console.log("[]");
} else if (mode === "claim-hang") {
  await inbox.claim(mailbox, async (events) => {
    console.log(`delivering ${events.map((e) => e.id).join(",")}`);
    setInterval(() => {}, 1000); // keep the process alive until it is killed
    await new Promise(() => {});
  });
} else {
  console.error(`unknown mode ${mode}`);
  Deno.exit(2);
}
