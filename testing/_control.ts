// The control API over HTTP (`/_control/...`), for out-of-process tests and the sandbox page.
// It drives the server through `ControlledServer`, the part of DiscordServer it uses, so that
// the server imports it and not the other way round.
import { RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError, errors } from "./_errors.ts";
import type { ClickResult, InteractionRecord } from "./_interactions.ts";
import type { Autocomplete, AutocompleteResult, RunCommand } from "./_slash.ts";
import type { ApplicationCommand } from "./_commands.ts";
import type { GatewayStats } from "./_identify_budget.ts";
import type { ThreadAsUser } from "./_user_actions.ts";
import { json } from "./_response.ts";
import type { Fault, PostAsUser, ServerStateSnapshot } from "./_server_types.ts";
import { describeError } from "../log.ts";
import type { NewAttachment } from "./_state.ts";
import type { Attachment, Channel, Message, User, UserInit } from "./_types.ts";

/** What the control API uses of the server: its identity and what a user can do (DiscordServer). */
export interface ControlledServer {
  readonly apiUrl: string;
  readonly origin: string;
  readonly gatewayUrl: string;
  readonly token: string;
  readonly botId: string;
  readonly applicationId: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly forumId: string;
  readonly webhookUrl: string;
  readonly textWebhookUrl: string;
  readonly ownerId: string;
  readonly users: { owner: User; stranger: User; otherBot: User; bot: User };
  createUser(init: UserInit): User;
  postAsUser(p: PostAsUser): Promise<Message>;
  createThread(o: ThreadAsUser): Promise<Channel>;
  clickButton(o: { messageId: string; customId: string; userId: string }): Promise<ClickResult>;
  runCommand(o: RunCommand): Promise<ClickResult>;
  autocomplete(o: Autocomplete): Promise<AutocompleteResult>;
  interaction(interactionId: string): InteractionRecord | undefined;
  waitForAnswers(
    interactionId: string,
    opts: { messages?: number; timeoutMs?: number },
  ): Promise<InteractionRecord | undefined>;
  commands(): ApplicationCommand[];
  onInteraction(fn: (r: InteractionRecord) => void): () => void;
  addReaction(
    o: { channelId: string; messageId: string; userId: string; emoji: string },
  ): Promise<void>;
  messages(channelId: string): Message[];
  state(): ServerStateSnapshot;
  gatewayStats(): GatewayStats;
  fault(f: Fault): number;
  reset(): void;
  freshAttachment(a: Attachment): Attachment;
  onEvent(fn: (t: string, d: Record<string, unknown>) => void): () => void;
}

async function body(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err; // not JSON: answered below
  }
  throw new DiscordHttpError(
    400,
    RESTJSONErrorCodes.RequestBodyContainsInvalidJSON,
    "The request body contains invalid JSON.",
  );
}

function str(b: Record<string, unknown>, key: string): string {
  const v = b[key];
  if (typeof v !== "string" || v === "") {
    throw new DiscordHttpError(
      400,
      RESTJSONErrorCodes.InvalidFormBodyOrContentType,
      `"${key}" is required (a string)`,
    );
  }
  return v;
}

/** The server's identity, as the CLI prints it. */
export function serverInfo(server: ControlledServer): Record<string, unknown> {
  return {
    apiUrl: server.apiUrl,
    gatewayUrl: server.gatewayUrl,
    controlUrl: `${server.origin}/_control`,
    sandboxUrl: `${server.origin}/`,
    token: server.token,
    botId: server.botId,
    applicationId: server.applicationId,
    guildId: server.guildId,
    channelId: server.channelId,
    forumId: server.forumId,
    webhookUrl: server.webhookUrl,
    textWebhookUrl: server.textWebhookUrl,
    ownerId: server.ownerId,
    users: server.users,
  };
}

function sse(server: ControlledServer): Response {
  let unsubscribe = () => {};
  let timer: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const enc = new TextEncoder();
      const send = (event: string, data: unknown) => {
        try {
          controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          unsubscribe(); // any failure: the client went away
        }
      };
      send("hello", { ok: true });
      const offEvents = server.onEvent((t, d) => send("dispatch", { t, d }));
      const offInteractions = server.onInteraction((r) => send("interaction", r));
      unsubscribe = () => {
        offEvents();
        offInteractions();
      };
      timer = setInterval(() => send("ping", {}), 15_000);
    },
    cancel() {
      unsubscribe();
      clearInterval(timer);
    },
  });
  return new Response(stream, {
    headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-store" },
  });
}

/** A slash command run from a control request body. */
function runOf(server: ControlledServer, b: Record<string, unknown>): RunCommand {
  const options = b.options;
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new DiscordHttpError(
      400,
      RESTJSONErrorCodes.InvalidFormBodyOrContentType,
      '"options" must be an object of option values by name',
    );
  }
  return {
    name: str(b, "name"),
    userId: typeof b.userId === "string" ? b.userId : server.ownerId,
    channelId: typeof b.channelId === "string" ? b.channelId : server.channelId,
    options: options as RunCommand["options"],
    subcommand: typeof b.subcommand === "string" ? b.subcommand : undefined,
    group: typeof b.group === "string" ? b.group : undefined,
  };
}

/** `GET /_control/interactions/{id}[?messages=N&timeoutMs=T]`: waits for N answers when asked. */
async function interactionRecord(
  server: ControlledServer,
  id: string,
  url: URL,
): Promise<InteractionRecord> {
  const messages = Number(url.searchParams.get("messages") ?? 0);
  const timeoutMs = Math.min(60_000, Number(url.searchParams.get("timeoutMs") ?? 5000));
  const r = messages > 0
    ? await server.waitForAnswers(id, { messages, timeoutMs })
    : server.interaction(id);
  if (!r) throw errors.unknownInteraction();
  return r;
}

/** Answers one `/_control/...` request. */
export async function handleControl(
  server: ControlledServer,
  req: Request,
  url: URL,
): Promise<Response> {
  const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
  const interaction = /^GET \/_control\/interactions\/(\d+)$/.exec(route);
  if (interaction) return json(await interactionRecord(server, interaction[1], url));
  switch (route) {
    case "GET /_control/info":
      return json(serverInfo(server));
    case "GET /_control/state": {
      // Attachment URLs as a REST reader gets them: freshly signed (the page links to them).
      const state = server.state();
      for (const m of state.messages) {
        m.attachments = m.attachments.map((a) => server.freshAttachment(a));
      }
      return json(state);
    }
    case "GET /_control/events":
      return sse(server);
    case "GET /_control/messages": {
      const channelId = url.searchParams.get("channelId") ?? server.channelId;
      // As REST readers get them: with freshly signed attachment URLs.
      return json(
        server.messages(channelId).map((m) => ({
          ...m,
          attachments: m.attachments.map((a) => server.freshAttachment(a)),
        })),
      );
    }
    case "POST /_control/messages": {
      const b = await body(req);
      const msg = await server.postAsUser({
        channelId: typeof b.channelId === "string" ? b.channelId : server.channelId,
        userId: typeof b.userId === "string" ? b.userId : server.ownerId,
        content: typeof b.content === "string" ? b.content : "",
        messageReference: b.messageReference as { message_id: string } | undefined,
        attachments: controlAttachments(b.attachments),
        webhookId: typeof b.webhookId === "string" ? b.webhookId : undefined,
        flags: typeof b.flags === "number" ? b.flags : undefined,
      });
      return json(msg);
    }
    case "POST /_control/users": {
      const b = await body(req);
      return json(server.createUser({ username: str(b, "username"), bot: b.bot === true }));
    }
    case "POST /_control/threads": {
      const b = await body(req);
      const thread = await server.createThread({
        parentId: str(b, "parentId"),
        name: str(b, "name"),
        messageId: typeof b.messageId === "string" ? b.messageId : undefined,
        userId: typeof b.userId === "string" ? b.userId : undefined,
        content: typeof b.content === "string" ? b.content : undefined,
      });
      return json(thread);
    }
    case "POST /_control/click": {
      const b = await body(req);
      const r = await server.clickButton({
        messageId: str(b, "messageId"),
        customId: str(b, "customId"),
        userId: typeof b.userId === "string" ? b.userId : server.ownerId,
      });
      if (b.wait === true) {
        return json({ interactionId: r.interactionId, answered: await r.answered });
      }
      r.answered.catch(() => {});
      return json({ interactionId: r.interactionId });
    }
    case "GET /_control/gateway":
      return json(server.gatewayStats());
    case "GET /_control/commands":
      return json(server.commands());
    case "POST /_control/command": {
      const b = await body(req);
      const r = await server.runCommand(runOf(server, b));
      if (b.wait === true) {
        return json({ interactionId: r.interactionId, answered: await r.answered });
      }
      r.answered.catch(() => {});
      return json({ interactionId: r.interactionId });
    }
    case "POST /_control/autocomplete": {
      const b = await body(req);
      return json(await server.autocomplete({ ...runOf(server, b), focused: str(b, "focused") }));
    }
    case "POST /_control/reaction": {
      const b = await body(req);
      await server.addReaction({
        channelId: str(b, "channelId"),
        messageId: str(b, "messageId"),
        userId: typeof b.userId === "string" ? b.userId : server.ownerId,
        emoji: str(b, "emoji"),
      });
      return new Response(null, { status: 204 });
    }
    case "POST /_control/fault": {
      const b = await body(req);
      let touched: number;
      try {
        touched = server.fault(b as unknown as Fault);
      } catch (e) {
        throw new DiscordHttpError(
          400,
          RESTJSONErrorCodes.InvalidFormBodyOrContentType,
          describeError(e),
        );
      }
      return json({ ok: true, touched });
    }
    case "POST /_control/reset":
      server.reset();
      return new Response(null, { status: 204 });
    default:
      return json({ message: "404: Not Found", code: 0 }, 404);
  }
}

/**
 * The attachments of `POST /_control/messages`: `{filename, content_type?, data?}` with the bytes
 * as base64 in `data` (what the sandbox page's file picker sends), or `{filename, size}` for
 * placeholder bytes.
 */
function controlAttachments(value: unknown): NewAttachment[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((v, i) => {
    const a = (v ?? {}) as Record<string, unknown>;
    if (typeof a.filename !== "string" || a.filename === "") {
      throw new DiscordHttpError(
        400,
        RESTJSONErrorCodes.InvalidFormBodyOrContentType,
        `"attachments[${i}].filename" is required (a string)`,
      );
    }
    const out: NewAttachment = { filename: a.filename };
    if (typeof a.content_type === "string" && a.content_type) out.content_type = a.content_type;
    if (typeof a.data === "string") {
      try {
        out.bytes = Uint8Array.from(atob(a.data), (c) => c.charCodeAt(0));
      } catch (err) {
        if (!(err instanceof DOMException)) throw err; // atob's InvalidCharacterError
        throw new DiscordHttpError(
          400,
          RESTJSONErrorCodes.InvalidFormBodyOrContentType,
          `"attachments[${i}].data" must be base64`,
        );
      }
    } else if (typeof a.size === "number") out.size = a.size;
    return out;
  });
}
