// Private: JSON text that may be damaged (a torn line, a hand-edited file).

/**
 * Parses JSON text, or gives `undefined` when it is not JSON (`JSON.parse`'s SyntaxError is
 * the one failure expected; no JSON text parses to `undefined`).
 *
 * @param text The text.
 * @returns The value, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJson } from "./json.ts";
 * assert.deepEqual(parseJson('{"ids":["1"]}'), { ids: ["1"] });
 * assert.equal(parseJson('{"ids":['), undefined);
 * ```
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
