import { assertEquals } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { CachedRoutingView } from "../../_bridge/view.ts";
import { PostIndex } from "../../posts.ts";
import { SessionRegistry } from "../../sessions.ts";

function view(home: string, registry: SessionRegistry): CachedRoutingView {
  // A cache that never expires by age: only a registry change may refresh it.
  return new CachedRoutingView(registry, new PostIndex(home), { maxAgeMs: 1e12 });
}

Deno.test("routing view: a thread set a moment ago is found despite a fresh cache", async () => {
  await using dir = await tempDir("routing-view-");
  const home = dir.path;
  const registry = new SessionRegistry(home, { isAlive: () => true });
  await registry.register({ id: "web", cwd: "/x/web" });
  const v = view(home, registry);
  assertEquals(v.sessionByThread("1100000000000000077"), undefined);
  await registry.setThread("web", "1100000000000000077");
  assertEquals(v.sessionByThread("1100000000000000077")?.id, "web");
});

Deno.test("routing view: a session registered after the last read is live and addressable", async () => {
  await using dir = await tempDir("routing-view-");
  const home = dir.path;
  const registry = new SessionRegistry(home, { isAlive: () => true });
  const v = view(home, registry);
  assertEquals(v.liveSessions().length, 0);
  const api = await registry.register({ id: "api1", cwd: "/x/api" });
  assertEquals(v.liveSessions().map((s) => s.id), ["api1"]);
  assertEquals(v.newestLiveSession()?.id, "api1");
  // "Newest" compares start times in milliseconds: let the clock move on.
  await new Promise((r) => setTimeout(r, 3));
  const web = await registry.register({ id: "web1", cwd: "/x/web" });
  assertEquals(v.sessionByName(`@${web.name}`)?.id, "web1");
  assertEquals(v.sessionByName(api.name)?.id, "api1");
  assertEquals(v.newestLiveSession()?.id, "web1");
});

Deno.test("routing view: an unchanged registry is not re-read on every miss", async () => {
  await using dir = await tempDir("routing-view-");
  const home = dir.path;
  let reads = 0;
  const registry = new SessionRegistry(home, { isAlive: () => true });
  await registry.register({ id: "api1", cwd: "/x/api" });
  const list = registry.list.bind(registry);
  registry.list = (...args) => {
    reads++;
    return list(...args);
  };
  const v = view(home, registry);
  await new Promise((r) => setTimeout(r, 5)); // past the millisecond of the registry write
  for (let i = 0; i < 50; i++) v.sessionByThread(`11000000000000001${String(i).padStart(2, "0")}`);
  assertEquals(reads <= 2, true, `registry read ${reads} times for 50 misses`);
});

Deno.test("routing view: name@label names this machine's session only with this machine's label", async () => {
  await using dir = await tempDir("routing-view-");
  const home = dir.path;
  const registry = new SessionRegistry(home, { isAlive: () => true });
  const api = await registry.register({ id: "api1", cwd: "/x/api" });
  const v = new CachedRoutingView(registry, new PostIndex(home), {
    maxAgeMs: 1e12,
    machineLabel: "Bob's Laptop",
  });
  assertEquals(v.sessionByName(api.name)?.id, "api1");
  assertEquals(v.sessionByName(`${api.name}@bob-s-laptop`)?.id, "api1");
  assertEquals(v.sessionByName(`${api.name.toUpperCase()}@BOB-S-LAPTOP`)?.id, "api1");
  assertEquals(v.sessionByName(`${api.name}@desktop`), undefined);
  assertEquals(v.sessionByName("@bob-s-laptop"), undefined);
  // Without a label (one machine), a name with one is nobody's.
  assertEquals(view(home, registry).sessionByName(`${api.name}@bob-s-laptop`), undefined);
});
