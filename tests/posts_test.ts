// posts.ts: recording and looking up who posted a message, torn lines, compaction. Writers in
// several processes: posts_process_test.ts.
import { DEFAULT_MAX_POSTS, PostIndex, postsPath, recordPost } from "../posts.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

const BASE = 1100000000000000000n;
const id = (n: number) => String(BASE + BigInt(n));

Deno.test("posts: a recorded post is found, by a new and by an existing reader", async () => {
  await using dir = await tempDir("posts-test-");
  const home = dir.path;
  const reader = new PostIndex(home);
  assertEquals(reader.ownerOf(id(1)), undefined);
  await recordPost(home, "s1", id(1));
  assertEquals(new PostIndex(home).ownerOf(id(1)), "s1");
  assertEquals(reader.ownerOf(id(1)), "s1");
  await recordPost(home, "s2", id(2));
  assertEquals(reader.ownerOf(id(2)), "s2");
  assertEquals(reader.size, 2);
  assertEquals((await Deno.stat(postsPath(home))).mode! & 0o777, 0o600);
});

Deno.test("posts: bad ids are refused", async () => {
  await using dir = await tempDir("posts-test-");
  const home = dir.path;
  await assertRejects(() => recordPost(home, "../x", id(1)), TypeError, "session id");
  await assertRejects(() => recordPost(home, "s1", "12a"), TypeError, "message id");
  assertEquals(new PostIndex(home).size, 0);
});

Deno.test("posts: a torn last line is never read and is cut off by the next writer", async () => {
  await using dir = await tempDir("posts-test-");
  const home = dir.path;
  await recordPost(home, "s1", id(1));
  // A writer killed mid-line left "…2 s" (it meant "…2 s22").
  await Deno.writeTextFile(postsPath(home), `${id(2)} s`, { append: true });
  const reader = new PostIndex(home);
  assertEquals(reader.ownerOf(id(2)), undefined);
  await recordPost(home, "s3", id(3));
  assertEquals(reader.ownerOf(id(3)), "s3");
  assertEquals(reader.ownerOf(id(2)), undefined);
  assertEquals(await Deno.readTextFile(postsPath(home)), `${id(1)} s1\n${id(3)} s3\n`);
});

Deno.test("posts: the index is bounded and readers follow a compaction", async () => {
  await using dir = await tempDir("posts-test-");
  const home = dir.path;
  const reader = new PostIndex(home, { maxEntries: 5 });
  for (let i = 1; i <= 30; i++) {
    await reader.record(`s${i}`, id(i));
    assertEquals(reader.ownerOf(id(i)), `s${i}`);
  }
  const lines = (await Deno.readTextFile(postsPath(home))).trim().split("\n");
  assert(lines.length <= 10, `${lines.length} lines`);
  assertEquals(lines.at(-1), `${id(30)} s30`);
  assertEquals(reader.ownerOf(id(1)), undefined);
  assertEquals(new PostIndex(home).ownerOf(id(29)), "s29");
  assertEquals(DEFAULT_MAX_POSTS, 10_000);
});
