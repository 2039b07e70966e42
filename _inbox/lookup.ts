// Private: the delivered log read once, for a claim (inbox.ts `Inbox.claim`).
//
// A claim runs mostly in a short-lived hook process, which has no parsed copy of the log in
// memory, and the log holds up to twice the de-dup window (10,000 ids by default): parsing
// all of it costs tens of milliseconds, on every delivery. A claim only needs to know, for
// the few ids pending in the mailbox, whether they were committed. So it looks each one up
// in the log's text, and parses the whole log only when it must: for an id that contains
// JSON syntax characters (never the case for Discord ids), and when the log may be due for
// compaction.
//
// Why the text lookup is exact: a commit line is `JSON.stringify({at, ids})` (or
// `{gen, at, ids}` after a compaction), so the log contains no whitespace between tokens and
// every unescaped `"` delimits a string. For an id without `"`, `\`, `,`, `[`, `]`, `{`, `}`
// and control characters, `JSON.stringify(id)` is `"` + id + `"`. An occurrence of it that is
// preceded by `[` or `,` (so its first quote is not an escaped one) and followed by `,` or `]`
// is either one string whose text is the id, preceded like an array element and followed like
// one (keys are followed by `:`, values of `at`/`gen` preceded by `:`), or the end of one
// string and the start of the next; the text between those two quotes would be the separator
// `,` or `:` alone, which the id is not (`:` is ruled out by name). So it is an element of
// some `ids` array: a committed id.
import { idsOfCommitLine, splitBytes } from "./io.ts";
import { statIfExists } from "../_shared/fs.ts";

/** The committed ids of a delivered log, as a claim needs them. */
export interface DeliveredLookup {
  /** Whether `id` was committed. */
  has(id: string): boolean;
  /** How many ids the log holds at most (an over-estimate, never under the true number). */
  readonly idsAtMost: number;
  /** Every committed id, oldest first (parses the whole log once). */
  ids(): readonly string[];
  /** Bytes of complete lines; a longer file has a torn (uncommitted) tail. */
  readonly completeBytes: number;
  /** Total size (-1 when the file does not exist). */
  readonly size: number;
}

/**
 * Ids that the text lookup may answer for (see the module comment). No `u` flag: a Unicode
 * regular expression costs a hook's first use about a millisecond to compile.
 */
const PLAIN_ID = /^[^"\\,[\]{}]+$/;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;

/** Reads the delivered log at `path` once (an absent file is an empty log). */
export function readDeliveredLookup(path: string): DeliveredLookup {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    bytes = new Uint8Array(0);
  }
  const size = bytes.length === 0 ? sizeIfExists(path) : bytes.length;
  const completeBytes = bytes.lastIndexOf(10) + 1;
  const text = new TextDecoder().decode(bytes.subarray(0, completeBytes));
  let parsed: string[] | undefined;
  let parsedSet: Set<string> | undefined;
  const ids = (): string[] => {
    if (parsed === undefined) {
      parsed = [];
      for (const line of splitBytes(bytes.subarray(0, completeBytes)).lines) {
        for (const id of idsOfCommitLine(line)) parsed.push(id);
      }
    }
    return parsed;
  };
  return {
    has(id: string): boolean {
      const quoted = JSON.stringify(id);
      // `quoted` is the id between two quotes, unchanged: no control characters and no lone
      // surrogates (JSON.stringify escapes those), and PLAIN_ID rules out the syntax.
      if (quoted.length === id.length + 2 && id !== ":" && PLAIN_ID.test(id)) {
        return occursAsElement(text, quoted);
      }
      parsedSet ??= new Set(ids());
      return parsedSet.has(id);
    },
    // Every id is followed by one `,` or `]`; every line has one `,` before "ids".
    idsAtMost: Math.max(0, count(text, ",") + count(text, "]") - count(text, "\n")),
    ids,
    completeBytes,
    size,
  };
}

function occursAsElement(text: string, needle: string): boolean {
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    const before = text.charCodeAt(at - 1);
    const after = text.charCodeAt(at + needle.length);
    if ((before === OPEN || before === COMMA) && (after === COMMA || after === CLOSE)) return true;
  }
  return false;
}

function count(text: string, char: string): number {
  let n = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) n++;
  return n;
}

function sizeIfExists(path: string): number {
  return statIfExists(path)?.size ?? -1;
}
