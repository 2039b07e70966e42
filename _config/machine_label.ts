// Private: this machine's label as configured (config.ts re-exports these).
import { ConfigError } from "../errors.ts";

/** The longest machine label (it goes into thread and session names). */
export const MACHINE_LABEL_MAX = 32;

/**
 * A machine label (`CLAUDE_DISCORD_MACHINE`, config.json `machineLabel`, `setup --machine-label`),
 * trimmed; unset when empty.
 *
 * @param value The setting.
 * @returns The label, or `undefined` when unset.
 * @throws {ConfigError} When it is not a string of 1 to 32 printable characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMachineLabel } from "../config.ts";
 * assert.equal(parseMachineLabel(" laptop "), "laptop");
 * assert.equal(parseMachineLabel(""), undefined);
 * assert.throws(() => parseMachineLabel("a\nb"));
 * ```
 */
export function parseMachineLabel(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const label = typeof value === "string" ? value.trim() : undefined;
  if (label === "") return undefined;
  // deno-lint-ignore no-control-regex
  if (label === undefined || label.length > MACHINE_LABEL_MAX || /[\x00-\x1f\x7f]/.test(label)) {
    throw new ConfigError(
      `CLAUDE_DISCORD_MACHINE (config.json machineLabel) must be 1 to ${MACHINE_LABEL_MAX} printable characters, e.g. laptop: fix it or run \`deno task setup --machine-label NAME\``,
    );
  }
  return label;
}
