// Child process for tests/sessions_process_test.ts, run under a role's permission flags: prints the
// ids of the live sessions of a registry, as JSON, with the registry's default liveness.
//   sessions_live_ids.ts <home>
import { SessionRegistry } from "../../sessions.ts";

console.log(
  JSON.stringify(new SessionRegistry(Deno.args[0]).list({ live: true }).map((r) => r.id)),
);
