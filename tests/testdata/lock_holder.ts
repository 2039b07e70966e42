// Test fixture: a stand-in bridge that takes the instance lock of `home` and holds it.
// `--ignore-term` makes it ignore SIGTERM (to test the SIGKILL fallback); otherwise SIGTERM
// releases the lock and exits 0. Prints "locked" or "busy <pid>" on stdout.
import { acquireInstanceLock } from "../../daemon.ts";

const home = Deno.args[0];
const got = await acquireInstanceLock(home, { attempts: 1 });
if (!got.acquired) {
  console.log(`busy ${got.pid}`);
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => {
  if (Deno.args.includes("--ignore-term")) return;
  got.lock.release();
  Deno.exit(0);
});
console.log("locked");
setInterval(() => {}, 60_000);
