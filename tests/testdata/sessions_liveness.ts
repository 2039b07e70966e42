// Child process for tests/sessions_process_test.ts, run without read access to /proc: registers
// itself with its own pid and prints how many sessions are live (expected: 1).
//   sessions_liveness.ts <home>
import { SessionRegistry } from "../../sessions.ts";

const registry = new SessionRegistry(Deno.args[0]);
await registry.register({ id: "self", cwd: "/x", pid: Deno.pid });
console.log(registry.list({ live: true }).length);
