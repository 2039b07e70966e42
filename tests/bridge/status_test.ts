// _bridge/status.ts: what a run leaves in status.json for whoever restarts it: when it counted
// as healthy, and how it ended (nothing after a crash).
import { readBridgeStatus } from "../../daemon.ts";
import { createLogger } from "../../log.ts";
import { StatusBoard } from "../../_bridge/status.ts";
import { assert, assertEquals } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

Deno.test("StatusBoard: marks the run healthy after its time, and says how it ended", async () => {
  await using dir = await tempDir("bridge-status-");
  const home = dir.path;
  const board = new StatusBoard(home, createLogger(`${home}/bridge.log`), Date.now);
  board.start(60_000, 50);
  let status = readBridgeStatus(home)!;
  assertEquals([status.healthyAt, status.ended], [undefined, undefined], "a crash now: neither");
  const end = Date.now() + 5_000;
  while (readBridgeStatus(home)?.healthyAt === undefined) {
    assert(Date.now() < end, "never marked healthy");
    await new Promise((r) => setTimeout(r, 10));
  }
  board.stop("stopped");
  status = readBridgeStatus(home)!;
  assert(Date.parse(status.healthyAt!) >= Date.parse(status.startedAt) + 50);
  assertEquals(status.ended, "stopped");

  const failing = new StatusBoard(home, createLogger(`${home}/bridge.log`), Date.now);
  failing.start(60_000, 60_000);
  failing.stop("failed");
  status = readBridgeStatus(home)!;
  assertEquals([status.healthyAt, status.ended], [undefined, "failed"]);
});
