// JSR readiness: `deno publish --dry-run` finds no slow types and `deno doc --lint` is clean on
// every export of deno.json. mcp.ts is the one known exception: `deno doc` cannot resolve the
// types of @modelcontextprotocol/sdk's wildcard subpath exports (`"./*": {"types":
// "./dist/esm/*.d.ts"}` turns `server/index.js` into `server/index.js.d.ts`), while
// `deno check` and `deno publish` resolve them fine.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { ROOT } from "./_fixture.ts";

const decoder = new TextDecoder();

async function deno(args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, text: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

const exports = Object.values(
  JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).exports as Record<string, string>,
);

Deno.test("jsr: deno doc --lint is clean on every export (mcp.ts: only the SDK's type resolution)", async () => {
  const linted = exports.filter((path) => path !== "./mcp.ts");
  const all = await deno(["doc", "--lint", ...linted]);
  assertEquals(all.code, 0, all.text);
  const mcp = await deno(["doc", "--lint", "./mcp.ts"]);
  if (mcp.code !== 0) {
    assertMatch(mcp.text, /Failed resolving '@modelcontextprotocol\/sdk\//);
    assert(!/error\[/.test(mcp.text), `mcp.ts has doc lint errors of its own:\n${mcp.text}`);
  }
});

Deno.test("jsr: deno publish --dry-run passes (no slow types, every export exists)", async () => {
  const run = await deno(["publish", "--dry-run", "--allow-dirty"]);
  assertEquals(run.code, 0, run.text);
  assertMatch(run.text, /Dry run complete/);
  assert(!/\/tests\//.test(run.text), "tests are not published");
});
