// Test fixture: records `count` posts for session `prefix` (ids `base + i`), as another process.
import { recordPost } from "../../posts.ts";

const [home, session, base, count] = Deno.args;
for (let i = 0; i < Number(count); i++) {
  await recordPost(home, session, String(BigInt(base) + BigInt(i)));
}
