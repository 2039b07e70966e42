// CI: the test output must hold no secret. `deno run --allow-read .ci/secrets_in_output.ts FILE`
// names each line of FILE that holds a bot token or a webhook or interaction token (the
// patterns log.ts scrubs), with the secret masked, and exits 1 when there is one.
import { scrub } from "../log.ts";

/** A line of the output that holds a secret. */
export interface SecretLine {
  /** 1-based line number. */
  line: number;
  /** The line with its secrets masked (`***`), cut to 200 characters. */
  masked: string;
}

/**
 * The lines of `text` that hold a secret, masked.
 *
 * @param text The test output.
 * @returns The lines, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { secretLines } from "./secrets_in_output.ts";
 * const token = `${btoa("1100000000000000001")}.GxYz12.abcdefghijklmnopqrstuvwxyz0`;
 * const found = secretLines(`ok | 3 passed\n{"token":"${token}"}\n`);
 * assert.deepEqual(found.map((l) => l.line), [2]);
 * assert(!found[0].masked.includes(token));
 * ```
 */
export function secretLines(text: string): SecretLine[] {
  const out: SecretLine[] = [];
  text.split("\n").forEach((line, i) => {
    const masked = scrub(line);
    if (masked !== line) out.push({ line: i + 1, masked: masked.slice(0, 200) });
  });
  return out;
}

if (import.meta.main) {
  const [file] = Deno.args;
  const found = secretLines(Deno.readTextFileSync(file));
  for (const { line, masked } of found) {
    console.log(`ci: ${file}:${line} holds a secret (masked here): ${masked}`);
  }
  if (found.length > 0) {
    console.log(
      "ci: the test output must hold no token: find the test or doc example that printed it",
    );
  }
  Deno.exit(found.length > 0 ? 1 : 0);
}
