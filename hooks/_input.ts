// Private: the hook's stdin, read and checked defensively.
//
// Claude Code writes one JSON object to a hook's stdin and closes it. Anything else
// (garbage, a missing or odd session_id, a stream that never ends) is reported as a
// reason string, never thrown, so the hook can log one line and exit 0.

/** The fields every Claude Code hook input has (DESIGN.md §4), plus the rest untyped. */
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
export function parseHookInput(text: string): HookInput | string {
  if (text.trim() === "") return "empty stdin";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `stdin is not JSON (${text.length} chars)`;
  }
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

/**
 * Reads all of `stream` as text, giving up after `timeoutMs` or past `maxBytes`.
 *
 * @param stream Usually `Deno.stdin.readable`.
 * @param timeoutMs How long to wait for the end of the stream.
 * @param maxBytes Size limit.
 * @returns The text, or a reason string prefixed with `!` when it could not be read whole.
 */
export async function readAllText(
  stream: ReadableStream<Uint8Array>,
  timeoutMs: number,
  maxBytes = MAX_INPUT_BYTES,
): Promise<{ text: string } | { error: string }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout") return { error: `stdin did not end within ${timeoutMs} ms` };
      if (next.done) break;
      size += next.value.length;
      if (size > maxBytes) return { error: `stdin is larger than ${maxBytes} bytes` };
      chunks.push(next.value);
    }
  } catch (err) {
    return { error: `cannot read stdin: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder().decode(all) };
}

/** A string field of the input, or `undefined`. */
export function str(input: HookInput, key: string): string | undefined {
  const v = input[key];
  return typeof v === "string" ? v : undefined;
}
