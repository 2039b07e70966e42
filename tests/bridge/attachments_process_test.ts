// The bridge as a process, killed with SIGKILL in the middle of a download: the message is not
// written half (the cursor stays before it), and after the restart it is delivered once, with
// its file.
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { counts, finish, spawnBridge, waitConnected, world } from "./_helpers.ts";

Deno.test("process: kill -9 mid-download, then restart: the message is delivered once, with its file", async () => {
  await using w = await world({ sessions: ["s1"] });
  const bytes = new Uint8Array(1 << 20);
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, at + 65536));
  }
  // About 5 s for the file: long enough to kill the bridge in the middle.
  w.server.fault({ kind: "cdn", bytesPerSecond: 200_000 });
  // The process still to stop at the end (none between the kill and the restart).
  let bridge: Deno.ChildProcess | undefined = spawnBridge(w);
  let id = "";
  try {
    await waitConnected(w, bridge.pid);
    id = await w.say("the logs", { attachments: [{ filename: "logs.bin", bytes }] });
    const part = () => {
      try {
        return [...Deno.readDirSync(`${w.home}/attachments/${id}`)]
          .filter((e) => e.name.endsWith(".part"))
          .reduce((n, e) => n + Deno.statSync(`${w.home}/attachments/${id}/${e.name}`).size, 0);
      } catch {
        return 0;
      }
    };
    await waitFor("the download to be under way", () => part() > 0, 15_000);
    const killed: Deno.ChildProcess = bridge;
    bridge = undefined;
    killed.kill("SIGKILL");
    assertEquals((await killed.status).signal, "SIGKILL");
    killed.stdout.cancel().catch(() => {});
    killed.stderr.cancel().catch(() => {});
    assert(part() < bytes.length, "killed before the file was complete");
    assertEquals(w.ids("s1"), [], "nothing written for the message");

    w.server.fault({ kind: "cdn", bytesPerSecond: 0 });
    bridge = spawnBridge(w);
    await waitConnected(w, bridge.pid);
    await waitFor("the message", () => w.ids("s1").includes(id), 20_000);
    await new Promise((r) => setTimeout(r, 300)); // room for a late duplicate to show up
  } finally {
    if (bridge !== undefined) {
      bridge.kill("SIGTERM");
      await finish(bridge);
    }
  }
  assertEquals([...counts(w.ids("s1"))], [[id, 1]]);
  const [a] = w.mailbox("s1")[0].attachments;
  assertEquals(a.path, `${w.home}/attachments/${id}/logs.bin`);
  assertEquals(Deno.readFileSync(a.path!), bytes);
  assertEquals([...Deno.readDirSync(`${w.home}/attachments/${id}`)].map((e) => e.name), [
    "logs.bin",
  ]);
});
