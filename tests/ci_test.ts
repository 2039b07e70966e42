// .ci/run: the test output is scanned for secrets (.ci/secrets_in_output.ts); a token printed
// by a test or a doc example fails CI, and the scan names the line without the token.
import { secretLines } from "../.ci/secrets_in_output.ts";
import { assert, assertEquals } from "./_assert.ts";
import { ROOT } from "./_fixture.ts";

Deno.test("CI: the scan finds a bot token and a webhook URL's token in test output, masked", () => {
  const token = `${btoa("1100000000000000001")}.GxYz12.abcdefghijklmnopqrstuvwxyz0`;
  const hook = "http://127.0.0.1:7431/api/webhooks/1100000000000000003/v-Gi8S_vNWEF94gqZPHDu21N5U";
  const output = [
    "file:///x/testing/server.ts#67-75.ts ... ok (130ms)",
    `------- post-test output -------`,
    `{"token":"${token}"}`,
    `posted to ${hook}`,
    "ok | 364 passed (4 steps) | 0 failed (51s)",
  ].join("\n");
  const found = secretLines(output);
  assertEquals(found.map((l) => l.line), [3, 4]);
  assert(found.every((l) => !l.masked.includes(token) && !l.masked.includes("v-Gi8S")));
  assertEquals(secretLines("ok | 1 passed | 0 failed\nhttps://discord.com/api\n"), []);
});

Deno.test("CI: .ci/run scans the output of deno task ci and fails on a secret", () => {
  const run = Deno.readTextFileSync(`${ROOT}/.ci/run`);
  assert(run.includes("deno task ci 2>&1 | tee .ci/test-output.txt"), "the output is kept");
  assert(
    run.includes("deno run --allow-read .ci/secrets_in_output.ts .ci/test-output.txt || status=1"),
    "and scanned",
  );
});
