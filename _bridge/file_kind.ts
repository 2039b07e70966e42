// Private: what a downloaded attachment is, by its bytes rather than by what Discord (the
// uploader's client) states, and the file name it is stored under: one that cannot leave its
// folder, and whose extension fits the bytes (Claude Code's Read tool goes by the extension to
// show a file as an image). Binary formats are told by their magic bytes (npm magic-bytes.js,
// which the REST library already brings along; loaded on the first attachment, not at start),
// text by being valid UTF-8 without control characters.

/** Bytes looked at to tell a file's type. */
export const SNIFF_BYTES = 4096;

/** Longest stored file name, in characters. */
const MAX_NAME = 100;

/** Extensions Claude Code's Read tool shows as images, by the image type. */
const IMAGE_EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  "image/png": ["png"],
  "image/jpeg": ["jpg", "jpeg"],
  "image/gif": ["gif"],
  "image/webp": ["webp"],
};

/** A type detector: the MIME types a file's first bytes match (npm magic-bytes.js). */
export type Detector = (bytes: Uint8Array) => string[];

let detector: Promise<Detector> | undefined;

/** The magic-bytes detector, loaded once on first use. */
export function loadDetector(): Promise<Detector> {
  return detector ??= import("magic-bytes.js").then((lib) => (bytes: Uint8Array) =>
    lib.filetypemime(bytes)
  );
}

/**
 * The type of a file by its first bytes: `text/plain` when they are UTF-8 text, else the first
 * type the magic bytes name, else `application/octet-stream`.
 */
export function sniffType(head: Uint8Array, detect: Detector): string {
  if (head.length > 0 && isText(head)) return "text/plain";
  return detect(head.subarray(0, SNIFF_BYTES))[0] ?? "application/octet-stream";
}

/** Whether `type` is an image Claude can be shown (PNG, JPEG, GIF, WebP). */
export function isShownImage(type: string | undefined): boolean {
  return type !== undefined && type in IMAGE_EXTENSIONS;
}

/**
 * Whether `bytes` (the beginning of a file, possibly cut mid-character) are text: valid UTF-8
 * with no control characters other than tab, newline, carriage return, form feed and escape.
 */
export function isText(bytes: Uint8Array): boolean {
  // A multi-byte character cut at the end of the sample is not an error.
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back];
    if ((b & 0xc0) !== 0x80) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (need > back) end -= back;
      break;
    }
  }
  for (let i = 0; i < end; i++) {
    const b = bytes[i];
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) return false;
    if (b === 0x7f) return false;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
    return true;
  } catch (err) {
    if (err instanceof TypeError) return false; // not UTF-8
    throw err;
  }
}

/**
 * A file name safe to store under the message's folder: the last path part only, characters
 * other than letters, digits, `.`, `-`, `_`, `+`, `(`, `)` and space replaced by `_`, no leading
 * dot (no hidden files, no `.` or `..`), at most 100 characters with the extension kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeFileName } from "./file_kind.ts";
 * assert(safeFileName("../../.bashrc") === "bashrc");
 * assert(safeFileName("C:\\temp\\log file.txt") === "log file.txt");
 * ```
 */
export function safeFileName(name: string): string {
  const last = name.split(/[\\/]/).filter((p) => p !== "").at(-1) ?? "";
  let safe = last.normalize("NFC").replace(/[^\p{L}\p{N}._+() -]/gu, "_").replace(/^[.\s]+/, "")
    .replace(/\s+$/, "");
  if (safe === "" || /^_+$/.test(safe)) safe = "file";
  if (safe.length > MAX_NAME) {
    const dot = safe.lastIndexOf(".");
    const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : "";
    safe = safe.slice(0, MAX_NAME - ext.length) + ext;
  }
  return safe;
}

/**
 * The name to store a file under so that its extension fits its bytes: an image whose name
 * lacks the image's extension gets it appended; a name with an image extension on bytes that
 * are not that image gets `.txt` (text) or `.bin` appended, so Read does not take it for one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameForType } from "./file_kind.ts";
 * assert(nameForType("photo", "image/png") === "photo.png");
 * assert(nameForType("notes.png", "text/plain") === "notes.png.txt");
 * assert(nameForType("shot.JPG", "image/jpeg") === "shot.JPG");
 * ```
 */
export function nameForType(name: string, type: string): string {
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  const fits = IMAGE_EXTENSIONS[type];
  if (fits) return fits.includes(ext) ? name : `${name}.${fits[0]}`;
  const claimsImage = Object.values(IMAGE_EXTENSIONS).some((list) => list.includes(ext));
  if (!claimsImage) return name;
  return `${name}.${type === "text/plain" ? "txt" : "bin"}`;
}

/**
 * `name`, or `name-2.ext`, `name-3.ext`, … : the first that `taken` does not hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { uniqueName } from "./file_kind.ts";
 * assert(uniqueName("a.txt", new Set(["a.txt"])) === "a-2.txt");
 * ```
 */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let n = 2;; n++) {
    const candidate = `${stem}-${n}${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * The first `maxBytes` of UTF-8 `bytes` as text, cut at a character boundary (and at the last
 * line break in the final eighth, when there is one, so no line is shown half).
 */
export function textHead(bytes: Uint8Array, maxBytes: number): string {
  if (bytes.length <= maxBytes) return new TextDecoder().decode(bytes);
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  const newline = bytes.lastIndexOf(10, end - 1);
  if (newline >= end - Math.floor(maxBytes / 8) && newline > 0) end = newline + 1;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
