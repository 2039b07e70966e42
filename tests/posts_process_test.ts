// posts.ts across processes: concurrent writers (tests/testdata/posts_writer.ts) lose nothing.
import { PostIndex } from "../posts.ts";
import { assert, assertEquals } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

const BASE = 1100000000000000000n;
const id = (n: number) => String(BASE + BigInt(n));

Deno.test("posts: concurrent writers in several processes lose nothing", async () => {
  await using dir = await tempDir("posts-test-");
  const home = dir.path;
  const writer = new URL("./testdata/posts_writer.ts", import.meta.url).pathname;
  const children = [0, 1, 2, 3].map((w) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", writer, home, `w${w}`, String(BASE + BigInt(w * 1000)), "40"],
      stdout: "null",
      stderr: "piped",
    }).output()
  );
  const results = await Promise.all(children);
  for (const r of results) assert(r.success, new TextDecoder().decode(r.stderr));
  const reader = new PostIndex(home);
  assertEquals(reader.size, 160);
  for (let w = 0; w < 4; w++) {
    for (let i = 0; i < 40; i++) assertEquals(reader.ownerOf(id(w * 1000 + i)), `w${w}`);
  }
});
