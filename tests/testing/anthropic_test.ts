import {
  countToolResults,
  type MessagesRequest,
  requestText,
  startAnthropicServer,
  text,
  toolUse,
} from "../../testing/anthropic.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";

const KEY = "sk-ant-test-secret-key-0000";

function post(url: string, body: unknown, path = "/v1/messages"): Promise<Response> {
  return fetch(`${url}${path}?beta=true`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify(body),
  });
}

/** Parses an SSE body into `{event, data}` pairs; checks each `event:` matches `data.type`. */
// deno-lint-ignore no-explicit-any
async function readSse(response: Response): Promise<{ event: string; data: any }[]> {
  const raw = await response.text();
  assert(raw.endsWith("\n\n"), "the stream ends with a blank line");
  return raw.trim().split("\n\n").map((frame) => {
    const lines = frame.split("\n");
    assertEquals(lines.length, 2, `frame ${frame}`);
    const event = lines[0].replace(/^event: /, "");
    const data = JSON.parse(lines[1].replace(/^data: /, ""));
    assertEquals(data.type, event);
    return { event, data };
  });
}

const ASK: MessagesRequest = {
  model: "claude-test",
  max_tokens: 100,
  messages: [{ role: "user", content: "run it" }],
};

Deno.test("streams a tool_use turn, then a text turn, as SSE", async () => {
  await using server = await startAnthropicServer({
    script: (request) =>
      countToolResults(request) === 0
        ? toolUse("Bash", { command: "echo 'hi there'", description: "Greet" }, "Running.")
        : text("All done here."),
  });

  const first = await post(server.url, { ...ASK, stream: true });
  assertEquals(first.status, 200);
  assertEquals(first.headers.get("content-type"), "text/event-stream");
  const events = await readSse(first);
  const names = events.map((e) => e.event).filter((e) => e !== "ping");
  assertEquals(names, [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  const start = events[0].data.message;
  assertEquals([start.role, start.model, start.content, start.stop_reason], [
    "assistant",
    "claude-test",
    [],
    null,
  ]);
  const toolStart =
    events.find((e) =>
      e.event === "content_block_start" && e.data.content_block.type === "tool_use"
    )!.data;
  assertEquals(toolStart.index, 1);
  assertEquals(toolStart.content_block.name, "Bash");
  assertEquals(toolStart.content_block.input, {});
  const json = events
    .filter((e) => e.data.delta?.type === "input_json_delta")
    .map((e) => e.data.delta.partial_json)
    .join("");
  assertEquals(JSON.parse(json), { command: "echo 'hi there'", description: "Greet" });
  const textDeltas = events.filter((e) => e.data.delta?.type === "text_delta");
  assertEquals(textDeltas.map((e) => e.data.delta.text).join(""), "Running.");
  const delta = events.find((e) => e.event === "message_delta")!.data;
  assertEquals(delta.delta.stop_reason, "tool_use");
  assert(delta.usage.output_tokens > 0);

  const id = toolStart.content_block.id;
  assertMatch(id, /^toolu_/);
  const second = await post(server.url, {
    ...ASK,
    stream: true,
    messages: [
      ...ASK.messages,
      { role: "assistant", content: [{ type: "tool_use", id, name: "Bash", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "hi there" }] },
      { role: "system", content: [{ type: "text", text: "hook text after the result" }] },
    ],
  });
  const secondEvents = await readSse(second);
  assertEquals(
    secondEvents.filter((e) => e.data.delta?.type === "text_delta").map((e) => e.data.delta.text)
      .join(""),
    "All done here.",
  );
  assertEquals(
    secondEvents.find((e) => e.event === "message_delta")!.data.delta.stop_reason,
    "end_turn",
  );
  assertEquals(server.messageRequests().length, 2);
  assertEquals(server.requests.map((r) => [r.method, r.path, r.search]), [
    ["POST", "/v1/messages", "?beta=true"],
    ["POST", "/v1/messages", "?beta=true"],
  ]);
});

Deno.test("answers non-streaming requests with one JSON message", async () => {
  await using server = await startAnthropicServer({
    script: () => toolUse("Bash", { command: "ls" }),
  });
  const response = await post(server.url, ASK);
  assertEquals(response.headers.get("content-type"), "application/json");
  const message = await response.json();
  assertEquals(message.type, "message");
  assertEquals(message.stop_reason, "tool_use");
  assertEquals(message.content.length, 1);
  assertEquals(message.content[0].type, "tool_use");
  assertEquals(message.content[0].input, { command: "ls" });
  assert(message.usage.input_tokens > 0);
});

Deno.test("passes the request and its index to the script and records bodies without keys", async () => {
  const seen: [number, string][] = [];
  await using server = await startAnthropicServer({
    script: (request, { index, headers }) => {
      seen.push([index, requestText(request)]);
      assertEquals(headers.get("x-api-key"), KEY);
      return text(`answer ${index}`);
    },
  });
  for (const word of ["one", "two"]) {
    await (await post(server.url, { ...ASK, messages: [{ role: "user", content: word }] })).body
      ?.cancel();
  }
  assertEquals(seen, [[0, "one"], [1, "two"]]);
  assertEquals(server.requests[1].body, { ...ASK, messages: [{ role: "user", content: "two" }] });
  assertEquals(server.requests[0].headers["x-api-key"], undefined);
  assert(!JSON.stringify(server.requests).includes(KEY), "the API key is not recorded");
});

Deno.test("scripted errors use the Anthropic error shape and status", async () => {
  await using server = await startAnthropicServer({
    script: () => ({
      status: 429,
      errorType: "rate_limit_error",
      message: "Slow down",
      headers: { "retry-after": "3" },
    }),
  });
  const response = await post(server.url, { ...ASK, stream: true });
  assertEquals(response.status, 429);
  assertEquals(response.headers.get("retry-after"), "3");
  assertEquals(await response.json(), {
    type: "error",
    error: { type: "rate_limit_error", message: "Slow down" },
  });
});

Deno.test("a throwing script is answered 500 and kept in scriptErrors", async () => {
  await using server = await startAnthropicServer({
    script: () => {
      throw new Error("no plan for this turn");
    },
  });
  const response = await post(server.url, ASK);
  assertEquals(response.status, 500);
  assertMatch((await response.json()).error.message, /no plan for this turn/);
  assertEquals(server.scriptErrors.length, 1);
});

Deno.test("rejects a body without messages", async () => {
  let calls = 0;
  await using server = await startAnthropicServer({ script: () => (calls++, text("x")) });
  const response = await post(server.url, { model: "m" });
  assertEquals(response.status, 400);
  assertEquals((await response.json()).error.type, "invalid_request_error");
  assertEquals(calls, 0);
});

Deno.test("answers count_tokens, models and the connectivity check; records unknown routes", async () => {
  await using server = await startAnthropicServer({ script: () => text("x") });
  const count = await (await post(server.url, ASK, "/v1/messages/count_tokens")).json();
  assert(Number.isInteger(count.input_tokens) && count.input_tokens > 0);
  const models = await (await fetch(`${server.url}/v1/models`)).json();
  assert(models.data.length > 0 && models.data.every((m: { type: string }) => m.type === "model"));
  const one = await (await fetch(`${server.url}/v1/models/claude-x`)).json();
  assertEquals(one.id, "claude-x");
  const hello = await fetch(`${server.url}/api/hello`, { method: "HEAD" });
  assertEquals(hello.status, 200);
  await hello.body?.cancel();
  assertEquals(server.unknownRoutes.length, 0);

  const unknown = await fetch(`${server.url}/v1/files`, { method: "POST", body: "raw" });
  assertEquals(unknown.status, 404);
  assertEquals((await unknown.json()).error.type, "not_found_error");
  assertEquals(server.unknownRoutes.map((r) => [r.method, r.path, r.body]), [
    ["POST", "/v1/files", "raw"],
  ]);
  assertEquals(server.messageRequests().length, 0);
});

Deno.test("onRequest sees each request; the injected clock stamps it", async () => {
  let clock = 1000;
  const paths: string[] = [];
  await using server = await startAnthropicServer({
    script: () => text("x"),
    now: () => clock,
    onRequest: (r) => paths.push(r.path),
  });
  clock = 1250;
  await (await fetch(`${server.url}/v1/models`)).body?.cancel();
  assertEquals(paths, ["/v1/models"]);
  assertEquals(server.requests[0].at, 250);
});

Deno.test("delayMs holds the answer back", async () => {
  await using server = await startAnthropicServer({
    script: () => ({ ...text("late"), delayMs: 150 }),
  });
  const started = performance.now();
  await (await post(server.url, ASK)).json();
  assert(performance.now() - started >= 140);
});

Deno.test("aborting the signal stops the server", async () => {
  const controller = new AbortController();
  const server = await startAnthropicServer({ signal: controller.signal, script: () => text("x") });
  await (await fetch(`${server.url}/v1/models`)).body?.cancel();
  controller.abort();
  await server.close();
  let refused = false;
  try {
    await fetch(`${server.url}/v1/models`);
  } catch {
    refused = true;
  }
  assert(refused, "no answer after abort");
});

Deno.test("an already aborted signal gives a closed server", async () => {
  const server = await startAnthropicServer({
    signal: AbortSignal.abort(),
    script: () => text("x"),
  });
  await server.close();
  assert(server.port > 0);
});

Deno.test("countToolResults counts across all messages; requestText collects text", () => {
  const request: MessagesRequest = {
    model: "m",
    messages: [
      { role: "user", content: "start" },
      { role: "assistant", content: [{ type: "tool_use", id: "a", name: "Bash", input: {} }] },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "a",
          content: [{ type: "text", text: "nested" }],
        }],
      },
      {
        role: "system",
        content: [{ type: "text", text: "PostToolUse:Bash hook additional context: X" }],
      },
      { role: "assistant", content: [{ type: "tool_use", id: "b", name: "Bash", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "b", content: "flat" }] },
    ],
  };
  assertEquals(countToolResults(request), 2);
  assertEquals(
    requestText(request),
    "start\nnested\nPostToolUse:Bash hook additional context: X\nflat",
  );
  assertEquals(requestText(request, -1), "flat");
  assertEquals(countToolResults({ model: "m", messages: [] }), 0);
});
