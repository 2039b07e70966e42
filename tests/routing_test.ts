import { leadingNames, type RoutableEvent, routeEvent, type RoutingView } from "../routing.ts";
import { HELD } from "../inbox.ts";
import { assertEquals } from "./_assert.ts";

const API = { id: "s-api", name: "api", threadId: "9000000000000000001" };
const WEB = { id: "s-web", name: "web", threadId: "9000000000000000002" };
const OLD = { id: "s-old", name: "old", threadId: "9000000000000000003" }; // ended
const POST_BY_API = "8000000000000000001";
const POST_BY_WEB = "8000000000000000002";
const FORUM_POST_BY_WEB = "8000000000000000003"; // a forum thread id = its starter message id

function view(live = [API, WEB]): RoutingView {
  const all = [API, WEB, OLD];
  const posts = new Map([
    [POST_BY_API, API.id],
    [POST_BY_WEB, WEB.id],
    [FORUM_POST_BY_WEB, WEB.id],
  ]);
  return {
    liveSessions: () => live,
    sessionByThread: (t) => all.find((s) => s.threadId === t),
    sessionByName: (n) => all.find((s) => s.name === n.toLowerCase()),
    postOwner: (m) => posts.get(m),
  };
}

function msg(content: string, extra: Partial<RoutableEvent> = {}): RoutableEvent {
  return { kind: "message", channelId: "1000000000000000001", content, ...extra };
}

Deno.test("routing: a message in a session's thread goes to that session only", () => {
  const r = routeEvent(
    msg("@web also you", { threadId: API.threadId, channelId: API.threadId }),
    view(),
  );
  assertEquals(r, { mailboxes: [API.id], reason: "thread" });
});

Deno.test("routing: a thread of an ended session still goes to that session", () => {
  const r = routeEvent(msg("hi", { threadId: OLD.threadId, channelId: OLD.threadId }), view());
  assertEquals(r, { mailboxes: [OLD.id], reason: "thread" });
});

Deno.test("routing: a thread started from a session's post belongs to that session", () => {
  const r = routeEvent(
    msg("ok", { threadId: FORUM_POST_BY_WEB, channelId: FORUM_POST_BY_WEB }),
    view(),
  );
  assertEquals(r, { mailboxes: [WEB.id], reason: "thread" });
});

Deno.test("routing: a thread nobody owns is routed like the channel", () => {
  const t = "7000000000000000001";
  assertEquals(routeEvent(msg("all?", { threadId: t, channelId: t }), view()), {
    mailboxes: [API.id, WEB.id],
    reason: "broadcast",
  });
  assertEquals(routeEvent(msg("@web x", { threadId: t, channelId: t }), view()), {
    mailboxes: [WEB.id],
    reason: "name",
  });
});

Deno.test("routing: @name prefixes address those sessions, live or not", () => {
  assertEquals(routeEvent(msg("@api run the tests"), view()), {
    mailboxes: [API.id],
    reason: "name",
  });
  assertEquals(routeEvent(msg("@API: status"), view()), { mailboxes: [API.id], reason: "name" });
  assertEquals(routeEvent(msg("@api @web deploy"), view()), {
    mailboxes: [API.id, WEB.id],
    reason: "name",
  });
  assertEquals(routeEvent(msg("@old wake up"), view()), { mailboxes: [OLD.id], reason: "name" });
});

Deno.test("routing: a mention later in the text is a broadcast", () => {
  for (const text of ["hello @api", "email me@api.dev", "<@1100000000000000001> hi"]) {
    assertEquals(routeEvent(msg(text), view()), {
      mailboxes: [API.id, WEB.id],
      reason: "broadcast",
    }, text);
  }
});

Deno.test("routing: an @name this machine does not have is another machine's: nobody here", () => {
  for (const text of ["@nobody hi", "@api-3f2a@laptop go", "@nobody @other: x"]) {
    assertEquals(routeEvent(msg(text), view()), { mailboxes: [], reason: "elsewhere" }, text);
  }
  // With a name of this machine among them, only those of this machine get it here.
  assertEquals(routeEvent(msg("@nobody @web x"), view()), { mailboxes: [WEB.id], reason: "name" });
  // A reply to this machine's post still reaches its session.
  assertEquals(
    routeEvent(msg("@nobody yes", { replyTo: { messageId: POST_BY_API } }), view()),
    { mailboxes: [API.id], reason: "reply" },
  );
});

Deno.test("routing: a thread of the bot that is not this machine's session's goes nowhere here", () => {
  const t = "7000000000000000002";
  for (const content of ["hi", "@web x"]) {
    assertEquals(
      routeEvent(msg(content, { threadId: t, channelId: t, threadOrigin: "bot" }), view()),
      { mailboxes: [], reason: "elsewhere" },
    );
  }
  // This machine's own threads and a person's thread are unchanged by the origin.
  assertEquals(
    routeEvent(
      msg("hi", { threadId: API.threadId, channelId: API.threadId, threadOrigin: "bot" }),
      view(),
    ),
    { mailboxes: [API.id], reason: "thread" },
  );
  assertEquals(
    routeEvent(
      msg("ok", { threadId: FORUM_POST_BY_WEB, channelId: FORUM_POST_BY_WEB, threadOrigin: "bot" }),
      view(),
    ),
    { mailboxes: [WEB.id], reason: "thread" },
  );
  assertEquals(
    routeEvent(msg("all?", { threadId: t, channelId: t, threadOrigin: "person" }), view()),
    {
      mailboxes: [API.id, WEB.id],
      reason: "broadcast",
    },
  );
});

Deno.test("routing: a reply to the bot's message this machine did not post goes nowhere here", () => {
  const other = { replyTo: { messageId: "6000000000000000002" }, replyToBot: true };
  assertEquals(routeEvent(msg("yes", other), view()), { mailboxes: [], reason: "elsewhere" });
  assertEquals(routeEvent(msg("yes", other), view([])), { mailboxes: [], reason: "elsewhere" });
  // This machine's post: its session, whoever posted it.
  assertEquals(
    routeEvent(msg("yes", { replyTo: { messageId: POST_BY_WEB }, replyToBot: true }), view()),
    { mailboxes: [WEB.id], reason: "reply" },
  );
  // Named sessions of this machine get it still.
  assertEquals(routeEvent(msg("@api look", other), view()), {
    mailboxes: [API.id],
    reason: "name",
  });
});

Deno.test("routing: a reply to a session's post goes to that session", () => {
  const r = routeEvent(msg("yes", { replyTo: { messageId: POST_BY_WEB } }), view());
  assertEquals(r, { mailboxes: [WEB.id], reason: "reply" });
});

Deno.test("routing: a reply to someone else's message is a broadcast", () => {
  const r = routeEvent(msg("yes", { replyTo: { messageId: "6000000000000000001" } }), view());
  assertEquals(r, { mailboxes: [API.id, WEB.id], reason: "broadcast" });
});

Deno.test("routing: @name and a reply to another session's post reach both", () => {
  const r = routeEvent(msg("@api and you", { replyTo: { messageId: POST_BY_WEB } }), view());
  assertEquals(r, { mailboxes: [API.id, WEB.id], reason: "name" });
});

Deno.test("routing: no live session holds the message; duplicates in the live list collapse", () => {
  assertEquals(routeEvent(msg("anyone?"), view([])), { mailboxes: [HELD], reason: "held" });
  assertEquals(routeEvent(msg("x"), view([API, API])), {
    mailboxes: [API.id],
    reason: "broadcast",
  });
});

Deno.test("routing: buttons and reactions go to the session that posted the message", () => {
  const button: RoutableEvent = {
    kind: "button",
    channelId: "1000000000000000001",
    content: "",
    targetMessageId: POST_BY_API,
  };
  assertEquals(routeEvent(button, view()), { mailboxes: [API.id], reason: "owner" });
  const reaction: RoutableEvent = { ...button, kind: "reaction", targetMessageId: POST_BY_WEB };
  assertEquals(routeEvent(reaction, view()), { mailboxes: [WEB.id], reason: "owner" });
});

Deno.test("routing: a button in a session's thread on an unindexed message goes to the thread's session", () => {
  const r = routeEvent({
    kind: "button",
    channelId: WEB.threadId,
    threadId: WEB.threadId,
    content: "",
    targetMessageId: "6000000000000000009",
  }, view());
  assertEquals(r, { mailboxes: [WEB.id], reason: "owner" });
});

Deno.test("routing: reactions and buttons on anything else go nowhere, never broadcast", () => {
  const r = routeEvent({
    kind: "reaction",
    channelId: "1000000000000000001",
    content: "",
    targetMessageId: "6000000000000000001",
  }, view());
  assertEquals(r, { mailboxes: [], reason: "unowned" });
});

Deno.test("routing: leadingNames parses prefixes only", () => {
  assertEquals(leadingNames("  @a-1 @b.c, @d: go @e"), ["a-1", "b.c", "d"]);
  assertEquals(leadingNames("@"), []);
  assertEquals(leadingNames("@x"), ["x"]);
  assertEquals(leadingNames("@x\nline two"), ["x"]);
  assertEquals(leadingNames("@x!"), []);
  assertEquals(leadingNames("@api-3f2a@laptop: go @b"), ["api-3f2a@laptop"]);
  assertEquals(leadingNames("@a@b @c@d.e run"), ["a@b", "c@d.e"]);
  assertEquals(leadingNames("@a@ hi"), []);
});
