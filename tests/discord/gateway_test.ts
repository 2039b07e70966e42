// _discord/gateway.ts against the local Discord server: raw dispatches with their sequence,
// RESUME of a saved session (and an IDENTIFY when Discord refuses it), the IDENTIFY hook, fatal
// closes and backoff.
import { fatalCloseMessage, Gateway, type GatewayOptions } from "../../_discord/gateway.ts";
import { createLogger } from "../../log.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

interface Seen {
  t: string;
  d: Record<string, unknown>;
  s: number | null;
}

/** A gateway on the server, recording dispatches, IDENTIFYs and fatal errors. */
function gatewayOn(server: DiscordServer, extra: Partial<GatewayOptions> = {}) {
  const seen: Seen[] = [];
  const fatal: Array<[string, number | undefined]> = [];
  let identifies = 0;
  let asked = 0;
  const gateway = new Gateway({
    token: server.token,
    beforeIdentify: () => {
      asked++;
      return Promise.resolve(server.gatewayUrl);
    },
    onIdentify: () => void identifies++,
    onDispatch: (t, d, s) => void seen.push({ t, d: d as Record<string, unknown>, s }),
    onFatal: (err, code) => void fatal.push([err.message, code]),
    random: () => 0.5,
    ...extra,
  });
  return {
    gateway,
    seen,
    fatal,
    get identifies() {
      return identifies;
    },
    get asked() {
      return asked;
    },
    types: () => seen.map((e) => e.t),
  };
}

Deno.test("gateway: dispatches arrive as sent (snake_case, with their sequence); a throwing handler is logged", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using dir = await tempDir("gateway-test-");
  const log = createLogger(`${dir.path}/x.log`);
  const seen: Seen[] = [];
  const g = gatewayOn(server, {
    log,
    onDispatch(t, d, s) {
      seen.push({ t, d: d as Record<string, unknown>, s });
      if (t === "MESSAGE_CREATE") throw new Error("a handler that throws");
    },
  });
  try {
    g.gateway.connect();
    await waitFor("READY", () => seen.some((e) => e.t === "READY"));
    await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "one",
    });
    await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "two",
    });
    await waitFor("two messages", () => seen.filter((e) => e.t === "MESSAGE_CREATE").length === 2);
    const messages = seen.filter((e) => e.t === "MESSAGE_CREATE");
    assertEquals(messages.map((e) => e.d.content), ["one", "two"]);
    assert(typeof messages[0].d.channel_id === "string", "snake_case, not camelised");
    assertEquals(seen.map((e) => e.s), seen.map((_, i) => i + 1), "sequence numbers");
    assertEquals([g.asked, g.identifies], [1, 1]);
    assert(
      Deno.readTextFileSync(`${dir.path}/x.log`).includes("handler for MESSAGE_CREATE failed"),
    );
  } finally {
    await g.gateway.stop();
  }
});

Deno.test("gateway: a saved session is RESUMEd (no IDENTIFY) and what was missed is replayed", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const first = gatewayOn(server);
  first.gateway.connect();
  await waitFor("READY", () => first.types().includes("GUILD_CREATE"));
  const ready = first.seen[0].d as { session_id: string; resume_gateway_url: string };
  const sequence = first.seen.at(-1)!.s!;
  // The process ends without a 1000/1001 close: Discord keeps the session.
  await first.gateway.stop();
  const missed = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "sent while no bridge ran",
  });
  const second = gatewayOn(server);
  try {
    second.gateway.connect({
      sessionId: ready.session_id,
      sequence,
      resumeGatewayUrl: ready.resume_gateway_url,
    });
    await waitFor("RESUMED", () => second.types().includes("RESUMED"));
    assertEquals(second.types(), ["MESSAGE_CREATE", "RESUMED"]);
    assertEquals(second.seen[0].d.id, missed.id);
    assertEquals([second.asked, second.identifies], [0, 0]);
    const sessions = server.state().gatewaySessions;
    assertEquals(sessions.length, 1);
    assertEquals([sessions[0].identifies, sessions[0].resumes], [1, 1]);
  } finally {
    await second.gateway.stop();
  }
});

Deno.test("gateway: a RESUME Discord refuses (op 9, d false) becomes an IDENTIFY at GET /gateway/bot's URL", async () => {
  // Bridges restart here faster than Discord's one IDENTIFY per 5 s (tested in tests/testing/).
  await using server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: false },
  });
  const first = gatewayOn(server);
  first.gateway.connect();
  await waitFor("READY", () => first.types().includes("GUILD_CREATE"));
  const ready = first.seen[0].d as { session_id: string; resume_gateway_url: string };
  await first.gateway.stop();
  server.fault({ kind: "expireSessions" });
  const invalid: boolean[] = [];
  const second = gatewayOn(server, { onInvalidSession: (r) => void invalid.push(r) });
  try {
    second.gateway.connect({
      sessionId: ready.session_id,
      sequence: 2,
      resumeGatewayUrl: ready.resume_gateway_url,
    });
    await waitFor("READY", () => second.types().includes("READY"), 15_000);
    assertEquals(invalid, [false]);
    assertEquals([second.asked, second.identifies], [1, 1]);
    const identified = server.state().gatewayConnections.filter((c) => c.identified);
    assertEquals(identified.length, 2);
    assert(!identified[1].path.startsWith("/resume"), identified[1].path);
  } finally {
    await second.gateway.stop();
  }
});

Deno.test("gateway: a refused IDENTIFY (beforeIdentify throws) stops it: onFatal, nothing sent", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const g = gatewayOn(server, { beforeIdentify: () => Promise.reject(new Error("over budget")) });
  try {
    g.gateway.connect();
    await waitFor("onFatal", () => g.fatal.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(g.fatal, [["over budget", undefined]]);
    assertEquals([g.identifies, server.state().gatewayConnections.length], [0, 0]);
  } finally {
    await g.gateway.stop();
  }
});

Deno.test("gateway: while the resume host cannot be reached, it keeps RESUMEing (with backoff), not IDENTIFYing", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = dead.addr.port;
  dead.close(); // nothing listens there now
  const delays: number[] = [];
  const g = gatewayOn(server, {
    baseDelayMs: 20,
    maxDelayMs: 40,
    onBackoff: (ms) => delays.push(ms),
  });
  try {
    g.gateway.connect({
      sessionId: "gone",
      sequence: 1,
      resumeGatewayUrl: `ws://127.0.0.1:${port}`,
    });
    await waitFor("five failed attempts", () => delays.length >= 5, 10_000);
    assertEquals([g.asked, g.identifies], [0, 0]);
  } finally {
    await g.gateway.stop();
  }
  // Past the resume window, the shard may IDENTIFY instead.
  const now = Date.now();
  const late = gatewayOn(server, { baseDelayMs: 20, maxDelayMs: 40, now: () => now });
  try {
    late.gateway.connect({
      sessionId: "gone",
      sequence: 1,
      resumeGatewayUrl: `ws://127.0.0.1:${port}`,
      aliveAt: now - 11 * 60_000,
    });
    await waitFor("an IDENTIFY", () => late.types().includes("READY"), 10_000);
    assertEquals(late.asked, 1);
  } finally {
    await late.gateway.stop();
  }
});

Deno.test("gateway: a fatal close calls onFatal once and stops reconnecting", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const g = gatewayOn(server);
  try {
    g.gateway.connect();
    await waitFor("READY", () => g.types().includes("READY"));
    server.fault({ kind: "close", code: 4004 });
    await waitFor("onFatal", () => g.fatal.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(g.fatal, [[fatalCloseMessage(4004), 4004]]);
    assertEquals(server.state().gatewayConnections.length, 1, "no reconnect after a fatal close");
  } finally {
    await g.gateway.stop();
  }
});

Deno.test("gateway: failed reconnects back off exponentially (capped) instead of spinning", async () => {
  const server = await startDiscordServer({ port: 0 });
  const delays: number[] = [];
  const g = gatewayOn(server, {
    baseDelayMs: 100,
    maxDelayMs: 400,
    random: () => 1 - Number.EPSILON,
    onBackoff: (ms) => delays.push(ms),
  });
  try {
    g.gateway.connect();
    await waitFor("READY", () => g.types().includes("READY"));
    await server.close();
    const t0 = performance.now();
    await waitFor("four delayed attempts", () => delays.length >= 4, 10_000);
    // 100 + 200 + 400 ms of waiting at least: no tight loop.
    assert(performance.now() - t0 >= 700, `${delays.length} attempts: ${delays}`);
    assertEquals(delays.slice(0, 4), [100, 200, 400, 400]);
    assert(g.gateway.failures >= 3);
  } finally {
    await g.gateway.stop();
    await server.close();
  }
});

Deno.test("fatal close messages name the fix", () => {
  assert(fatalCloseMessage(4004).startsWith("Discord rejected the token (4004): run setup"));
  assert(fatalCloseMessage(4014).includes("Privileged Gateway Intents"));
  assertEquals(
    fatalCloseMessage(4010, "Invalid shard."),
    "Discord closed the gateway with code 4010 (Invalid shard.): the bridge cannot continue",
  );
});
