// Private wire helpers of the scripted Anthropic server: JSON and SSE responses.

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** An Anthropic-shaped error response. */
export function errorResponse(
  status: number,
  type: string,
  message: string,
  headers = {},
): Response {
  return json({ type: "error", error: { type, message } }, status, headers);
}

/** Rough token estimate (4 characters a token), good enough for usage fields. */
export function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4));
}

const encoder = new TextEncoder();

function sse(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The blocks of a scripted answer with ids filled in. */
export type FinalBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** A complete message as a Messages API SSE stream. */
export function streamMessage(message: Record<string, unknown>, blocks: FinalBlock[]): Response {
  const { content: _content, stop_reason, usage, ...rest } = message;
  const outputTokens = (usage as { output_tokens: number }).output_tokens;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(sse("message_start", {
        type: "message_start",
        message: {
          ...rest,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...(usage as object), output_tokens: 1 },
        },
      }));
      controller.enqueue(sse("ping", { type: "ping" }));
      blocks.forEach((block, index) => {
        if (block.type === "text") {
          controller.enqueue(sse("content_block_start", {
            type: "content_block_start",
            index,
            content_block: { type: "text", text: "" },
          }));
          // Two deltas, so clients that join deltas are exercised too.
          const cut = Math.ceil(block.text.length / 2);
          for (const part of [block.text.slice(0, cut), block.text.slice(cut)]) {
            if (part === "") continue;
            controller.enqueue(sse("content_block_delta", {
              type: "content_block_delta",
              index,
              delta: { type: "text_delta", text: part },
            }));
          }
        } else {
          controller.enqueue(sse("content_block_start", {
            type: "content_block_start",
            index,
            content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
          }));
          const input = JSON.stringify(block.input);
          const cut = Math.ceil(input.length / 2);
          for (const part of [input.slice(0, cut), input.slice(cut)]) {
            controller.enqueue(sse("content_block_delta", {
              type: "content_block_delta",
              index,
              delta: { type: "input_json_delta", partial_json: part },
            }));
          }
        }
        controller.enqueue(sse("content_block_stop", { type: "content_block_stop", index }));
      });
      controller.enqueue(sse("message_delta", {
        type: "message_delta",
        delta: { stop_reason, stop_sequence: null },
        usage: { output_tokens: outputTokens },
      }));
      controller.enqueue(sse("message_stop", { type: "message_stop" }));
      controller.close();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}
