// The REST half of the local server: every request under `/api` is recorded, held back by a
// latency fault, matched to its operation of Discord's API description, answered by an
// injected fault or checked (auth, the request against the description, rate limits, access)
// and handed to its route; the answer is checked against the description too.
import { DiscordHttpError, errors } from "./_errors.ts";
import { accessOf } from "./_access.ts";
import type { HttpFaults } from "./_faults.ts";
import { type RateLimiter, tooManyRequests } from "./_ratelimit.ts";
import { type Compiled, type Hub, json, match, parseBody, type ParsedBody } from "./_router.ts";
import { checkAnswer, checkRequest, type SpecOperation } from "./_spec.ts";
import type { DiscordState, RequestRecord } from "./_state.ts";

/** What the pipeline works with: the server's parts. */
export interface RestDeps {
  state: DiscordState;
  hub: () => Hub;
  limiter: RateLimiter;
  routes: Map<SpecOperation, Compiled>;
  httpFaults: HttpFaults;
  /** The latency fault now in force (0: none). */
  latencyMs: () => number;
  /** Whether answers are checked against the description. */
  checkResponses: boolean;
  /** Where departures from the description are collected. */
  violations: string[];
}

/** Answers REST requests; see the module comment. */
export class RestPipeline {
  readonly #deps: RestDeps;

  constructor(deps: RestDeps) {
    this.#deps = deps;
  }

  /** Answers one request under `/api`, recording it and checking it against the description. */
  async handle(req: Request, url: URL): Promise<Response> {
    const started = performance.now();
    // Versioned (`/api/v10/...`) or, like webhook URLs Discord hands out, unversioned (`/api/...`).
    const m = /^\/api(?:\/v(\d+))?(\/.*)$/.exec(url.pathname);
    const path = m?.[2] ?? url.pathname;
    const record: RequestRecord = {
      method: req.method,
      path,
      query: url.search,
      status: 0,
      time: new Date().toISOString(),
      ms: 0,
    };
    this.#deps.state.requests.push(record);
    const latency = this.#deps.latencyMs();
    if (latency > 0) {
      record.delayedMs = latency;
      await new Promise((r) => setTimeout(r, latency));
    }
    const seen: Seen = {};
    let res: Response;
    try {
      res = await this.#route(req, url, m, path, record, seen);
    } catch (e) {
      if (e instanceof DiscordHttpError) res = json(e.body(), e.status);
      else res = json({ message: "500: Internal Server Error", code: 0, detail: String(e) }, 500);
    }
    if (seen.op && this.#deps.checkResponses && !seen.injected) {
      this.#deps.violations.push(...await checkAnswer(seen.op, res));
    }
    record.status = res.status;
    record.ms = Math.round(performance.now() - started);
    return res;
  }

  async #route(
    req: Request,
    url: URL,
    m: RegExpExecArray | null,
    path: string,
    record: RequestRecord,
    seen: Seen,
  ): Promise<Response> {
    if (!m || (m[1] !== undefined && m[1] !== "10" && m[1] !== "9")) throw errors.notFound();
    const found = match(this.#deps.routes, req.method, path);
    if (found === undefined) throw errors.notFound();
    if (found === "method") throw errors.methodNotAllowed();
    if ("unimplemented" in found) {
      throw new DiscordHttpError(
        404,
        0,
        `404: Not Found (the local server does not implement ${found.unimplemented.name})`,
      );
    }
    const { route, params } = found;
    seen.op = route.operation;
    if (m[1] !== "10") {
      // Discord answers, but with the behaviour of another API version than the one checked here.
      this.#deps.violations.push(
        `${req.method} ${url.pathname} (${route.operation.name}) was sent without /v10: ` +
          "the API description is of https://discord.com/api/v10",
      );
    }
    const fault = this.#deps.httpFaults.take(req.method, path);
    if (fault) {
      seen.injected = true;
      return fault;
    }
    if (route.auth && req.headers.get("authorization") !== `Bot ${this.#deps.state.token}`) {
      throw errors.unauthorized();
    }
    let parsed: Promise<ParsedBody> | undefined;
    const body = () => parsed ??= parseBody(req);
    let invalid: DiscordHttpError | undefined;
    try {
      invalid = await checkRequest(route.operation, {
        params,
        query: url.searchParams,
        body: route.operation.body && req.body !== null ? (await body()).json : undefined,
      });
    } catch (e) {
      if (!(e instanceof DiscordHttpError)) throw e;
      invalid = e; // a body that is not JSON
    }
    if (invalid) {
      await route.rejected?.({ req, url, params, hub: this.#deps.hub(), body }, invalid);
      throw invalid;
    }
    const target = {
      ...route.limit(params, this.#deps.hub()),
      route: `${req.method} ${route.template}`,
    };
    const limit = this.#deps.limiter.check(target, this.#deps.state.token);
    record.bucket = limit.bucket;
    if (limit.limited) return tooManyRequests(limit.limited, limit.headers);
    const hub = this.#deps.hub();
    let res: Response;
    try {
      const denied = route.auth
        ? accessOf(this.#deps.state).check(req.method, route.template, params)
        : undefined;
      res = denied ?? await route.handler({ req, url, params, hub, body });
    } catch (e) {
      if (!(e instanceof DiscordHttpError)) throw e;
      res = json(e.body(), e.status);
    }
    for (const [k, v] of Object.entries(limit.headers)) res.headers.set(k, v);
    return res;
  }
}

/** What `#route` learnt about a request, for the response check. */
interface Seen {
  op?: SpecOperation;
  /** The answer is an injected fault, not the server's own. */
  injected?: boolean;
}
