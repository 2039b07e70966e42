// card.ts: the status card as Discord gets it; its numbers are Discord's; the cost estimate.
import { ButtonStyle, ComponentType } from "discord-api-types/v10";
import { CARD_NUMBERS, type CardFacts, formatElapsed, priceOf, renderCard } from "../card.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";

const FACTS: CardFacts = {
  session: { id: "3f2a9c1e-0000-4000-8000-000000000000", name: "api-3f2a" },
  cwd: "/src/my_api/",
  startedAt: "2026-01-01T10:00:00.000Z",
  machine: "laptop",
  branch: "fix/*bold*",
  model: "claude-sonnet-4-5-20250929",
  state: { kind: "working", tool: "Bash", tools: 3, since: "2026-01-01T10:00:00.000Z" },
  turns: 2,
  usage: new Map([["claude-sonnet-4-5-20250929", {
    input: 1_000_000,
    output: 100_000,
    cacheWrite: 0,
    cacheWrite1h: 0,
    cacheRead: 2_000_000,
  }]]),
};
const NOW = Date.parse("2026-01-01T10:03:05.000Z");

Deno.test("card: Discord's numbers are discord-api-types' own", () => {
  assertEquals(CARD_NUMBERS.actionRow, ComponentType.ActionRow);
  assertEquals(CARD_NUMBERS.button, ComponentType.Button);
  assertEquals(CARD_NUMBERS.danger, ButtonStyle.Danger);
});

Deno.test("card: one embed with the facts, the state line and a Stop button; markdown in names is shown as is", () => {
  const body = renderCard(FACTS, NOW);
  const [embed] = body.embeds as {
    title: string;
    description: string;
    fields: { name: string; value: string }[];
    footer: { text: string };
  }[];
  assertEquals(embed.title, "api-3f2a");
  assertEquals(embed.description, "🟢 **working: Bash** (3 tools, 3m 05s)");
  const fields = Object.fromEntries(embed.fields.map((f) => [f.name, f.value]));
  assertEquals(fields.Project, "my\\_api");
  assertEquals(fields.Branch, "fix/\\*bold\\*");
  assertEquals(fields.Machine, "laptop");
  assertEquals(fields.Started, "<t:1767261600:f>");
  assertEquals(fields.Turns, "2");
  assertEquals(fields.Tokens, "3.1M (in 1.0M · out 100k · cache 2.0M)");
  // Sonnet: $3 in, $15 out, $0.30 cache read per MTok.
  assertEquals(fields.Cost, "~$5.10");
  assertEquals(embed.footer.text, `session ${FACTS.session.id}`);
  assertEquals(body.allowed_mentions, { parse: [] });
  assertEquals(body.components, [{
    type: ComponentType.ActionRow,
    components: [{
      type: ComponentType.Button,
      style: ButtonStyle.Danger,
      label: "Stop",
      emoji: { name: "⏹️" },
      custom_id: `cd:stop:${FACTS.session.id}`,
    }],
  }]);
});

Deno.test("card: each state's line; an ended session's card has no Stop button", () => {
  const line = (state: CardFacts["state"]) =>
    (renderCard({ ...FACTS, state }, NOW).embeds![0] as { description: string }).description;
  assertEquals(
    line({ kind: "waiting", tool: "Bash: rm `x`" }),
    "🟡 **waiting for your approval:** `Bash: rm ˋxˋ`",
  );
  assertEquals(
    line({ kind: "idle", since: "2026-01-01T10:01:00.000Z" }),
    "💤 **idle since** <t:1767261660:t>",
  );
  assertEquals(line({ kind: "stopped", by: "@everyone" }), "⏹️ **stopped by @\u200beveryone**");
  assertEquals(
    line({ kind: "error", reason: "Stopped: rate limited by the API" }),
    "❌ **Stopped: rate limited by the API**",
  );
  assertEquals(
    line({ kind: "working", tools: 0, since: FACTS.startedAt }),
    "🟢 **working** (3m 05s)",
  );
  const ended = renderCard(
    { ...FACTS, state: { kind: "ended", reason: "Claude Code exited" } },
    NOW,
  );
  assertEquals(
    (ended.embeds![0] as { description: string }).description,
    "⚫ **ended** (Claude Code exited)",
  );
  assertEquals(ended.components, []);
});

Deno.test("card: a model not in the price table says so; prices per family", () => {
  const body = renderCard({
    ...FACTS,
    usage: new Map([["some-new-model", {
      input: 5,
      output: 5,
      cacheWrite: 0,
      cacheWrite1h: 0,
      cacheRead: 0,
    }]]),
  }, NOW);
  assertMatch(
    JSON.stringify(body.embeds),
    /"name":"Cost","value":"unknown model \(some-new-model\)"/,
  );
  assertEquals(priceOf("claude-opus-5-5")?.input, 4);
  assertEquals(priceOf("claude-opus-4-5-20251101")?.output, 25);
  assertEquals(priceOf("claude-opus-4-1-20250805")?.output, 75);
  assertEquals(priceOf("claude-opus-4-20250514")?.input, 15);
  assertEquals(priceOf("us.anthropic.claude-sonnet-4-20250514-v1:0")?.input, 3);
  assertEquals(priceOf("claude-haiku-4-5")?.cacheRead, 0.1);
  assertEquals(priceOf("claude-3-5-haiku-20241022")?.input, 0.8);
  assert(priceOf("gpt-5") === undefined);
  assertEquals(formatElapsed(2 * 86_400_000 + 3_600_000), "2d 01h");
});
