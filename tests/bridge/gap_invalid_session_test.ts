// Messages posted during the gap of an op 9 Invalid Session arrive once, resumable or not
// (tests/bridge/_gap.ts; Discord's 1 to 5 s wait before the new IDENTIFY makes these slow).
import { gapTest } from "./_gap.ts";

gapTest("op 9 not resumable", { kind: "invalidSession", resumable: false });
gapTest("op 9 resumable", { kind: "invalidSession", resumable: true });
