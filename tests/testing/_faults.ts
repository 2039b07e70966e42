// The gateway fault tests, registered once per real client by faults_discordeno_test.ts and
// faults_discordjs_test.ts (one file each, so the two run in parallel: a fault waits out the
// client's own reconnect timers). Faults: op 7, op 9 (resumable or not), a server close, a
// dropped TCP connection and missed heartbeat ACKs. After a resumable fault every
// MESSAGE_CREATE arrives exactly once, including those dispatched while the client was away
// (replayed from the session buffer); a RESUME of an expired session gets op 9.
import { assert, assertEquals } from "../_assert.ts";
import { type DiscordServer, type Fault, startDiscordServer } from "../../testing/mod.ts";
import { startDiscordeno, startDiscordJs, waitFor } from "./_clients.ts";

/** A real Discord client the local server is tested with. */
export type Kind = "discordeno" | "discord.js";

async function start(kind: Kind, server: DiscordServer) {
  return kind === "discordeno" ? await startDiscordeno(server) : await startDiscordJs(server);
}

const FAULTS: { name: string; fault: Fault; resumable: boolean }[] = [
  { name: "op 7 Reconnect", fault: { kind: "reconnect" }, resumable: true },
  {
    name: "op 9 Invalid Session (resumable)",
    fault: { kind: "invalidSession", resumable: true },
    resumable: true,
  },
  {
    name: "op 9 Invalid Session (not resumable)",
    fault: { kind: "invalidSession", resumable: false },
    resumable: false,
  },
  { name: "a server close 4000", fault: { kind: "close", code: 4000 }, resumable: true },
  { name: "a dropped TCP connection", fault: { kind: "drop" }, resumable: true },
  { name: "missed heartbeat ACKs", fault: { kind: "stopAcks" }, resumable: true },
];

/** Registers the fault tests for one client. */
export function faultTests(kind: Kind): void {
  for (const f of FAULTS) {
    Deno.test(`${kind}: survives ${f.name} with no dispatch lost`, async () => {
      await using server = await startDiscordServer({ port: 0, rateLimits: false });
      const client = await start(kind, server);
      const post = (content: string) =>
        server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content });
      const received = (id: string) =>
        client.events("MESSAGE_CREATE").filter((d) => d.id === id).length;
      try {
        const before = await post("before");
        await waitFor("the first message", () => received(before.id) === 1);
        const touched = server.fault(f.fault);
        assertEquals(touched, 1);
        const expected = [before.id];
        if (f.resumable) {
          // dispatched while the client is (about to be) away: must be replayed on RESUME
          for (const c of ["during 1", "during 2"]) expected.push((await post(c)).id);
          await waitFor(
            "a resumed session",
            () => server.state().gatewaySessions.some((s) => s.resumes >= 1 && s.connected),
            12_000,
          );
        } else {
          await waitFor(
            "a new session",
            () =>
              server.state().gatewaySessions.filter((s) => s.connected && !s.invalidated).length ===
                1 &&
              server.state().gatewaySessions.length === 2,
            12_000,
          );
        }
        expected.push((await post("after")).id);
        await waitFor("every message", () => expected.every((id) => received(id) >= 1), 8000);
        for (const id of expected) {
          assertEquals(received(id), 1, `message ${id} delivered once`);
        }
        const sessions = server.state().gatewaySessions;
        if (f.resumable) {
          assertEquals(sessions.length, 1, "the client resumed instead of identifying again");
          const conns = server.state().gatewayConnections;
          if (f.fault.kind !== "invalidSession" || kind === "discordeno") {
            assert(conns.length >= 2, "a new connection was opened");
            assert(conns.at(-1)!.path.startsWith("/resume"), "it went to resume_gateway_url");
            assert(conns.at(-1)!.resumed);
          }
        } else {
          assertEquals(sessions.length, 2);
          assert(sessions[0].invalidated);
        }
      } finally {
        await client.stop();
      }
    });
  }
  Deno.test(`${kind}: a RESUME of an expired session gets op 9 and the client identifies again`, async () => {
    await using server = await startDiscordServer({ port: 0, rateLimits: false });
    const client = await start(kind, server);
    try {
      assertEquals(server.fault({ kind: "expireSessions" }), 1);
      server.fault({ kind: "drop" });
      await waitFor(
        "a second session",
        () =>
          server.state().gatewaySessions.length === 2 &&
          server.state().gatewaySessions[1].connected,
        12_000,
      );
      const refused = server.state().gatewayConnections.find((c) => c.path.startsWith("/resume"));
      assert(refused, "the client tried to resume first");
      assertEquals(refused.resumed, false, "the RESUME was refused");
      const after = await server.postAsUser({
        channelId: server.channelId,
        userId: server.ownerId,
        content: "after",
      });
      await waitFor(
        "the message on the new session",
        () => client.events("MESSAGE_CREATE").some((d) => d.id === after.id),
      );
    } finally {
      await client.stop();
    }
  });
}
