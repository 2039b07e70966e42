/**
 * Append-only log files with size rotation and secret scrubbing.
 *
 * Every line is `ISO-time level message`. Bot tokens and webhook tokens are
 * replaced by `***` before anything is written, so a log can be shared.
 *
 * @example Write a line
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./log.ts";
 *
 * const dir = Deno.makeTempDirSync();
 * const log = createLogger(`${dir}/bridge.log`);
 * log.info("connected");
 * assert(Deno.readTextFileSync(`${dir}/bridge.log`).includes("info connected"));
 * ```
 *
 * @module
 */

/** A logger bound to one file. Logging never throws. */
export interface Logger {
  /** Logs an informational line. */
  info(message: string): void;
  /** Logs a warning. */
  warn(message: string): void;
  /** Logs an error; an `Error` is written with its message and cause chain. */
  error(message: string, err?: unknown): void;
  /** The file written to. */
  readonly path: string;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Rotate when the file grows past this many bytes. Default 1 MiB. */
  maxBytes?: number;
  /** How many rotated files (`.1`, `.2`, …) to keep. Default 2. */
  keep?: number;
  /** Clock, for tests. */
  now?: () => Date;
  /** Also copy each line to stderr. Default false. */
  stderr?: boolean;
}

const BOT_TOKEN = /[A-Za-z0-9_-]{16,}={0,2}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}/g;
const WEBHOOK = /(\/webhooks\/[0-9]+\/)[A-Za-z0-9_.-]+/g;
const INTERACTION = /(\/interactions\/[0-9]+\/)[A-Za-z0-9_.-]+/g;

/**
 * Removes bot tokens and webhook/interaction tokens from `text`.
 *
 * @param text Any text that may contain a secret.
 * @param secrets Extra literal secrets to hide.
 * @returns The text with every secret replaced by `***`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scrub } from "./log.ts";
 * assert(scrub("POST /api/webhooks/123/s3cr3t") === "POST /api/webhooks/123/***");
 * ```
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(BOT_TOKEN, "***").replace(WEBHOOK, "$1***").replace(INTERACTION, "$1***");
  for (const s of secrets) if (s.length >= 6) out = out.replaceAll(s, "***");
  return out;
}

/**
 * Formats an error with its `cause` chain on one line. A cause whose text the line already
 * holds (a wrapper that quotes it) is not repeated.
 *
 * @param err Anything thrown.
 * @returns `message (cause: message …)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeError } from "./log.ts";
 * const e = new Error("outer", { cause: new Error("inner") });
 * assert(describeError(e) === "outer (cause: inner)");
 * const quoted = new Error("Cannot save: disk full", { cause: new Error("disk full") });
 * assert(describeError(quoted) === "Cannot save: disk full");
 * assert(describeError("plain") === "plain");
 * ```
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let text = err.message;
  let cause: unknown = err.cause;
  for (let depth = 0; cause !== undefined && depth < 4; depth++) {
    const said = cause instanceof Error
      ? cause.message
      : typeof cause === "object"
      ? JSON.stringify(cause)
      : String(cause);
    if (!text.includes(said)) text += ` (cause: ${said})`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/**
 * Creates a logger that appends to `path` (created 0600) and rotates it.
 *
 * @param path The log file.
 * @param options Rotation and clock.
 * @returns The logger.
 *
 * @example Rotate small files
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./log.ts";
 * const dir = Deno.makeTempDirSync();
 * const log = createLogger(`${dir}/x.log`, { maxBytes: 10, keep: 1 });
 * log.info("first line");
 * log.info("second line");
 * assert(Deno.readTextFileSync(`${dir}/x.log.1`).includes("first line"));
 * ```
 */
export function createLogger(path: string, options: LoggerOptions = {}): Logger {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const keep = options.keep ?? 2;
  const now = options.now ?? (() => new Date());
  const write = (level: string, message: string) => {
    const line = `${now().toISOString()} ${level} ${scrub(message).replaceAll("\n", "\\n")}\n`;
    try {
      if (options.stderr) Deno.stderr.writeSync(new TextEncoder().encode(line));
      rotateIfNeeded(path, maxBytes, keep);
      Deno.writeTextFileSync(path, line, { append: true, create: true, mode: 0o600 });
    } catch {
      // Any failure: logging must never break the caller (a hook, the bridge).
    }
  };
  return {
    path,
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m, err) => write("error", err === undefined ? m : `${m}: ${describeError(err)}`),
  };
}

function rotateIfNeeded(path: string, maxBytes: number, keep: number): void {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return; // the first line
    throw err;
  }
  if (size < maxBytes) return;
  if (keep <= 0) {
    Deno.truncateSync(path, 0);
    return;
  }
  for (let i = keep - 1; i >= 1; i--) {
    try {
      Deno.renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // a missing generation
    }
  }
  Deno.renameSync(path, `${path}.1`);
}
