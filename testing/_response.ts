// The local server's plain answers: JSON and 204, shared by the routes, the control API and the
// bot's access checks (a leaf: it imports nothing of the server).

/** A JSON answer. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** A 204 answer. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}
