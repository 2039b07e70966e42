// Private: the hook's stdin, read and checked defensively.
//
// Claude Code writes one JSON object to a hook's stdin and closes it. Anything else
// (garbage, a missing or odd session_id, a stream that never ends) is reported as a
// reason string, never thrown, so the hook can log one line and exit 0.

/** The fields every Claude Code hook input has (ARCHITECTURE.md, Claude Code facts), plus the rest untyped. */
export interface HookInput {
  /** Claude Code's session id: the mailbox key. Checked: letters, digits, `_`, `-`. */
  session_id: string;
  /** Path of the session transcript (JSONL). */
  transcript_path?: string;
  /** The session's working directory. */
  cwd?: string;
  /** `PostToolUse`, `Stop`, `PermissionRequest`, … */
  hook_event_name: string;
  /** Every other field of the event (`tool_name`, `tool_input`, `stop_hook_active`, …). */
  [key: string]: unknown;
}

/** Session ids (and so mailbox names) this package accepts. */
export const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Largest stdin accepted, in bytes (a PostToolUse input carries the whole tool output). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Parses a hook's stdin text.
 *
 * @param text The whole stdin.
 * @returns The input, or a short reason why it is not usable.
 */

import { describeError } from "../log.ts";
import { parseJson } from "../_shared/json.ts";
export function parseHookInput(text: string): HookInput | string {
  if (text.trim() === "") return "empty stdin";
  const value = parseJson(text);
  if (value === undefined) return `stdin is not JSON (${text.length} chars)`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "stdin is not a JSON object";
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.session_id !== "string" || !SESSION_ID.test(obj.session_id)) {
    return "session_id is missing or not [A-Za-z0-9_-]{1,128}";
  }
  if (typeof obj.hook_event_name !== "string" || obj.hook_event_name === "") {
    return "hook_event_name is missing";
  }
  if (obj.cwd !== undefined && typeof obj.cwd !== "string") return "cwd is not a string";
  return obj as HookInput;
}

/** Something to read bytes from: `Deno.stdin`, or a stream (tests). */
export type ByteSource = ReadableStream<Uint8Array> | {
  read(p: Uint8Array): Promise<number | null>;
};

function chunksOf(source: ByteSource): () => Promise<Uint8Array | null> {
  // Duck-typed: touching the global ReadableStream loads Deno's streams code (~8 ms).
  if ("getReader" in source) {
    const reader = source.getReader();
    return async () => {
      const next = await reader.read();
      return next.done ? null : next.value;
    };
  }
  // Deno.stdin.read directly: its `readable` stream costs a hook ~8 ms to set up.
  const buf = new Uint8Array(64 * 1024);
  return async () => {
    const n = await source.read(buf);
    return n === null ? null : buf.slice(0, n);
  };
}

/**
 * Reads all of `source` as text, giving up after `timeoutMs` or past `maxBytes`.
 *
 * @param source Usually `Deno.stdin`.
 * @param timeoutMs How long to wait for the end of the input.
 * @param maxBytes Size limit.
 * @returns The text, or why it could not be read whole.
 */
export async function readAllText(
  source: ByteSource,
  timeoutMs: number,
  maxBytes = MAX_INPUT_BYTES,
): Promise<{ text: string } | { error: string }> {
  const next = chunksOf(source);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const timeout = after(timeoutMs);
  try {
    for (;;) {
      const chunk = await Promise.race([next(), timeout]);
      if (chunk === "timeout") return { error: `stdin did not end within ${timeoutMs} ms` };
      if (chunk === null) break;
      size += chunk.length;
      if (size > maxBytes) return { error: `stdin is larger than ${maxBytes} bytes` };
      chunks.push(chunk);
    }
  } catch (err) {
    return { error: `cannot read stdin: ${describeError(err)}` };
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder().decode(all) };
}

/**
 * Resolves `"timeout"` after `ms`. Uses `AbortSignal.timeout`: in Deno 2.9 the first
 * `setTimeout` of a process costs ~12 ms (a hook's whole budget for this), this ~0.5 ms.
 * The timer does not keep the process alive.
 */
export function after(ms: number): Promise<"timeout"> {
  const signal = AbortSignal.timeout(Math.max(0, Math.floor(ms)));
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve("timeout"), { once: true })
  );
}

/** A string field of the input, or `undefined`. */
export function str(input: HookInput, key: string): string | undefined {
  const v = input[key];
  return typeof v === "string" ? v : undefined;
}
