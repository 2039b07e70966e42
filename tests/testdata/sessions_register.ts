// Child process for tests/sessions_process_test.ts: waits until the start file exists (so all
// children register at nearly the same moment), registers one session, prints its name.
//   sessions_register.ts <home> <id> <cwd> <startFile>
import { SessionRegistry } from "../../sessions.ts";

const [home, id, cwd, startFile] = Deno.args;
const deadline = Date.now() + 20_000;
while (Date.now() < deadline) {
  try {
    Deno.statSync(startFile);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 2));
  }
}
const record = await new SessionRegistry(home).register({ id, cwd });
console.log(record.name);
