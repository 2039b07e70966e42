// A tiny route table shared by the REST modules, plus body parsing and answers.
import { type DiscordHttpError, errors } from "./_errors.ts";
import type { Gateway } from "./_gateway.ts";
import type { Interactions } from "./_interactions.ts";
import type { LimitTarget } from "./_ratelimit.ts";
import type { DiscordState } from "./_state.ts";
import type { Message } from "./_types.ts";
import { findOperation, SPEC_OPERATIONS, type SpecOperation } from "./_spec.ts";

export { json, noContent } from "./_response.ts";

/** What route handlers can reach. */
export interface Hub {
  state: DiscordState;
  gateway: Gateway;
  interactions: Interactions;
  /** `ws://127.0.0.1:PORT/` of the gateway. */
  gatewayUrl: () => string;
}

/** An uploaded file of a multipart request. */
export interface UploadedFile {
  filename: string;
  bytes: Uint8Array;
  content_type?: string;
}

/** A parsed request body. */
export interface ParsedBody {
  json: unknown;
  files: UploadedFile[];
}

/** The request as a handler sees it. */
export interface Ctx {
  req: Request;
  url: URL;
  params: Record<string, string>;
  hub: Hub;
  body: () => Promise<ParsedBody>;
}

/** A route of the REST API: one operation of Discord's API description. */
export interface Route {
  method: string;
  /** The operation's path template in the description, such as `/channels/{channel_id}/messages`. */
  template: string;
  /** Whether `Authorization: Bot <token>` is required. */
  auth: boolean;
  /** How the request is rate limited; the route string is filled in. */
  limit: (params: Record<string, string>, hub: Hub) => Omit<LimitTarget, "route">;
  handler: (ctx: Ctx) => Response | Promise<Response>;
  /** Called instead of the handler when the request does not conform to the description. */
  rejected?: (ctx: Ctx, error: DiscordHttpError) => void | Promise<void>;
}

/** A route with its operation of the description. */
export interface Compiled extends Route {
  operation: SpecOperation;
}

/**
 * Ties each route to its operation of the description, by method and template.
 *
 * @throws {Error} When a route is not an operation of the description (a route the server
 * invents would teach clients something Discord does not have).
 */
export function compile(routes: Route[]): Map<SpecOperation, Compiled> {
  const out = new Map<SpecOperation, Compiled>();
  for (const r of routes) {
    const operation = SPEC_OPERATIONS.find((o) => o.method === r.method && o.path === r.template);
    if (!operation) {
      throw new Error(`${r.method} ${r.template} is not in Discord's API description`);
    }
    if (out.has(operation)) throw new Error(`${operation.name} has two routes`);
    out.set(operation, { ...r, operation });
  }
  return out;
}

/**
 * Finds the route of a method and path: the route with its path parameters, `"method"` when
 * the path exists with other methods only, `"unimplemented"` when Discord has the operation
 * but this server does not, undefined for a path Discord does not have.
 */
export function match(
  routes: Map<SpecOperation, Compiled>,
  method: string,
  path: string,
):
  | { route: Compiled; params: Record<string, string> }
  | "method"
  | { unimplemented: SpecOperation }
  | undefined {
  const found = findOperation(method, path);
  if (found === undefined || found === "method") return found;
  const route = routes.get(found.op);
  return route ? { route, params: found.params } : { unimplemented: found.op };
}

/** Parses JSON or multipart (`payload_json` + `files[n]`) bodies. */
export async function parseBody(req: Request): Promise<ParsedBody> {
  const type = req.headers.get("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await req.formData();
    const files: UploadedFile[] = [];
    let json: unknown = {};
    for (const [key, value] of form.entries()) {
      if (key === "payload_json" && typeof value === "string") {
        try {
          json = JSON.parse(value);
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
          throw errors.badJson();
        }
      } else if (typeof value !== "string") {
        files.push({
          filename: value.name || key,
          bytes: new Uint8Array(await value.arrayBuffer()),
          content_type: value.type || undefined,
        });
      }
    }
    return { json, files };
  }
  const text = await req.text();
  if (!text) return { json: {}, files: [] };
  try {
    return { json: JSON.parse(text), files: [] };
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw errors.badJson();
  }
}

/** A message as a REST reader sees it: content emptied when the app lacks the intent. */
export function present(state: DiscordState, m: Message): Message {
  const botId = state.bot.id;
  if (
    !state.messageContentIntent && m.author.id !== botId && !m.mentions.some((u) => u.id === botId)
  ) {
    return { ...m, content: "", embeds: [], attachments: [], components: [] };
  }
  // Like Discord, every answer carries freshly signed attachment URLs.
  if (m.attachments.length === 0) return m;
  return { ...m, attachments: m.attachments.map((a) => state.cdn.fresh(a)) };
}
