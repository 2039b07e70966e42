/**
 * A scripted Anthropic Messages API server for driving the real Claude Code CLI
 * (or any Messages API client) in tests, without a network or a model.
 *
 * `POST /v1/messages` is answered by your `script`, a function of the request:
 * streaming requests (`"stream": true`) get Server-Sent Events (`message_start`,
 * `content_block_start` / `content_block_delta` (`text_delta`, `input_json_delta`) /
 * `content_block_stop`, `message_delta` with the stop reason, `message_stop`),
 * the others one JSON message. `POST /v1/messages/count_tokens` and
 * `GET /v1/models` get plausible answers, `HEAD`/`GET /api/hello` (the CLI's
 * connectivity check) gets 200; every other route is answered 404 and
 * kept in {@linkcode AnthropicServer.unknownRoutes}, so a test can see what a new
 * client version calls. Every request is recorded (API keys are not).
 *
 * Point Claude Code at it with `ANTHROPIC_BASE_URL=<server.url>` and any
 * `ANTHROPIC_API_KEY`.
 *
 * @example Answer a tool call, then finish with text
 * ```ts
 * import assert from "node:assert/strict";
 * import { countToolResults, startAnthropicServer, text, toolUse } from "./anthropic.ts";
 *
 * await using server = await startAnthropicServer({
 *   script: (request) =>
 *     countToolResults(request) === 0
 *       ? toolUse("Bash", { command: "echo hi", description: "Say hi" })
 *       : text("Done."),
 * });
 * const response = await fetch(`${server.url}/v1/messages`, {
 *   method: "POST",
 *   body: JSON.stringify({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "go" }] }),
 * });
 * const message = await response.json();
 * assert(message.content[0].name === "Bash");
 * assert(server.messageRequests().length === 1);
 * ```
 *
 * @module
 */

import {
  errorResponse,
  estimateTokens,
  type FinalBlock,
  json,
  streamMessage,
} from "./_anthropic_wire.ts";

/** One content block of a Messages API message (the kinds Claude Code sends and reads). */
export type ContentBlock =
  | { type: "text"; text: string; [key: string]: unknown }
  | { type: "tool_use"; id: string; name: string; input: unknown; [key: string]: unknown }
  | {
    type: "tool_result";
    tool_use_id: string;
    content?: string | ContentBlock[];
    is_error?: boolean;
    [key: string]: unknown;
  }
  | { type: string; [key: string]: unknown };

/**
 * One message of a request's `messages` array. Claude Code 2.1.330 also sends
 * `system` messages mid-conversation (e.g. hook `additionalContext`).
 */
export interface Message {
  /** `user`, `assistant` or `system`. */
  role: "user" | "assistant" | "system";
  /** A plain string or a list of blocks. */
  content: string | ContentBlock[];
}

/** The body of a `POST /v1/messages` request, as far as scripts usually look. */
export interface MessagesRequest {
  /** Model id the client asked for. */
  model: string;
  /** The conversation so far. */
  messages: Message[];
  /** System prompt: a string or text blocks. */
  system?: string | ContentBlock[];
  /** Tool definitions (`name`, `description`, `input_schema`). */
  tools?: { name: string; [key: string]: unknown }[];
  /** Whether the client wants SSE. */
  stream?: boolean;
  /** Output limit. */
  max_tokens?: number;
  /** Anything else the client sends (metadata, thinking, temperature, …). */
  [key: string]: unknown;
}

/** A block the script answers with; tool ids are generated when omitted. */
export type ReplyBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; name: string; input: Record<string, unknown>; id?: string };

/** A scripted assistant answer. */
export interface ScriptedMessage {
  /** Blocks, in order. */
  content: ReplyBlock[];
  /** Defaults to `tool_use` when a tool block is present, else `end_turn`. */
  stopReason?: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "refusal";
  /** Wait this long before answering (milliseconds). */
  delayMs?: number;
}

/** A scripted API error (e.g. 429 `rate_limit_error`, 529 `overloaded_error`). */
export interface ScriptedError {
  /** HTTP status. */
  status: number;
  /** Anthropic error type, e.g. `rate_limit_error`. */
  errorType: string;
  /** Human-readable message. */
  message: string;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
}

/** What the script tells the server to do with one `POST /v1/messages`. */
export type ScriptedReply = ScriptedMessage | ScriptedError;

/** Decides the answer to one request; `index` counts `POST /v1/messages` requests from 0. */
export type AnthropicScript = (
  request: MessagesRequest,
  context: { index: number; headers: Headers },
) => ScriptedReply | Promise<ScriptedReply>;

/** One request the server saw. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query string including `?`, or empty. */
  search: string;
  /** Request headers without `x-api-key` and `authorization`. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text when it is not JSON, or `undefined` when empty. */
  body: unknown;
  /** Milliseconds since the server started (from the injected clock). */
  at: number;
}

/** Options of {@linkcode startAnthropicServer}. */
export interface AnthropicServerOptions {
  /** The answer to each `POST /v1/messages`. */
  script: AnthropicScript;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface; loopback by default. */
  hostname?: string;
  /** Aborting it stops the server. */
  signal?: AbortSignal;
  /** Model id put into answers when the request names none. Default `claude-sonnet-4-5`. */
  model?: string;
  /** Clock for {@linkcode RecordedRequest.at}. Default `Date.now`. */
  now?: () => number;
  /** Called for each request after it is recorded (e.g. to log unknown routes). */
  onRequest?: (request: RecordedRequest) => void;
}

/** A running scripted server. Dispose of it (or abort the signal) to stop it. */
export interface AnthropicServer extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:41234` (what `ANTHROPIC_BASE_URL` takes). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Requests to routes the server does not know (answered 404). */
  readonly unknownRoutes: readonly RecordedRequest[];
  /** Errors thrown by the script (each answered 500). */
  readonly scriptErrors: readonly unknown[];
  /** Bodies of all `POST /v1/messages` requests, in order. */
  messageRequests(): MessagesRequest[];
  /** Stops the server and waits until it is closed. */
  close(): Promise<void>;
}

/**
 * A scripted answer with one text block.
 *
 * @param value The assistant's text.
 * @returns A {@linkcode ScriptedMessage} ending the turn.
 *
 * @example Finish a turn
 * ```ts
 * import assert from "node:assert/strict";
 * import { text } from "./anthropic.ts";
 *
 * assert(text("ok").content[0].type === "text");
 * ```
 */
export function text(value: string): ScriptedMessage {
  return { content: [{ type: "text", text: value }] };
}

/**
 * A scripted answer that calls one tool (stop reason `tool_use`).
 *
 * @param name Tool name, e.g. `Bash`.
 * @param input Tool input, e.g. `{ command: "touch x" }`.
 * @param preface Optional text block before the call.
 * @returns A {@linkcode ScriptedMessage}.
 *
 * @example Run a command
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolUse } from "./anthropic.ts";
 *
 * const reply = toolUse("Bash", { command: "ls" }, "Listing.");
 * assert(reply.content.length === 2);
 * ```
 */
export function toolUse(
  name: string,
  input: Record<string, unknown>,
  preface?: string,
): ScriptedMessage {
  const call: ReplyBlock = { type: "tool_use", name, input };
  return { content: preface === undefined ? [call] : [{ type: "text", text: preface }, call] };
}

/**
 * Counts `tool_result` blocks over the whole `messages` array of a request.
 *
 * Count over the whole array, not the last message: Claude Code appends hook
 * text (e.g. a PostToolUse `additionalContext`) after the tool result.
 *
 * @param request A Messages API request body.
 * @returns The number of tool results the conversation holds.
 *
 * @example Decide the turn
 * ```ts
 * import assert from "node:assert/strict";
 * import { countToolResults } from "./anthropic.ts";
 *
 * const n = countToolResults({
 *   model: "m",
 *   messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] }],
 * });
 * assert(n === 1);
 * ```
 */
export function countToolResults(request: MessagesRequest): number {
  let count = 0;
  for (const message of request.messages ?? []) {
    if (typeof message.content === "string") continue;
    for (const block of message.content) if (block.type === "tool_result") count++;
  }
  return count;
}

/**
 * All text a request's messages carry, joined by newlines: string contents,
 * `text` blocks and the text inside `tool_result` blocks (not the system prompt).
 *
 * @param request A Messages API request body.
 * @param from Index of the first message to include (negative counts from the end).
 * @returns The concatenated text.
 *
 * @example Look for injected context
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestText } from "./anthropic.ts";
 *
 * const all = requestText({ model: "m", messages: [{ role: "user", content: "hello" }] });
 * assert(all.includes("hello"));
 * ```
 */
export function requestText(request: MessagesRequest, from = 0): string {
  const parts: string[] = [];
  const collect = (content: string | ContentBlock[] | undefined): void => {
    if (content === undefined) return;
    if (typeof content === "string") return void parts.push(content);
    for (const block of content) {
      if (block.type === "text" && typeof block.text === "string") parts.push(block.text);
      if (block.type === "tool_result") {
        collect(block.content as string | ContentBlock[] | undefined);
      }
    }
  };
  for (const message of (request.messages ?? []).slice(from)) collect(message.content);
  return parts.join("\n");
}

function isError(reply: ScriptedReply): reply is ScriptedError {
  return "errorType" in reply;
}

const MODELS = [
  "claude-opus-4-5",
  "claude-sonnet-4-5",
  "claude-haiku-4-5",
];

/**
 * Starts a scripted Anthropic Messages API server on loopback.
 *
 * @param options The script, port (0 = any free one), hostname and abort signal.
 * @returns The running server; `await using` stops it at the end of the scope.
 *
 * @example Record what a client sends
 * ```ts
 * import assert from "node:assert/strict";
 * import { startAnthropicServer, text } from "./anthropic.ts";
 *
 * const controller = new AbortController();
 * const server = await startAnthropicServer({ signal: controller.signal, script: () => text("hi") });
 * await (await fetch(`${server.url}/v1/models`)).body?.cancel();
 * assert(server.requests[0].path === "/v1/models");
 * controller.abort();
 * await server.close();
 * ```
 */
export function startAnthropicServer(options: AnthropicServerOptions): Promise<AnthropicServer> {
  const now = options.now ?? Date.now;
  const started = now();
  const requests: RecordedRequest[] = [];
  const unknownRoutes: RecordedRequest[] = [];
  const scriptErrors: unknown[] = [];
  const messageBodies: MessagesRequest[] = [];
  let ids = 0;
  const nextId = (prefix: string): string =>
    `${prefix}_${String(++ids).padStart(6, "0")}scripted${"0".repeat(10)}`;

  async function answerMessages(request: MessagesRequest, headers: Headers): Promise<Response> {
    const index = messageBodies.length;
    messageBodies.push(request);
    let reply: ScriptedReply;
    try {
      reply = await options.script(request, { index, headers });
    } catch (err) {
      scriptErrors.push(err);
      return errorResponse(500, "api_error", `The test script threw: ${err}`);
    }
    if (!isError(reply) && reply.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    }
    if (isError(reply)) {
      return errorResponse(reply.status, reply.errorType, reply.message, reply.headers);
    }
    const blocks: FinalBlock[] = reply.content.map((block) =>
      block.type === "text" ? { type: "text", text: block.text } : {
        type: "tool_use",
        id: block.id ?? nextId("toolu"),
        name: block.name,
        input: block.input,
      }
    );
    const stopReason = reply.stopReason ??
      (blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
    const message = {
      id: nextId("msg"),
      type: "message",
      role: "assistant",
      model: request.model || options.model || "claude-sonnet-4-5",
      content: blocks,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: estimateTokens(request.messages),
        output_tokens: estimateTokens(blocks),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    };
    return request.stream ? streamMessage(message, blocks) : json(message);
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const raw = await req.text();
    let body: unknown = undefined;
    if (raw !== "") {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        body = raw;
      }
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of req.headers) {
      if (key !== "x-api-key" && key !== "authorization") headers[key] = value;
    }
    const record: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers,
      body,
      at: now() - started,
    };
    requests.push(record);
    options.onRequest?.(record);

    const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
    if (route === "POST /v1/messages") {
      if (!Array.isArray((body as { messages?: unknown } | undefined)?.messages)) {
        return errorResponse(400, "invalid_request_error", "messages: Field required");
      }
      return await answerMessages(body as MessagesRequest, req.headers);
    }
    if (route === "POST /v1/messages/count_tokens") {
      const input = body as Partial<MessagesRequest> | undefined;
      return json({
        input_tokens: estimateTokens([input?.system, input?.messages, input?.tools]),
      });
    }
    if (route === "GET /v1/models") {
      const data = MODELS.map((id) => ({
        type: "model",
        id,
        display_name: id,
        created_at: "2025-01-01T00:00:00Z",
      }));
      return json({ data, has_more: false, first_id: data[0].id, last_id: data.at(-1)!.id });
    }
    if (route === "HEAD /api/hello" || route === "GET /api/hello") {
      return new Response(req.method === "HEAD" ? null : "ok", { status: 200 });
    }
    const model = /^GET \/v1\/models\/([^/]+)$/.exec(route);
    if (model) {
      return json({
        type: "model",
        id: model[1],
        display_name: model[1],
        created_at: "2025-01-01T00:00:00Z",
      });
    }
    unknownRoutes.push(record);
    return errorResponse(404, "not_found_error", `No route ${route} on the scripted server`);
  }

  return new Promise((resolve, reject) => {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        port: options.port ?? 0,
        hostname: options.hostname ?? "127.0.0.1",
        signal: controller.signal,
        onListen: () => {},
      }, handle);
    } catch (err) {
      options.signal?.removeEventListener("abort", onAbort);
      return reject(err);
    }
    if (options.signal?.aborted) controller.abort();
    const close = async (): Promise<void> => {
      options.signal?.removeEventListener("abort", onAbort);
      controller.abort();
      await server.finished;
    };
    const host = server.addr.hostname.includes(":")
      ? `[${server.addr.hostname}]`
      : server.addr.hostname;
    resolve({
      url: `http://${host}:${server.addr.port}`,
      port: server.addr.port,
      requests,
      unknownRoutes,
      scriptErrors,
      messageRequests: () => [...messageBodies],
      close,
      [Symbol.asyncDispose]: close,
    });
  });
}
