// A tiny route table shared by the REST modules, plus body parsing and answers.
import { errors } from "./_errors.ts";
import type { Gateway } from "./_gateway.ts";
import type { Interactions } from "./_interactions.ts";
import type { LimitTarget } from "./_ratelimit.ts";
import type { DiscordState } from "./_state.ts";
import type { Message } from "./_types.ts";

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

/** A route of the REST API. */
export interface Route {
  method: string;
  /** Template such as `/channels/:channel_id/messages`. */
  template: string;
  /** Whether `Authorization: Bot <token>` is required. */
  auth: boolean;
  /** How the request is rate limited; the route string is filled in. */
  limit: (params: Record<string, string>, hub: Hub) => Omit<LimitTarget, "route">;
  handler: (ctx: Ctx) => Response | Promise<Response>;
}

/** A compiled route. */
export interface Compiled extends Route {
  re: RegExp;
  keys: string[];
}

/** Compiles templates into regular expressions. */
export function compile(routes: Route[]): Compiled[] {
  return routes.map((r) => {
    const keys: string[] = [];
    const src = r.template.split("/").map((part) => {
      if (part.startsWith(":")) {
        keys.push(part.slice(1));
        return "([^/]+)";
      }
      return part.replace(/[.*+?^${}()|[\]\\@]/g, "\\$&");
    }).join("/");
    return { ...r, re: new RegExp(`^${src}$`), keys };
  });
}

/** Finds the route for a method and path: the route, or "method" when only the method is wrong. */
export function match(
  routes: Compiled[],
  method: string,
  path: string,
): { route: Compiled; params: Record<string, string> } | "method" | undefined {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    return { route: r, params };
  }
  return pathMatched ? "method" : undefined;
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
        } catch {
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
  } catch {
    throw errors.badJson();
  }
}

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

/** A message as a REST reader sees it: content emptied when the app lacks the intent. */
export function present(state: DiscordState, m: Message): Message {
  if (state.messageContentIntent) return m;
  const botId = state.bot.id;
  if (m.author.id === botId || m.mentions.some((u) => u.id === botId)) return m;
  return { ...m, content: "", embeds: [], attachments: [], components: [] };
}
