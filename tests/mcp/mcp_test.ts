// The MCP server's parts in this process: text chunking, emoji parsing, finding the session to
// serve, process tables, REST route masking. mcp.ts as Claude Code drives it (a subprocess on
// stdio): mcp_process_test.ts; channel mode: channel_process_test.ts.
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { chunkText } from "../../_mcp/text.ts";
import { parseEmoji } from "../../_mcp/tools.ts";
import { type SessionLike, SessionResolver } from "../../_mcp/session.ts";
import { parentOf, parsePs, type ProcessInfo, type ProcessProbe } from "../../_shared/procs.ts";

function fakeProbe(table: Record<number, ProcessInfo>): ProcessProbe {
  return {
    source: "ps",
    info: (pid) => table[pid],
    refresh: () => {},
  };
}

function session(id: string, cwd: string, pid?: number): SessionLike {
  return { id, name: `${id}-name`, cwd, ...(pid ? { pid } : {}) };
}

Deno.test("chunkText splits at line, then word boundaries, and keeps code fences balanced", () => {
  assertEquals(chunkText("short"), ["short"]);
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${"x".repeat(10)}`).join("\n");
  const parts = chunkText(lines);
  assert(parts.length > 1);
  for (const p of parts) assert(p.length <= 2000, `part of ${p.length}`);
  // Cut at line boundaries: nothing lost, nothing reordered.
  assertEquals(parts.join("\n"), lines);
  for (const p of parts) assertMatch(p, /^line \d+ x{10}$/m);

  const words = Array.from({ length: 1000 }, (_, i) => `w${i}`).join(" ");
  const wparts = chunkText(words);
  assertEquals(wparts.join(" "), words);
  for (const p of wparts) assert(!p.startsWith(" ") && !p.endsWith(" "));

  const blob = "y".repeat(4500);
  assertEquals(chunkText(blob).join(""), blob);

  const emoji = "😀".repeat(1500); // 3000 UTF-16 units, never split inside a pair
  const eparts = chunkText(emoji);
  assertEquals(eparts.join(""), emoji);
  for (const p of eparts) assert(!/[\ud800-\udbff]$/.test(p));

  const code = "```ts\n" + Array.from({ length: 200 }, (_, i) => `const v${i} = ${i};`).join("\n") +
    "\n```\nafter";
  const cparts = chunkText(code);
  assert(cparts.length > 1);
  for (const p of cparts) {
    assert(p.length <= 2000);
    assertEquals((p.match(/^```/gm) ?? []).length % 2, 0, `unbalanced fence in: ${p.slice(-40)}`);
  }
  assert(cparts[1].startsWith("```ts\n"));
  assert(cparts.at(-1)!.endsWith("after"));
});

Deno.test("parseEmoji takes unicode and custom emoji and refuses shortcodes and words", () => {
  assertEquals(parseEmoji("👍"), "👍");
  assertEquals(parseEmoji(" ✅ "), "✅");
  assertEquals(parseEmoji("👨‍👩‍👧"), "👨‍👩‍👧");
  assertEquals(parseEmoji("<:party:1100000000000000001>"), "party:1100000000000000001");
  assertEquals(parseEmoji("party:1100000000000000001"), "party:1100000000000000001");
  for (const bad of [":thumbsup:", "thumbsup", "", "👍 👍", "a👍"]) {
    let message = "";
    try {
      parseEmoji(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    assertMatch(message, /emoji/, `accepted ${JSON.stringify(bad)}`);
  }
});

Deno.test("SessionResolver: nearest ancestor, then the only session in the project dir", async () => {
  // 500 (this server) < 400 (sh) < 300 (claude, session B) < 200 (claude, session A) < 1
  const probe = fakeProbe({
    400: { ppid: 300, args: ["sh", "-c", "deno run mcp.ts"] },
    300: { ppid: 200, args: ["claude"] },
    200: { ppid: 1, args: ["claude"] },
  });
  await using tmp = await tempDir("mcp-project-");
  const dir = tmp.path;
  let sessions = [session("a", dir, 200), session("b", "/elsewhere", 300), session("c", dir)];
  const source = { list: () => sessions };
  const r = new SessionResolver({ source, ppid: 400, probe, projectDir: dir });
  assertEquals(r.ancestors(), [400, 300, 200]);
  let m = await r.resolve();
  assertEquals([m.how, m.session?.id], ["process", "b"]);

  // Without a pid match: the one live session whose cwd is the project directory.
  sessions = [session("a", dir), session("x", "/elsewhere")];
  const r2 = new SessionResolver({ source, ppid: 400, probe, projectDir: `${dir}/` });
  m = await r2.resolve();
  assertEquals([m.how, m.session?.id], ["cwd", "a"]);
  // Two sessions in the same directory: neither is guessed.
  sessions = [session("a", dir), session("d", dir)];
  m = await r2.resolve();
  assertEquals([m.how, m.session], ["none", undefined]);
  assertMatch(m.detail, /2 live sessions run in/);
  // An explicit id or name wins.
  const r3 = new SessionResolver({ source, ppid: 400, probe, explicit: "d-name" });
  assertEquals((await r3.resolve()).session?.id, "d");
  const r4 = new SessionResolver({ source, ppid: 400, probe, explicit: "nope" });
  assertMatch((await r4.resolve()).detail, /no live session is named or numbered "nope"/);
  // A pinned session that ends is dropped, and the lookup starts over.
  sessions = [session("b", "/elsewhere", 300)];
  const r5 = new SessionResolver({ source, ppid: 400, probe });
  assertEquals((await r5.resolve()).session?.id, "b");
  sessions = [];
  m = await r5.resolve();
  assertEquals([m.how, m.detail], ["none", "no live session is registered yet"]);
  // A registry that cannot be read is reported, not thrown.
  const broken = new SessionResolver({
    source: { list: () => Promise.reject(new Error("disk on fire")) },
    ppid: 400,
    probe,
  });
  assertMatch((await broken.resolve()).detail, /could not be read \(disk on fire\)/);
});

Deno.test("process table parsing: /proc stat lines and ps output", () => {
  assertEquals(parentOf("4242 (node (claude) x) S 4200 4242 1 0"), 4200);
  assertEquals(parentOf(""), undefined);
  const table = parsePs(
    "    1     0 /sbin/init\n 4200     1 claude --channels server:discord\n  77 4200\n",
  );
  assertEquals(table.get(4200), { ppid: 1, args: ["claude", "--channels", "server:discord"] });
  assertEquals(table.get(77), { ppid: 4200, args: [] });
  assertEquals(table.size, 3);
});
