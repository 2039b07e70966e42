// Command lines (_shared/args.ts): parseArgs' refusals become one line naming the option as
// typed and the fix; setup.ts and bridge.ts say it and exit 2.
import { LEVENSHTEIN_LIBRARY, readCommandLine } from "../../_shared/args.ts";
import { UsageError } from "../../errors.ts";
import { main as setupMain } from "../../setup.ts";
import { main as bridgeMain } from "../../bridge.ts";
import { assertEquals, assertRejects } from "../_assert.ts";
import { ROOT } from "../_fixture.ts";

const OPTIONS = {
  channel: { type: "string" },
  "status-channel": { type: "string" },
  "dry-run": { type: "boolean" },
  user: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const refusal = async (args: string[], allowPositionals = false): Promise<string> =>
  (await assertRejects(
    () => readCommandLine({ args, options: OPTIONS, allowPositionals }, "see --help"),
    UsageError,
  )).message;

Deno.test("command line: an unknown option names the close one, else --help", async () => {
  assertEquals(
    await refusal(["--chanel", "123"]),
    "unknown option --chanel (did you mean --channel?)",
  );
  assertEquals(
    await refusal(["--chanel=123"]),
    "unknown option --chanel (did you mean --channel?)",
  );
  assertEquals(await refusal(["--dry"]), "unknown option --dry (did you mean --dry-run?)");
  assertEquals(
    await refusal(["--status-chanel", "1"]),
    "unknown option --status-chanel (did you mean --status-channel?)",
  );
  assertEquals(await refusal(["--frobnicate"]), "unknown option --frobnicate: see --help");
  assertEquals(await refusal(["--toString"]), "unknown option --toString: see --help");
  assertEquals(await refusal(["-x"]), "unknown option -x: see --help");
});

Deno.test("command line: a missing value, a value for a switch, an unexpected argument", async () => {
  assertEquals(
    await refusal(["--channel"]),
    "--channel needs a value (--channel VALUE, or --channel=VALUE for one that starts with -)",
  );
  assertEquals(
    await refusal(["--channel", "--user"]),
    "--channel needs a value (--channel VALUE, or --channel=VALUE for one that starts with -)",
  );
  assertEquals(await refusal(["--user=yes"]), '--user takes no value (leave out "=…")');
  assertEquals(
    await refusal(["status"]),
    'unexpected argument "status": this command takes options only: see --help',
  );
  const ok = await readCommandLine({
    args: ["status", "-h", "--channel=-1"],
    options: OPTIONS,
    allowPositionals: true,
  });
  assertEquals(ok.positionals, ["status"]);
  assertEquals(ok.values.channel, "-1");
  assertEquals(ok.values.help, true);
});

Deno.test("setup.ts and bridge.ts: a mistyped option is one line and exit 2", async () => {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  assertEquals(await setupMain(["--chanel", "123"], io), 2);
  assertEquals(lines, ["unknown option --chanel (did you mean --channel?)"]);
  lines.length = 0;
  assertEquals(await bridgeMain(["--stauts"], io), 2);
  assertEquals(lines[0].split("\n")[0], "unknown option --stauts (did you mean --status?)");
});

Deno.test("command line: the library loaded for a guess is the version deno.json pins", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  assertEquals(config.imports["fastest-levenshtein"], LEVENSHTEIN_LIBRARY);
});
