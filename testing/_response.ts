// The local server's plain answers: JSON and 204, shared by the routes, the control API and the
// bot's access checks (a leaf: it imports nothing of the server).

/**
 * A JSON answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { json } from "./_response.ts";
 * const answer = json({ code: 0 }, 404);
 * assert.equal(answer.status, 404);
 * assert.deepEqual(await answer.json(), { code: 0 });
 * ```
 */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/**
 * A 204 answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noContent } from "./_response.ts";
 * assert.equal(noContent().status, 204);
 * ```
 */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}
