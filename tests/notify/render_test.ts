// Rendering of STATUS posts (notify.ts's private _notify/render.ts): embeds, Discord's
// limits, splitting without loss, and mention safety. No network.
import { assert, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import {
  type Embed,
  formatDuration,
  LIMITS,
  renderStatus,
  splitText,
  threadNameFor,
  validateStatusInput,
  withSessionPrefix,
} from "../../_notify/render.ts";

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);
const ctx = { now: NOW, host: "devbox", maxMessages: 10 };

function embedSize(e: Embed): number {
  return (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) +
    (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== "");
}

function paragraphText(chars: number, seed = 1): string {
  let s = seed;
  const out: string[] = [];
  let len = 0;
  while (len < chars) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const w = `w${s % 100000}`;
    out.push(s % 17 === 0 ? w + "\n" : w);
    len += w.length + 1;
  }
  return out.join(" ");
}

Deno.test("splitText keeps every word, in order, within the limits", () => {
  const text = paragraphText(23_000);
  const chunks = splitText(text, 3000, 4096);
  assert(chunks.length >= 6);
  assert(chunks[0].length <= 3000);
  for (const c of chunks) assert(c.length <= 4096, `chunk of ${c.length}`);
  assertEquals(words(chunks.join("\n")), words(text));
});

Deno.test("splitText hard-cuts a word longer than the limit without splitting surrogates", () => {
  const text = "😀".repeat(3000); // 6000 UTF-16 units, no spaces
  const chunks = splitText(text, 1001, 1001);
  assertEquals(chunks.join(""), text);
  for (const c of chunks) {
    assert(c.length <= 1001);
    assert(!/[\uD800-\uDBFF]$/.test(c), "a chunk ends inside a surrogate pair");
  }
});

Deno.test("splitText closes and reopens a code fence cut in two", () => {
  const code = Array.from({ length: 400 }, (_, i) => `  line ${i} = compute(${i});`).join("\n");
  const text = `Intro.\n\`\`\`ts\n${code}\n\`\`\`\nOutro.`;
  const chunks = splitText(text, 2000, 2000);
  assert(chunks.length >= 5);
  for (const c of chunks) {
    const fences = c.split("\n").filter((l) => l.startsWith("```")).length;
    assertEquals(fences % 2, 0, `unbalanced fences in:\n${c.slice(0, 80)}…`);
    assert(c.length <= 2000);
  }
  assert(chunks[1].startsWith("```ts\n"));
  const lines = chunks.join("\n").split("\n").filter((l) => l.startsWith("  line "));
  assertEquals(lines.length, 400);
});

Deno.test("renderStatus: one embed with state colour, meta fields and no pings", () => {
  const [p, ...rest] = renderStatus({
    session: { id: "s1", name: "refactor-auth" },
    state: "error",
    text: "Tests failed: @everyone look",
    cwd: "/home/a/projects/shop/",
    startedAt: NOW - 3_725_000,
    fields: [{ name: "Tool", value: "Bash", inline: true }],
  }, ctx);
  assertEquals(rest.length, 0);
  assertEquals(p.allowed_mentions, { parse: [] });
  assertEquals(p.content, undefined);
  const e = p.embeds![0];
  assertEquals(e.color, 0xe74c3c);
  assertEquals(e.title, "❌ Error");
  assertEquals(e.description, "Tests failed: @everyone look");
  assertEquals(e.timestamp, new Date(NOW).toISOString());
  const fields = Object.fromEntries(e.fields!.map((f) => [f.name, f.value]));
  assertEquals(fields, {
    Session: "refactor-auth",
    Project: "shop",
    Host: "devbox",
    Duration: "1h 02m",
    Tool: "Bash",
  });
});

Deno.test("renderStatus splits a long text across messages, in order, none over the limits", () => {
  const text = paragraphText(30_000, 7);
  const payloads = renderStatus(
    { session: { id: "s1", name: "long" }, state: "done", text },
    ctx,
  );
  assertEquals(payloads.length, 8);
  payloads.forEach((p, i) => {
    assertEquals(p.allowed_mentions, { parse: [] });
    const e = p.embeds![0];
    assert(e.description!.length <= LIMITS.description);
    assert(embedSize(e) <= LIMITS.embedTotal);
    assertMatch(e.footer!.text, new RegExp(`part ${i + 1}/8`));
  });
  const all = payloads.map((p) => p.embeds![0].description!).join("\n");
  assertEquals(words(all), words(text));
});

Deno.test("renderStatus trims past maxMessages with a visible marker counting the rest", () => {
  const text = paragraphText(30_000, 3);
  const payloads = renderStatus(
    { session: { id: "s1", name: "long" }, state: "info", text },
    { ...ctx, maxMessages: 2 },
  );
  assertEquals(payloads.length, 2);
  const last = payloads[1].embeds![0].description!;
  const m = last.match(/… \[trimmed: ([0-9]+) more characters not shown/);
  assert(m, "no trim marker");
  const shown = payloads[0].embeds![0].description!.length +
    last.slice(0, last.indexOf("\n\n… [trimmed")).length;
  // The count covers what was not shown (give or take the separators dropped at cuts).
  assert(
    Math.abs(Number(m[1]) - (text.length - shown)) <= 4,
    `${m[1]} vs ${text.length - shown}`,
  );
  assert(last.length <= LIMITS.description);
});

Deno.test("renderStatus moves fields that do not fit into the text instead of dropping them", () => {
  const fields = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, value: `v${i}` }));
  fields.push({ name: "big", value: "x".repeat(2000) });
  const payloads = renderStatus(
    { session: { id: "s1", name: "n" }, state: "info", fields },
    ctx,
  );
  const e = payloads[0].embeds![0];
  assert(e.fields!.length <= LIMITS.fields);
  const all = payloads.map((p) => p.embeds![0].description ?? "").join("\n") +
    e.fields!.map((f) => `${f.name} ${f.value}`).join("\n");
  for (const f of fields) {
    assert(all.includes(f.name) && all.includes(f.value.slice(0, 100)), `lost field ${f.name}`);
  }
});

Deno.test("renderStatus mentions only the asked user, only in the first message", () => {
  const text = paragraphText(9000);
  const user = "1100000000000000042";
  const a = renderStatus(
    { session: { id: "s", name: "n" }, state: "waiting", text, mention: user },
    ctx,
  );
  assertEquals(a[0].content, `<@${user}>`);
  assertEquals(a[0].allowed_mentions, { parse: [], users: [user] });
  for (const p of a.slice(1)) {
    assertEquals(p.allowed_mentions, { parse: [] });
    assertEquals(p.content, undefined);
  }
  const b = renderStatus(
    { session: { id: "s", name: "n" }, state: "waiting", mention: true },
    { ...ctx, mentionUserId: user },
  );
  assertEquals(b[0].content, `<@${user}>`);
  const c = renderStatus({ session: { id: "s", name: "n" }, state: "waiting", mention: true }, ctx);
  assertEquals(c[0].content, undefined, "mention: true without an owner mentions nobody");
  assertEquals(c[0].allowed_mentions, { parse: [] });
});

Deno.test("withSessionPrefix cannot ping @everyone or @here through the session name", () => {
  const p = withSessionPrefix({ allowed_mentions: { parse: [] } }, "@everyone and @here");
  assert(!/@everyone|@here/.test(p.content!), p.content ?? "");
  assertEquals(p.allowed_mentions, { parse: [] });
});

Deno.test("validateStatusInput rejects malformed input with TypeErrors", () => {
  const ok = { session: { id: "a", name: "b" }, state: "done" as const };
  validateStatusInput(ok);
  const bad: unknown[] = [
    null,
    { ...ok, session: { id: "", name: "b" } },
    { ...ok, session: { id: "a" } },
    { ...ok, state: "finished" },
    { ...ok, fields: [{ name: "x" }] },
    { ...ok, mention: "@everyone" },
    { ...ok, startedAt: "yesterday-ish" },
  ];
  for (const b of bad) {
    assertThrows(
      () => validateStatusInput(b as typeof ok),
      TypeError,
      undefined,
      JSON.stringify(b),
    );
  }
});

Deno.test("formatDuration and threadNameFor", () => {
  assertEquals(formatDuration(42_000), "42s");
  assertEquals(formatDuration(185_000), "3m 05s");
  assertEquals(formatDuration(7_380_000), "2h 03m");
  assertEquals(formatDuration(93_600_000), "1d 02h");
  assertEquals(threadNameFor("  a\n b "), "a b");
  assertEquals(threadNameFor("x".repeat(150)).length, 100);
});
