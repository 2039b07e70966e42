// Private: the `send_file` tool: a local file attached to a Discord message as multipart
// `files[0]` with `payload_json`, size-checked before anything is sent. Which files it may read
// is file_access.ts's to decide: the project, the configured paths, never the state directory
// or a secret.
import { basename, isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import {
  channelIdArg,
  recordPosts,
  replyTarget,
  snowflake,
  strictObject,
  text,
  type ToolContext,
  type UploadLimit,
} from "./context.ts";
import { type DiscordMessage, formatBytes, MESSAGE_LIMIT } from "./text.ts";
import { openAllowedFile } from "./file_access.ts";
import { readFull } from "../_shared/fs.ts";
import { describeError, type Logger } from "../log.ts";
import { StateError } from "../errors.ts";
import { readGuildFacts } from "../daemon.ts";

/**
 * Discord's per-file upload limit in a server without boosts: 10 MiB. Used until the bridge has
 * seen the guild's own `attachment_size_limit` (interactions carry it).
 */
export const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;
/** The most `--max-upload-mib` may allow: 25 MiB (a guild's own limit may be higher). */
export const MAX_REQUEST_BYTES = 25 * 1024 * 1024;

/**
 * The upload limit of `send_file`: the configured one, else the guild's `attachment_size_limit`
 * the bridge recorded (`bridge/guild.json`), else {@linkcode DEFAULT_UPLOAD_LIMIT}.
 *
 * @param home The state directory.
 * @param configured Bytes from `--max-upload-mib`, if given.
 * @param log Where an unreadable `guild.json` is logged (the default applies then).
 * @returns The limit and its source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { uploadLimitOf } from "./files.ts";
 * import { createLogger } from "../log.ts";
 * const home = Deno.makeTempDirSync();
 * const log = createLogger(`${home}/mcp.log`);
 * assert.deepEqual(uploadLimitOf(home, undefined, log), { bytes: 10485760, source: "default" });
 * assert.deepEqual(uploadLimitOf(home, 2048, log), { bytes: 2048, source: "flag" });
 * ```
 */
export function uploadLimitOf(
  home: string,
  configured: number | undefined,
  log: Logger,
): UploadLimit {
  if (configured !== undefined) return { bytes: configured, source: "flag" };
  let guild: number | undefined;
  try {
    guild = readGuildFacts(home)?.attachmentSizeLimit;
  } catch (err) {
    if (!(err instanceof StateError)) throw err;
    log.warn(`${describeError(err)}; send_file keeps Discord's default upload limit`);
  }
  return guild !== undefined
    ? { bytes: guild, source: "guild" }
    : { bytes: DEFAULT_UPLOAD_LIMIT, source: "default" };
}

/** The input schema of `send_file`. */
export const sendFileSchema = strictObject({
  path: text("path", "pass the path of the file to send").describe(
    "The file to attach: an absolute path, or relative to your session's working directory.",
  ),
  text: text("text", "pass the message text, or leave text out").optional().describe(
    "An optional message to go with the file (at most 2,000 characters).",
  ),
  channel_id: channelIdArg,
  reply_to: snowflake(
    "reply_to",
    "the message to answer",
    "use the message_id of a received message, or leave reply_to out",
  ).optional().describe("Id of a message to reply to."),
});

const TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  txt: "text/plain",
  log: "text/plain",
  md: "text/markdown",
  json: "application/json",
  csv: "text/csv",
  html: "text/html",
  diff: "text/x-diff",
  patch: "text/x-diff",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
};

/** Attaches a local file; returns the answer text. */
export async function sendFile(
  args: z.infer<typeof sendFileSchema>,
  ctx: ToolContext,
): Promise<string> {
  if (args.path.trim() === "") throw new TypeError("path is empty: pass the file to send");
  if (args.text !== undefined && args.text.length > MESSAGE_LIMIT) {
    throw new RangeError(
      `text is ${args.text.length} characters; a message with a file holds at most 2,000: shorten it, or send the text with reply`,
    );
  }
  const match = await ctx.session();
  const base = match.session?.cwd ?? ctx.projectDir;
  let path = args.path.trim();
  if (path === "~" || path.startsWith("~/")) {
    path = `${Deno.env.get("HOME") ?? "~"}${path.slice(1)}`;
  }
  path = isAbsolute(path) ? resolve(path) : resolve(base, path);
  const projectDirs = [...new Set([...(match.session ? [match.session.cwd] : []), ctx.projectDir])]
    .filter((d) => d !== "");
  const { file, info } = await openAllowedFile(path, { ...ctx.files, projectDirs });
  let bytes: Uint8Array;
  try {
    if (info.size === 0) throw new RangeError(`${path} is empty: there is nothing to attach`);
    const { bytes: allowed, source } = ctx.uploadLimit();
    // The guild's own limit is what Discord accepts there; a configured one is capped.
    const limit = source === "guild" ? allowed : Math.min(allowed, MAX_REQUEST_BYTES);
    if (info.size > limit) {
      const why = source === "guild"
        ? `this server's ${formatBytes(limit)} upload limit (Discord's attachment_size_limit, ` +
          `which grows with the server's boost level)`
        : limit === MAX_REQUEST_BYTES
        ? `the ${formatBytes(MAX_REQUEST_BYTES)} most a Discord request can carry`
        : `Discord's ${
          formatBytes(limit)
        } upload limit for this server (raise it with --max-upload-mib for a boosted server)`;
      throw new RangeError(
        `${basename(path)} is ${
          formatBytes(info.size)
        }, over ${why}: compress it, split it, or send an excerpt`,
      );
    }
    // Read from the descriptor that was checked, never by the path again.
    bytes = new Uint8Array(info.size);
    const n = readFull(file, bytes);
    if (n !== info.size) {
      throw new RangeError(`${path} changed size while it was read: try again`);
    }
  } finally {
    file.close();
  }
  const filename = basename(path).replace(/[^A-Za-z0-9._-]+/g, "_").slice(-100) || "file";
  const ext = filename.includes(".") ? filename.slice(filename.lastIndexOf(".") + 1) : "";
  const type = TYPES[ext.toLowerCase()] ?? "application/octet-stream";

  const { target, session, reference } = await replyTarget(ctx, args, match);
  const payload = {
    ...(args.text ? { content: args.text } : {}),
    attachments: [{ id: "0", filename }],
    allowed_mentions: { parse: [] },
    ...(reference ? { message_reference: reference } : {}),
  };
  const msg = await ctx.rest.request<DiscordMessage>("POST", `/channels/${target.id}/messages`, {
    body: payload,
    files: [{ name: filename, data: bytes, contentType: type }],
    what: `send ${filename} to ${target.label}`,
  });
  await recordPosts(ctx, session, [msg.id]);
  return `Sent ${filename} (${formatBytes(info.size)}) to ${target.label} as message ${msg.id}.`;
}
