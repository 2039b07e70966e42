// Private: what a session's tokens cost, estimated from Anthropic's published prices per model
// family (USD per million tokens). An estimate: what the bill says is what counts.

/** Tokens of one model, as Claude Code's transcript records its usage (summed). */
export interface TokenUsage {
  /** Input tokens not read from or written to the cache. */
  input: number;
  /** Output tokens. */
  output: number;
  /** Input tokens written to the 5-minute cache. */
  cacheWrite: number;
  /** Input tokens written to the 1-hour cache. */
  cacheWrite1h: number;
  /** Input tokens read from the cache. */
  cacheRead: number;
}

/** USD per million tokens of each kind. */
export interface ModelPrice {
  /** Input. */
  input: number;
  /** Output. */
  output: number;
  /** Cache write, 5 minutes (1.25 × input). */
  cacheWrite: number;
  /** Cache write, 1 hour (2 × input). */
  cacheWrite1h: number;
  /** Cache read (0.1 × input). */
  cacheRead: number;
}

/** The prices of a family whose input costs `input` and output `output` USD per MTok. */
function family(input: number, output: number): ModelPrice {
  return {
    input,
    output,
    cacheWrite: input * 1.25,
    cacheWrite1h: input * 2,
    cacheRead: input / 10,
  };
}

/**
 * Prices per model family, first match wins (the model id as the API names it, also inside a
 * cloud provider's id). Opus 5's are the ones Claude Code 2.1.332 itself charges for
 * `claude-opus-5-5` (its transcript's `cost-state`); the others are Anthropic's published list.
 */
export const MODEL_PRICES: readonly { family: string; match: RegExp; price: ModelPrice }[] = [
  { family: "Opus 5", match: /claude-opus-5/, price: family(4, 20) },
  { family: "Opus 4.5 and later 4.x", match: /claude-opus-4-[5-9](?![0-9])/, price: family(5, 25) },
  { family: "Opus 4 and 4.1", match: /claude-opus-4/, price: family(15, 75) },
  { family: "Opus 3", match: /claude-3-opus/, price: family(15, 75) },
  {
    family: "Sonnet 3.5 to 4.x",
    match: /claude-(sonnet-4|3-7-sonnet|3-5-sonnet)/,
    price: family(3, 15),
  },
  { family: "Haiku 4.5", match: /claude-haiku-4/, price: family(1, 5) },
  { family: "Haiku 3.5", match: /claude-3-5-haiku/, price: family(0.8, 4) },
  { family: "Haiku 3", match: /claude-3-haiku/, price: family(0.25, 1.25) },
];

/**
 * The price of a model, or `undefined` when its family is not in {@linkcode MODEL_PRICES}.
 *
 * @param model The model id (`claude-sonnet-4-5-20250929`).
 * @returns Its family's prices.
 */
export function priceOf(model: string): ModelPrice | undefined {
  return MODEL_PRICES.find((p) => p.match.test(model))?.price;
}

/** All tokens of a usage. */
export function totalTokens(u: TokenUsage): number {
  return u.input + u.output + u.cacheWrite + u.cacheWrite1h + u.cacheRead;
}

/**
 * What usages by model cost: USD, or the models whose price is unknown.
 *
 * @param byModel Usage per model id.
 * @returns `{ usd }`, or `{ unknown }` naming the models not in the table.
 */
export function costOf(
  byModel: ReadonlyMap<string, TokenUsage>,
): { usd: number } | { unknown: string[] } {
  let usd = 0;
  const unknown: string[] = [];
  for (const [model, u] of byModel) {
    const p = priceOf(model);
    if (p === undefined) {
      if (totalTokens(u) > 0) unknown.push(model);
      continue;
    }
    usd += (u.input * p.input + u.output * p.output + u.cacheWrite * p.cacheWrite +
      u.cacheWrite1h * p.cacheWrite1h + u.cacheRead * p.cacheRead) / 1_000_000;
  }
  return unknown.length > 0 ? { unknown } : { usd };
}
