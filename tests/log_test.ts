import { assert, assertEquals } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";
import { createLogger, describeError, scrub } from "../log.ts";

const TOKEN = `${btoa("1100000000000000001")}.GxYz12.abcdefghijklmnopqrstuvwxyz012345`;

Deno.test("scrub: bot, webhook and interaction tokens, and literal secrets", () => {
  const text = `Bot ${TOKEN} /webhooks/11/AbC-def_9 /interactions/22/xyz pw=hunter22`;
  const out = scrub(text, ["hunter22"]);
  assertEquals(out, "Bot *** /webhooks/11/*** /interactions/22/*** pw=***");
});

Deno.test("createLogger: lines, 0600, rotation keeps N generations, secrets never written", async () => {
  await using tmp = await tempDir("log-test-");
  const dir = tmp.path;
  const path = `${dir}/b.log`;
  let t = 0;
  const log = createLogger(path, { maxBytes: 80, keep: 2, now: () => new Date(t++ * 1000) });
  for (let i = 0; i < 10; i++) log.info(`line ${i} token ${TOKEN}`);
  log.error("failed", new Error("outer", { cause: { status: 404 } }));
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assertEquals(files, ["b.log", "b.log.1", "b.log.2"]);
  const all = files.map((f) => Deno.readTextFileSync(`${dir}/${f}`)).join("");
  assert(!all.includes(TOKEN));
  assert(Deno.readTextFileSync(path).includes('error failed: outer (cause: {"status":404})'));
});

Deno.test("createLogger: an unwritable path never throws", () => {
  const log = createLogger("/proc/nonexistent/dir/x.log");
  log.warn("still fine");
  assertEquals(describeError("plain"), "plain");
});
