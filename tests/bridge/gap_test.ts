// Messages posted during the gap of a recoverable gateway fault arrive once (tests/bridge/_gap.ts).
import { gapTest } from "./_gap.ts";

gapTest("op 7 reconnect", { kind: "reconnect" });
gapTest("a dropped connection", { kind: "drop" });
gapTest("missed heartbeat ACKs", { kind: "stopAcks" });
gapTest("close 4000", { kind: "close", code: 4000 });
