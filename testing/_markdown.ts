// Discord markdown for the sandbox page: npm `discord-markdown-parser` (simple-markdown with
// Discord's rules) parses on the server, the page turns the trees into elements.
import { parse } from "discord-markdown-parser";

/** One node of a parsed message, as the library gives it (`type`, then rule-specific fields). */
export interface MarkdownNode {
  /** The rule: `text`, `strong`, `em`, `underline`, `strikethrough`, `inlineCode`, `codeBlock`, `user`, … */
  type: string;
  /** Text (leaves) or child nodes. */
  content?: string | MarkdownNode[];
  /** Other fields of the rule (`id`, `lang`, `target`, `level`, `timestamp`, …). */
  [field: string]: unknown;
}

/** At most this many texts in one call. */
export const MAX_TEXTS = 1000;
/** Texts are cut at this length (Discord's longest, an embed description, is 4,096). */
export const MAX_TEXT = 6000;

/**
 * Parses texts as Discord renders them in messages, webhook posts and embeds (masked links
 * included).
 *
 * @throws {RangeError} Past {@linkcode MAX_TEXTS}.
 */
export function markdownTrees(texts: readonly string[]): MarkdownNode[][] {
  if (texts.length > MAX_TEXTS) throw new RangeError(`at most ${MAX_TEXTS} texts at once`);
  return texts.map((t) => parse(String(t).slice(0, MAX_TEXT), "extended") as MarkdownNode[]);
}
