// Private: the REST library's errors as this package's (rest.ts): Discord's refusal of a call,
// the trouble of an attempt worth another, and the one sentence a call ends with when it gives
// up. No token or webhook token ever reaches a message (log.ts `scrub`).
import type * as Lib from "@discordjs/rest";
import { DiscordApiError } from "../errors.ts";
import { describeError, scrub } from "../log.ts";

/** Discord's refusal of a call (a 4xx answer other than 429), free of secrets. */
export interface Refusal {
  /** HTTP status. */
  status: number;
  /** Discord's JSON error code, when given. */
  code: number | undefined;
  /** Discord's error message, when given. */
  message: string | undefined;
  /** Discord's per-field complaints of a 400, joined (`content: Must be 2000 or fewer …`). */
  fields: string;
  /** The library's error, for `cause`. */
  error: Error;
}

/**
 * Discord could not be reached in time: network errors, 5xx answers or rate-limit waits past
 * the attempts or the budget. `status` is the last HTTP status seen, 0 when none arrived.
 */
export class DiscordUnreachableError extends DiscordApiError {}

/** What went wrong with one attempt that may go better on another. */
export interface Trouble {
  /** HTTP status, 0 without an answer. */
  status: number;
  /** As a clause: `Discord answered 500 Internal Server Error`. */
  why: string;
}

/** Discord's refusal, from the library's error. */
export function refusalOf(err: Lib.DiscordAPIError, secrets: readonly string[]): Refusal {
  const raw = (typeof err.rawError === "object" ? err.rawError : {}) as {
    message?: unknown;
    errors?: unknown;
  };
  return {
    status: err.status,
    code: typeof err.code === "number" ? err.code : undefined,
    message: typeof raw.message === "string" ? scrub(raw.message, secrets) : undefined,
    fields: scrub(fieldErrors(raw.errors), secrets),
    error: err,
  };
}

/** `Cannot <what>: Discord answered <status> <message> (code <code>) [<fields>]: <fix>`. */
export function refused(what: string, r: Refusal, fix: string | undefined): DiscordApiError {
  return new DiscordApiError(
    `Cannot ${what}: Discord answered ${r.status}${r.message ? ` ${r.message}` : ""}${
      r.code ? ` (code ${r.code})` : ""
    }${r.fields ? ` [${r.fields}]` : ""}${fix ? `: ${fix}` : ""}`,
    r.status,
    r.code,
    { cause: r.error },
  );
}

/** A 5xx answer the library gave up on. */
export function serverTrouble(err: Lib.HTTPError, secrets: readonly string[]): Trouble {
  return {
    status: err.status,
    why: scrub(`Discord answered ${err.status} ${err.message || "server error"}`.trim(), secrets),
  };
}

/**
 * No answer: a network error, or the library's timeout of one attempt. Deno's fetch errors
 * quote the URL (a webhook's token with it): only the tail after the last "): " is kept.
 */
export function networkTrouble(
  err: unknown,
  timeoutMs: number,
  secrets: readonly string[],
): Trouble {
  let detail: string;
  if (err instanceof DOMException && err.name === "AbortError") {
    detail = `no answer within ${timeoutMs} ms`;
  } else {
    const msg = describeError(err);
    const tail = msg.includes("): ") ? msg.slice(msg.lastIndexOf("): ") + 3) : msg;
    detail = scrub(unclosed(tail), secrets).slice(0, 200);
  }
  return { status: 0, why: `Discord is unreachable (${detail})` };
}

/** The fix named when no answer came, unless the client was given another. */
export const UNREACHABLE_FIX = "check DISCORD_API_URL and the network";

/** The text without the closing parentheses left over from what was cut off before it. */
function unclosed(text: string): string {
  let depth = 0;
  let end = text.length;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth < 0) {
      end = i;
      break;
    }
  }
  return text.slice(0, end).trimEnd();
}

/** The call made its last attempt. */
export function outOfAttempts(
  what: string,
  t: Trouble,
  attempts: number,
  fix: string = UNREACHABLE_FIX,
): DiscordUnreachableError {
  return new DiscordUnreachableError(
    t.status === 0
      ? `Cannot ${what}: ${t.why} after ${attempts} attempts: ${fix}`
      : `Cannot ${what}: ${t.why} ${attempts} times in a row: try again later`,
    t.status,
  );
}

/** The wait before the next attempt would pass the call's budget. */
export function backoffPastBudget(
  what: string,
  t: Trouble,
  waitMs: number,
  budget: string,
): DiscordUnreachableError {
  return new DiscordUnreachableError(
    `Cannot ${what}: ${t.why}, and waiting ${
      Math.ceil(waitMs / 1000)
    } s more would pass the ${budget} budget: try again later`,
    t.status,
  );
}

/** A rate limit asked for a wait longer than the whole budget. */
export function rateLimitPastBudget(
  what: string,
  err: Lib.RateLimitError,
  budget: string,
): DiscordUnreachableError {
  const ms = Math.max(err.timeToReset, err.sublimitTimeout);
  return new DiscordUnreachableError(
    `Cannot ${what}: Discord's rate limit${err.global ? " (global)" : ""} asks to wait ${
      Math.ceil(ms / 1000)
    } s, longer than the ${budget} budget: try again later`,
    429,
    undefined,
    { cause: err },
  );
}

/** The budget ran out during an attempt (no answer, or a wait that outlasted it). */
export function noAnswerInBudget(
  what: string,
  budget: string,
  last: Trouble | undefined,
  fix: string = UNREACHABLE_FIX,
): DiscordUnreachableError {
  return new DiscordUnreachableError(
    `Cannot ${what}: Discord is unreachable (no answer within the ${budget} budget${
      last ? `; before: ${last.why}` : ""
    }): ${fix}, or try again later`,
    0,
  );
}

/** Discord's per-field complaints of a 400 (`{errors: {content: {_errors: [...]}}}`), joined. */
function fieldErrors(errors: unknown, path = ""): string {
  if (errors === null || typeof errors !== "object") return "";
  const out: string[] = [];
  for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
    if (key === "_errors" && Array.isArray(value)) {
      for (const e of value) {
        const msg = (e as { message?: unknown })?.message;
        if (typeof msg === "string") out.push(path ? `${path}: ${msg}` : msg);
      }
    } else {
      const sub = fieldErrors(value, path ? `${path}.${key}` : key);
      if (sub) out.push(sub);
    }
  }
  return out.join("; ");
}
