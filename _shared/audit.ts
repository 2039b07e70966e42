// Private: the audit log, `$home/audit.log` (0600): one JSON line per decision a Discord user
// made about a session (a permission prompt answered, a session stopped), appended.
import { chmodIfOwned } from "./fs.ts";

/**
 * Appends one line to `$home/audit.log` (created 0600).
 *
 * @param home The state directory.
 * @param entry What to record: who, what, how, when.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appendAudit } from "./audit.ts";
 * const home = Deno.makeTempDirSync();
 * appendAudit(home, { at: "2026-01-01T00:00:00.000Z", decision: "deny" });
 * assert.equal(JSON.parse(Deno.readTextFileSync(`${home}/audit.log`)).decision, "deny");
 * assert.equal(Deno.statSync(`${home}/audit.log`).mode! & 0o777, 0o600);
 * ```
 */
export function appendAudit(home: string, entry: Record<string, unknown>): void {
  const path = `${home.replace(/\/+$/, "")}/audit.log`;
  Deno.writeTextFileSync(path, JSON.stringify(entry) + "\n", {
    append: true,
    create: true,
    mode: 0o600,
  });
  chmodIfOwned(path, 0o600);
}
