// The rate-limit-aware REST client behind notify.ts (_discord/http.ts): how it reads 429
// answers and rate-limit headers, backs off, gives up, and keeps secrets out of messages.
// Discord's answers are scripted here so each header variant is exercised on its own; the
// end-to-end behaviour against the local Discord server is in notify_test.ts.
import assert from "node:assert/strict";
import { DEFAULT_RETRY, DiscordHttp, DiscordUnreachableError } from "../../_discord/http.ts";
import { scrub } from "../../log.ts";

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

function scripted(answers: Answer[]) {
  let t = 1_000_000;
  const sleeps: number[] = [];
  const calls: { url: string; at: number }[] = [];
  const fetchFn = (input: string | URL | Request, _init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(input), at: t });
    const a = answers.shift();
    if (!a) return Promise.reject(new Error("script exhausted"));
    if (a instanceof Error) return Promise.reject(a);
    return Promise.resolve(
      new Response(a.body === undefined ? null : JSON.stringify(a.body), {
        status: a.status,
        headers: { "content-type": "application/json", ...a.headers },
      }),
    );
  };
  const http = (policy = {}) =>
    new DiscordHttp(
      {
        fetch: fetchFn as typeof fetch,
        now: () => t,
        random: () => 0.5,
        sleep: (ms) => {
          sleeps.push(ms);
          t += ms;
          return Promise.resolve();
        },
      },
      { ...DEFAULT_RETRY, ...policy },
      ["bot-secret-token"],
    );
  return { http, sleeps, calls, advance: (ms: number) => (t += ms) };
}

const req = (route = "webhook:1") => ({
  method: "POST" as const,
  url: "http://127.0.0.1:9/api/v10/webhooks/1100000000000000001/hook-secret?wait=true",
  route,
  body: { content: "x" },
});

Deno.test("429: waits retry_after from the body, then succeeds", async () => {
  const s = scripted([
    { status: 429, body: { message: "rl", retry_after: 1.5, global: false } },
    { status: 200, body: { id: "1" } },
  ]);
  const res = await s.http().request(req());
  assert.equal(res.status, 200);
  assert.equal(s.sleeps.length, 1);
  assert.ok(s.sleeps[0] >= 1500 && s.sleeps[0] < 1600, String(s.sleeps));
});

Deno.test("429 without a body: X-RateLimit-Reset-After, else Retry-After", async () => {
  const a = scripted([
    { status: 429, headers: { "x-ratelimit-reset-after": "0.75" } },
    { status: 204 },
  ]);
  await a.http().request(req());
  assert.ok(a.sleeps[0] >= 750 && a.sleeps[0] < 800, String(a.sleeps));
  const b = scripted([{ status: 429, headers: { "retry-after": "3" } }, { status: 204 }]);
  await b.http().request(req());
  assert.ok(b.sleeps[0] >= 3000 && b.sleeps[0] < 3100, String(b.sleeps));
});

Deno.test("a global 429 holds back other routes; a route 429 does not", async () => {
  // Budget 1.5 s: a 2 s wait is refused at once, which shows whether a route must wait.
  const g = scripted([{ status: 429, body: { retry_after: 2, global: true } }]);
  const global = g.http({ budgetMs: 1500 });
  await assert.rejects(global.request(req("a")), DiscordUnreachableError);
  await assert.rejects(global.request(req("b")), DiscordUnreachableError);
  assert.equal(g.calls.length, 1, "route b was sent despite the global limit");

  const r = scripted([
    { status: 429, body: { retry_after: 2, global: false } },
    { status: 200, body: {} },
  ]);
  const route = r.http({ budgetMs: 1500 });
  await assert.rejects(route.request(req("a")), DiscordUnreachableError);
  assert.equal((await route.request(req("b"))).status, 200);
  await assert.rejects(route.request(req("a")), DiscordUnreachableError);
  assert.equal(r.calls.length, 2, "route a was sent again before its reset");
});

Deno.test("X-RateLimit-Remaining: 0 makes the next request wait for the reset", async () => {
  const s = scripted([
    {
      status: 200,
      body: {},
      headers: {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": "1.2",
        "x-ratelimit-bucket": "abc",
      },
    },
    {
      status: 200,
      body: {},
      headers: { "x-ratelimit-remaining": "4", "x-ratelimit-bucket": "abc" },
    },
    { status: 200, body: {} },
  ]);
  const http = s.http();
  await http.request(req());
  assert.equal(s.sleeps.length, 0);
  await http.request(req());
  assert.equal(s.sleeps.length, 1);
  assert.ok(s.sleeps[0] >= 1200 && s.sleeps[0] < 1300, String(s.sleeps));
  assert.equal(s.calls[1].at - s.calls[0].at, s.sleeps[0], "sent only after the wait");
  await http.request(req());
  assert.equal(s.sleeps.length, 1, "remaining 4: no wait");
});

Deno.test("5xx and network errors: capped exponential backoff with jitter, then success", async () => {
  const s = scripted([
    { status: 502 },
    new TypeError("error sending request for url (http://x/webhooks/1/hook-secret): refused"),
    { status: 500 },
    { status: 503 },
    { status: 200, body: { id: "9" } },
  ]);
  const res = await s.http({ baseDelayMs: 100, maxDelayMs: 300 }).request(req());
  assert.equal(res.status, 200);
  // random() = 0.5 → delay = 3/4 of min(cap, base·2^n)
  assert.deepEqual(s.sleeps, [75, 150, 225, 225]);
});

Deno.test("gives up past the budget with a message free of secrets", async () => {
  const t = scripted(
    Array.from(
      { length: 20 },
      () => new TypeError("error sending request for url (http://x/webhooks/1/hook-secret): boom"),
    ),
  );
  let caught: unknown;
  try {
    await t.http({ budgetMs: 5000, baseDelayMs: 500, maxDelayMs: 4000 }).request(req());
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DiscordUnreachableError);
  assert.ok(!caught.message.includes("hook-secret"), caught.message);
  assert.match(caught.message, /boom/);
  assert.ok(t.sleeps.reduce((a, b) => a + b, 0) <= 5000);
  assert.ok(t.calls.length >= 3 && t.calls.length < 20, `${t.calls.length} attempts`);
});

Deno.test("a 429 asking for longer than the budget fails at once instead of sleeping", async () => {
  const s = scripted([{ status: 429, body: { retry_after: 600, global: false } }]);
  await assert.rejects(s.http({ budgetMs: 10_000 }).request(req()), DiscordUnreachableError);
  assert.deepEqual(s.sleeps, []);
});

Deno.test("4xx answers come back to the caller with Discord's code and scrubbed message", async () => {
  const s = scripted([{
    status: 404,
    body: { code: 10015, message: "Unknown Webhook /webhooks/1/hook-secret bot-secret-token" },
  }]);
  const res = await s.http().request(req());
  assert.equal(res.status, 404);
  assert.equal(res.code, 10015);
  assert.ok(!res.message!.includes("hook-secret") && !res.message!.includes("bot-secret-token"));
});

Deno.test("scrub (log.ts, used for every message) hides webhook tokens in URLs", () => {
  assert.equal(
    scrub("POST https://discord.com/api/webhooks/123/abc-DEF_9?wait=true"),
    "POST https://discord.com/api/webhooks/123/***?wait=true",
  );
});
