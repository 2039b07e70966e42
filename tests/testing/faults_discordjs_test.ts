// Gateway faults with discord.js (the tests: _faults.ts).
import { faultTests } from "./_faults.ts";

faultTests("discord.js");
