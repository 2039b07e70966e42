// Private: Discord's numbers for the processes whose start-up Claude Code waits on (the hooks
// and the MCP server) and for the bridge, a long-lived process whose resident memory counts.
// Each is typed by its discord-api-types v10 enum member, so `deno check` holds it to the enum,
// through a type-only import: loading the package costs tens to hundreds of milliseconds and
// about 1.5 MiB, the hooks' start-up graph holds no npm package, and the bridge's holds only
// the gateway library (tests/architecture_test.ts). Setup and testing/ import the enums.
import type {
  ApplicationCommandOptionType as OptionTypes,
  ApplicationCommandType as CommandTypes,
  ButtonStyle as ButtonStyles,
  ChannelType,
  ComponentType as ComponentTypes,
  InteractionResponseType as InteractionResponseTypes,
  InteractionType as InteractionTypes,
  MessageFlags as MessageFlag,
  MessageReferenceType as MessageReferenceTypes,
  MessageType as MessageTypes,
  RESTJSONErrorCodes,
  ThreadAutoArchiveDuration,
} from "discord-api-types/v10";

/** The JSON error codes (`RESTJSONErrorCodes`) this package acts on. */
export const JsonErrorCode: {
  readonly UnknownChannel: RESTJSONErrorCodes.UnknownChannel;
  readonly UnknownMessage: RESTJSONErrorCodes.UnknownMessage;
  readonly UnknownEmoji: RESTJSONErrorCodes.UnknownEmoji;
  readonly UnknownWebhook: RESTJSONErrorCodes.UnknownWebhook;
  readonly UnknownInteraction: RESTJSONErrorCodes.UnknownInteraction;
  readonly RequestEntityTooLarge: RESTJSONErrorCodes.RequestEntityTooLarge;
  readonly InteractionHasAlreadyBeenAcknowledged:
    RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged;
  readonly MissingAccess: RESTJSONErrorCodes.MissingAccess;
  readonly CannotEditMessageAuthoredByAnotherUser:
    RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser;
  readonly MissingPermissions: RESTJSONErrorCodes.MissingPermissions;
  readonly InvalidWebhookToken: RESTJSONErrorCodes.InvalidWebhookToken;
  readonly InvalidActionOnArchivedThread: RESTJSONErrorCodes.InvalidActionOnArchivedThread;
  readonly ThreadLocked: RESTJSONErrorCodes.ThreadLocked;
  readonly WebhooksPostedToForumChannelsMustHaveAThreadNameOrThreadId:
    RESTJSONErrorCodes.WebhooksPostedToForumChannelsMustHaveAThreadNameOrThreadId;
  readonly WebhooksPostedToForumChannelsCannotHaveBothAThreadNameAndThreadId:
    RESTJSONErrorCodes.WebhooksPostedToForumChannelsCannotHaveBothAThreadNameAndThreadId;
  readonly WebhooksCanOnlyCreateThreadsInForumChannels:
    RESTJSONErrorCodes.WebhooksCanOnlyCreateThreadsInForumChannels;
} = {
  UnknownChannel: 10003,
  UnknownMessage: 10008,
  UnknownEmoji: 10014,
  UnknownWebhook: 10015,
  UnknownInteraction: 10062,
  RequestEntityTooLarge: 40005,
  InteractionHasAlreadyBeenAcknowledged: 40060,
  MissingAccess: 50001,
  CannotEditMessageAuthoredByAnotherUser: 50005,
  MissingPermissions: 50013,
  InvalidWebhookToken: 50027,
  InvalidActionOnArchivedThread: 50083,
  ThreadLocked: 160005,
  WebhooksPostedToForumChannelsMustHaveAThreadNameOrThreadId: 220001,
  WebhooksPostedToForumChannelsCannotHaveBothAThreadNameAndThreadId: 220002,
  WebhooksCanOnlyCreateThreadsInForumChannels: 220003,
};

/** The channel types (`ChannelType`) that are threads. */
export const ThreadChannelType: {
  readonly AnnouncementThread: ChannelType.AnnouncementThread;
  readonly PublicThread: ChannelType.PublicThread;
  readonly PrivateThread: ChannelType.PrivateThread;
} = { AnnouncementThread: 10, PublicThread: 11, PrivateThread: 12 };

/** The channel types (`ChannelType`) a STATUS channel may have that take posts, not messages. */
export const ForumChannelType: {
  readonly GuildForum: ChannelType.GuildForum;
  readonly GuildMedia: ChannelType.GuildMedia;
} = { GuildForum: 15, GuildMedia: 16 };

/** The component types (`ComponentType`) of a permission prompt. */
export const ComponentType: {
  readonly ActionRow: ComponentTypes.ActionRow;
  readonly Button: ComponentTypes.Button;
} = { ActionRow: 1, Button: 2 };

/** The button styles (`ButtonStyle`) of a permission prompt. */
export const ButtonStyle: {
  readonly Secondary: ButtonStyles.Secondary;
  readonly Success: ButtonStyles.Success;
  readonly Danger: ButtonStyles.Danger;
} = { Secondary: 2, Success: 3, Danger: 4 };

/** A thread's archive time (`ThreadAutoArchiveDuration`): a week without messages. */
export const ONE_WEEK: ThreadAutoArchiveDuration.OneWeek = 10080;

/** The message types (`MessageType`) the bridge tells apart: a user's message or reply. */
export const MessageType: {
  readonly Default: MessageTypes.Default;
  readonly Reply: MessageTypes.Reply;
} = { Default: 0, Reply: 19 };

/** The reference type (`MessageReferenceType`) of a reply. */
export const MessageReferenceType: { readonly Default: MessageReferenceTypes.Default } = {
  Default: 0,
};

/** The interaction types (`InteractionType`) the bridge answers. */
export const InteractionType: {
  readonly ApplicationCommand: InteractionTypes.ApplicationCommand;
  readonly MessageComponent: InteractionTypes.MessageComponent;
  readonly ApplicationCommandAutocomplete: InteractionTypes.ApplicationCommandAutocomplete;
  readonly ModalSubmit: InteractionTypes.ModalSubmit;
} = {
  ApplicationCommand: 2,
  MessageComponent: 3,
  ApplicationCommandAutocomplete: 4,
  ModalSubmit: 5,
};

/** The interaction answers (`InteractionResponseType`) the bridge gives. */
export const InteractionResponseType: {
  readonly ChannelMessageWithSource: InteractionResponseTypes.ChannelMessageWithSource;
  readonly DeferredChannelMessageWithSource:
    InteractionResponseTypes.DeferredChannelMessageWithSource;
  readonly DeferredMessageUpdate: InteractionResponseTypes.DeferredMessageUpdate;
  readonly ApplicationCommandAutocompleteResult:
    InteractionResponseTypes.ApplicationCommandAutocompleteResult;
} = {
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredMessageUpdate: 6,
  ApplicationCommandAutocompleteResult: 8,
};

/** The message flag (`MessageFlags`) of an answer only its user sees. */
export const EPHEMERAL: MessageFlag.Ephemeral = 64;
/** The message flag (`MessageFlags`) of a voice message. */
export const IS_VOICE_MESSAGE: MessageFlag.IsVoiceMessage = 8192;

/** The application command type (`ApplicationCommandType`) of a slash command. */
export const CHAT_INPUT: CommandTypes.ChatInput = 1;

/** The option type (`ApplicationCommandOptionType`) of a string option. */
export const STRING_OPTION: OptionTypes.String = 3;
