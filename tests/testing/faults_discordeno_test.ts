// Gateway faults with discordeno (the tests: _faults.ts).
import { faultTests } from "./_faults.ts";

faultTests("discordeno");
