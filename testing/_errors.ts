// Discord's error JSON: {message, code, errors?} with the HTTP status Discord uses.
import { RESTJSONErrorCodes } from "discord-api-types/v10";

/** An error answer of the local server, shaped like Discord's. */
export class DiscordHttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Discord JSON error code. */
  readonly code: number;
  /** Field errors (for 50035). */
  readonly errors?: Record<string, unknown>;

  constructor(status: number, code: number, message: string, errors?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  /** The JSON body Discord would send. */
  body(): Record<string, unknown> {
    const body: Record<string, unknown> = { message: this.message, code: this.code };
    if (this.errors) body.errors = this.errors;
    return body;
  }
}

/** One field error at `path`, nested as Discord nests them. */
export function fieldError(
  path: (string | number)[],
  code: string,
  message: string,
): Record<string, unknown> {
  let node: Record<string, unknown> = { _errors: [{ code, message }] };
  for (let i = path.length - 1; i >= 0; i--) node = { [String(path[i])]: node };
  return node;
}

/** A 400 "Invalid Form Body" (50035) with one field error. */
export function invalidForm(
  path: (string | number)[],
  code: string,
  message: string,
): DiscordHttpError {
  return new DiscordHttpError(
    400,
    RESTJSONErrorCodes.InvalidFormBodyOrContentType,
    "Invalid Form Body",
    fieldError(path, code, message),
  );
}

/** Well-known Discord errors. */
export const errors = {
  unauthorized: (): DiscordHttpError => new DiscordHttpError(401, 0, "401: Unauthorized"),
  notFound: (): DiscordHttpError => new DiscordHttpError(404, 0, "404: Not Found"),
  methodNotAllowed: (): DiscordHttpError => new DiscordHttpError(405, 0, "405: Method Not Allowed"),
  unknownChannel: (): DiscordHttpError =>
    new DiscordHttpError(404, RESTJSONErrorCodes.UnknownChannel, "Unknown Channel"),
  unknownMessage: (): DiscordHttpError =>
    new DiscordHttpError(404, RESTJSONErrorCodes.UnknownMessage, "Unknown Message"),
  unknownWebhook: (): DiscordHttpError =>
    new DiscordHttpError(404, RESTJSONErrorCodes.UnknownWebhook, "Unknown Webhook"),
  unknownEmoji: (): DiscordHttpError =>
    new DiscordHttpError(400, RESTJSONErrorCodes.UnknownEmoji, "Unknown Emoji"),
  unknownInteraction: (): DiscordHttpError =>
    new DiscordHttpError(404, RESTJSONErrorCodes.UnknownInteraction, "Unknown interaction"),
  alreadyAcknowledged: (): DiscordHttpError =>
    new DiscordHttpError(
      400,
      RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
      "Interaction has already been acknowledged.",
    ),
  emptyMessage: (): DiscordHttpError =>
    new DiscordHttpError(
      400,
      RESTJSONErrorCodes.CannotSendAnEmptyMessage,
      "Cannot send an empty message",
    ),
  cannotEditOthers: (): DiscordHttpError =>
    new DiscordHttpError(
      403,
      RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser,
      "Cannot edit a message authored by another user",
    ),
  invalidWebhookToken: (): DiscordHttpError =>
    new DiscordHttpError(401, RESTJSONErrorCodes.InvalidWebhookToken, "Invalid Webhook Token"),
  threadNameRequired: (): DiscordHttpError =>
    new DiscordHttpError(
      400,
      RESTJSONErrorCodes.WebhooksPostedToForumChannelsMustHaveAThreadNameOrThreadId,
      "Webhooks posted to forum channels must have a thread_name or thread_id",
    ),
  threadNameNotForum: (): DiscordHttpError =>
    new DiscordHttpError(
      400,
      RESTJSONErrorCodes.WebhooksCanOnlyCreateThreadsInForumChannels,
      "Webhooks can only create threads in forum channels",
    ),
  threadNameAndId: (): DiscordHttpError =>
    new DiscordHttpError(
      400,
      RESTJSONErrorCodes.WebhooksPostedToForumChannelsCannotHaveBothAThreadNameAndThreadId,
      "Webhooks posted to forum channels cannot have both a thread_name and thread_id",
    ),
  invalidFormBody: (errs: Record<string, unknown>): DiscordHttpError =>
    new DiscordHttpError(
      400,
      RESTJSONErrorCodes.InvalidFormBodyOrContentType,
      "Invalid Form Body",
      errs,
    ),
  badJson: (): DiscordHttpError =>
    new DiscordHttpError(
      400,
      RESTJSONErrorCodes.RequestBodyContainsInvalidJSON,
      "The request body contains invalid JSON.",
    ),
};
