// The sandbox page in a real headless browser (Debian chromium via playwright-core): typing,
// live webhook and bot posts, buttons, threads; Discord markdown (npm discord-markdown-parser
// on the server), mentions as names, embed fields, reactions, replies; files picked and attached;
// slash commands with autocomplete and ephemeral answers; edits and the bot's reactions live;
// usable at 400 px.
import { Buffer } from "node:buffer";
import type { Page } from "playwright-core";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { type Sandbox, startSandbox } from "../../testing/sandbox.ts";
import { tempDir } from "../_fixture.ts";
import { waitFor } from "./_clients.ts";
import { png } from "../_png.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Runs `fn` on the page of a fresh sandbox (no bridge) in headless chromium. */
async function withPage(fn: (page: Page, sandbox: Sandbox) => Promise<void>): Promise<void> {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`,
    );
  }
  const { chromium } = await import("playwright-core");
  await using home = await tempDir("sandbox-page-");
  await using sandbox = await startSandbox({ home: home.path, port: 0, bridge: false });
  await using profile = await tempDir("sandbox-chromium-");
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(sandbox.pageUrl);
    await page.waitForSelector("body[data-ready=true]");
    await fn(page, sandbox);
    assertEquals(errors, [], "no script error on the page");
  } finally {
    await context.close();
  }
}

/** Posts as the bot over REST. */
async function botPost(sandbox: Sandbox, body: unknown): Promise<{ id: string }> {
  const s = sandbox.server;
  const res = await fetch(`${s.apiUrl}/v10/channels/${s.channelId}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bot ${s.token}` },
    body: JSON.stringify(body),
  });
  assertEquals(res.status, 200);
  return await res.json();
}

Deno.test({
  name:
    "sandbox page (headless chromium): type a message, see it in the state; see webhook and bot posts live; click a button",
  // playwright-core keeps pipes and timers of the browser process past close().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withPage(async (page, sandbox) => {
      const server = sandbox.server;
      await page.fill("#text", "hello from the browser");
      await page.press("#text", "Enter");
      const typed = await waitFor(
        "the typed message in the state",
        () => server.state().messages.find((m) => m.content === "hello from the browser"),
      );
      assertEquals(typed.author.id, server.ownerId);
      assertEquals(typed.channel_id, server.channelId);
      await page.waitForSelector(`.msg[data-id="${typed.id}"]`);

      const hooked =
        await (await fetch(`${server.textWebhookUrl.replace("/api/", "/api/v10/")}?wait=true`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ content: "webhook says hi", username: "Status" }),
        })).json();
      const row = await page.waitForSelector(`.msg[data-id="${hooked.id}"]`);
      assertMatch(await row.innerText(), /WEBHOOK\s*Status[\s\S]*webhook says hi/);

      const clicks: string[] = [];
      server.onEvent((t, d) => {
        if (t === "INTERACTION_CREATE") clicks.push((d.data as { custom_id: string }).custom_id);
      });
      const prompt = await botPost(sandbox, {
        content: "Allow Bash?",
        components: [{
          type: 1,
          components: [{ type: 2, style: 3, label: "Allow", custom_id: "allow" }],
        }],
      });
      await page.click(`.msg[data-id="${prompt.id}"] button[data-custom-id="allow"]`);
      await waitFor("the click", () => clicks.includes("allow"));

      // a webhook post into a new forum thread shows up in the sidebar and can be opened
      const post =
        await (await fetch(`${server.webhookUrl.replace("/api/", "/api/v10/")}?wait=true`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ content: "session status", thread_name: "session-1" }),
        })).json();
      await page.click(`nav div[data-channel="${post.channel_id}"]`);
      await page.waitForSelector(`.msg[data-id="${post.id}"]`);
      await page.fill("#text", "reply in thread");
      await page.press("#text", "Enter");
      await waitFor(
        "the thread reply",
        () => server.messages(post.channel_id).some((m) => m.content === "reply in thread"),
      );
    }),
});

Deno.test({
  name:
    "sandbox page (headless chromium): Discord markdown, mentions as names, embed fields, reactions, replying to a message",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withPage(async (page, sandbox) => {
      const s = sandbox.server;
      const msg = await botPost(sandbox, {
        content: `**Done**, <@${s.ownerId}>: \`deno task ci\` passes.\n` +
          "```ts\nconst answer = 42;\n```\n> quoted ||secret||",
        embeds: [{
          title: "Session app-3f2a",
          description: "Working on *main*",
          color: 0x57f287,
          fields: [
            { name: "Tool", value: "`Bash`", inline: true },
            { name: "Status", value: "**running**", inline: true },
            { name: "Asked by", value: `<@${s.ownerId}>` },
          ],
          footer: { text: "claude-discord" },
        }],
      });
      const emoji = encodeURIComponent("👍");
      const reactions = `${s.apiUrl}/v10/channels/${s.channelId}/messages/${msg.id}/reactions`;
      await fetch(`${reactions}/${emoji}/@me`, {
        method: "PUT",
        headers: { authorization: `Bot ${s.token}` },
      });
      const row = `.msg[data-id="${msg.id}"]`;
      await page.waitForSelector(`${row} .reaction`);

      // Markdown, not its marks; the mention as the user's name.
      const content = `${row} .content`;
      assertEquals(await page.textContent(`${content} strong`), "Done");
      assertEquals(await page.textContent(`${content} code.inline`), "deno task ci");
      assertEquals(await page.textContent(`${content} pre.codeblock code`), "const answer = 42;");
      assertEquals(await page.getAttribute(`${content} pre.codeblock code`, "data-lang"), "ts");
      assertEquals(await page.textContent(`${content} .mention`), "@owner");
      assertEquals(await page.textContent(`${content} blockquote .spoiler`), "secret");
      const text = await page.innerText(content);
      for (const mark of ["**", "`", "<@", "```", "||"]) {
        assert(!text.includes(mark), `"${mark}" shows in ${JSON.stringify(text)}`);
      }

      // The embed: title, description, fields (two inline), footer, its colour.
      const embed = `${row} .embed`;
      assertEquals(await page.textContent(`${embed} .embed-title`), "Session app-3f2a");
      assertEquals(await page.textContent(`${embed} .embed-desc em`), "main");
      assertEquals(await page.locator(`${embed} .field`).count(), 3);
      assertEquals(await page.locator(`${embed} .field.inline`).count(), 2);
      assertEquals(
        await page.locator(`${embed} .field-name`).allTextContents(),
        ["Tool", "Status", "Asked by"],
      );
      assertEquals(await page.textContent(`${embed} .field-value code`), "Bash");
      assertEquals(await page.textContent(`${embed} .field-value strong`), "running");
      assertEquals(await page.textContent(`${embed} .field-value .mention`), "@owner");
      assertEquals(await page.textContent(`${embed} .embed-footer`), "claude-discord");
      assertEquals(
        await page.evaluate(
          `getComputedStyle(document.querySelector(${JSON.stringify(embed)})).borderLeftColor`,
        ),
        "rgb(87, 242, 135)",
      );

      // The bot's reaction, then one more from the person on the page.
      assertEquals((await page.textContent(`${row} .reaction`))?.trim(), "👍 1");
      await page.selectOption("#who", { label: "stranger" });
      await page.click(`${row} .reaction`);
      await page.waitForSelector(`${row} .reaction:text("👍 2")`);
      assertEquals(s.messages(s.channelId).find((m) => m.id === msg.id)?.reactions?.[0].count, 2);

      // Reply to it: the bar names the author, the message goes out as a reply, and shows so.
      await page.selectOption("#who", { label: "owner" });
      await page.click(`${row} .reply-btn`);
      assertEquals(await page.isVisible("#replying"), true);
      assertEquals(await page.textContent("#reply-name"), "claude-bot");
      await page.fill("#text", "thanks, ship it");
      await page.press("#text", "Enter");
      const reply = await waitFor(
        "the reply",
        () => s.messages(s.channelId).find((m) => m.content === "thanks, ship it"),
      );
      assertEquals(reply.message_reference?.message_id, msg.id);
      assertEquals(reply.author.id, s.ownerId);
      assertEquals(await page.isVisible("#replying"), false);
      const replyRow = `.msg[data-id="${reply.id}"]`;
      await page.waitForSelector(`${replyRow} .reply`);
      assertEquals(await page.textContent(`${replyRow} .reply .reply-author`), "@claude-bot");
      assertMatch(
        (await page.textContent(`${replyRow} .reply .md`))!,
        /^Done, @owner: deno task ci/,
      );
    }),
});

Deno.test({
  name: "sandbox page (headless chromium): usable at phone width (400 px)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withPage(async (page, sandbox) => {
      const s = sandbox.server;
      await page.setViewportSize({ width: 400, height: 800 });
      const long = "x".repeat(300);
      const msg = await botPost(sandbox, {
        content: `${long}\n\`\`\`\n${"wide code line ".repeat(20)}\n\`\`\``,
        embeds: [{ title: "STATUS", fields: [{ name: "a", value: long, inline: true }] }],
      });
      await page.waitForSelector(`.msg[data-id="${msg.id}"] .embed`);
      // Nothing wider than the screen: long words wrap, code scrolls inside its block.
      assertEquals(await page.evaluate("document.documentElement.scrollWidth"), 400);
      for (
        const selector of ["#text", "#send", "#who", "#log", `.msg[data-id="${msg.id}"] .embed`]
      ) {
        const box = (await page.locator(selector).boundingBox())!;
        assert(box.x >= 0 && box.x + box.width <= 400, `${selector} at ${JSON.stringify(box)}`);
      }
      // The channel list is a menu: closed, opened, a channel picked closes it.
      assertEquals(await page.isVisible("nav"), false);
      await page.click("#menu");
      assertEquals(await page.isVisible("nav"), true);
      await page.click(`nav div[data-channel="${s.forumId}"]`);
      assertEquals(await page.isVisible("nav"), false);
      assertEquals(await page.textContent("#title"), "# status");
      await page.click("#menu");
      await page.click(`nav div[data-channel="${s.channelId}"]`);
      // Typing and sending still works at this width.
      await page.fill("#text", "from a phone");
      await page.click("#send");
      await waitFor(
        "the message",
        () => s.messages(s.channelId).some((m) => m.content === "from a phone"),
      );
    }),
});

Deno.test({
  name:
    "sandbox page (headless chromium): files picked in the composer are attached to the message, served by the CDN, images previewed",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withPage(async (page, sandbox) => {
      const server = sandbox.server;
      const image = png(5, 4);
      const paste = "a long paste\n".repeat(100);
      await page.setInputFiles("#files", [
        { name: "shot.png", mimeType: "image/png", buffer: Buffer.from(image) },
        { name: "message.txt", mimeType: "text/plain", buffer: Buffer.from(paste) },
      ]);
      await page.waitForSelector("#picked:not([hidden])");
      assertMatch(
        await page.innerText("#picked"),
        /shot\.png \(\d+ bytes\), message\.txt \(1\.3 KiB\)/,
      );
      await page.fill("#text", "see the screenshot");
      await page.press("#text", "Enter");
      const sent = await waitFor(
        "the message with files",
        () => server.state().messages.find((m) => m.content === "see the screenshot"),
      );
      assertEquals(sent.attachments.map((a) => [a.filename, a.size, a.content_type]), [
        ["shot.png", image.length, "image/png"],
        ["message.txt", paste.length, "text/plain"],
      ]);
      const got = new Uint8Array(await (await fetch(sent.attachments[0].url)).arrayBuffer());
      assertEquals(got, image);
      const preview = await page.waitForSelector(`.msg[data-id="${sent.id}"] img.preview`);
      await page.waitForFunction(
        (img) => (img as { naturalWidth: number }).naturalWidth === 5,
        preview,
      );
      assert(await page.isHidden("#picked"), "the picked list is cleared");
      // Files alone, without text, are a message too.
      await page.setInputFiles("#files", [{
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("only a file\n"),
      }]);
      await page.click("#send");
      await waitFor(
        "the file-only message",
        () => server.state().messages.some((m) => m.attachments[0]?.filename === "notes.txt"),
      );
    }),
});

Deno.test({
  name:
    "sandbox page (headless chromium): a slash command with autocomplete from the composer; its ephemeral answer for that user only; an edit and the bot's reaction live",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withPage(async (page, sandbox) => {
      const s = sandbox.server;
      const auth = { authorization: `Bot ${s.token}`, "content-type": "application/json" };
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${s.apiUrl}/v10${path}`, {
          method,
          headers: auth,
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then((r) => r.text());
      await api("PUT", `/applications/${s.applicationId}/guilds/${s.guildId}/commands`, [
        { name: "sessions", description: "List the live sessions" },
        {
          name: "stop",
          description: "Stop a session",
          options: [{
            type: 3,
            name: "session",
            description: "The session",
            required: true,
            autocomplete: true,
          }],
        },
      ]);
      // A bot: choices for autocomplete, an ephemeral answer naming the option.
      s.onEvent((t, d) => {
        if (t !== "INTERACTION_CREATE") return;
        const url = `/interactions/${d.id}/${d.token}/callback`;
        const data = d.data as { name: string; options?: { value: string }[] };
        void api(
          "POST",
          url,
          d.type === 4
            ? { type: 8, data: { choices: [{ name: "alpha (laptop)", value: "alpha" }] } }
            : { type: 4, data: { content: `stopping ${data.options?.[0].value}`, flags: 64 } },
        );
      });
      // Registered after the page loaded: a "/" typed first reads them.
      await page.type("#text", "/st");
      await page.waitForSelector('#slash .suggestion:has-text("/stop")');
      await page.click('#slash .suggestion:has-text("/stop")');
      assertEquals(await page.inputValue("#text"), "/stop ");
      await page.type("#text", "session:al");
      await page.waitForSelector('#slash .choices .suggestion:has-text("alpha (laptop)")');
      await page.click('#slash .choices .suggestion:has-text("alpha (laptop)")');
      assertEquals(await page.inputValue("#text"), "/stop session:alpha ");
      await page.press("#text", "Enter");
      const row = await page.waitForSelector('.msg.ephemeral:has-text("stopping alpha")');
      assertMatch(await row.innerText(), /owner used \/stop[\s\S]*Only you can see this/);
      const run = s.state().interactions.find((i) => i.kind === "command")!;
      assertEquals([run.commandName, run.userId, run.channelId], ["stop", s.ownerId, s.channelId]);
      assertEquals(s.messages(s.channelId), [], "the answer is in no channel");
      // Another user does not see it.
      await page.selectOption("#who", { label: "stranger" });
      await page.waitForSelector(".msg.ephemeral", { state: "detached" });
      await page.selectOption("#who", { label: "owner" });
      await page.waitForSelector(".msg.ephemeral");

      // A bot message edited, and the bot's reaction on it, show up live.
      const card = await botPost(sandbox, { content: "working: Bash (1 tool)" });
      const cardRow = `.msg[data-id="${card.id}"]`;
      await page.waitForSelector(cardRow);
      await api("PATCH", `/channels/${s.channelId}/messages/${card.id}`, {
        content: "idle since 12:00",
      });
      await page.waitForSelector(`${cardRow} .content:has-text("idle since 12:00")`);
      await page.waitForSelector(`${cardRow} .edited`);
      const emoji = encodeURIComponent("✅");
      await api("PUT", `/channels/${s.channelId}/messages/${card.id}/reactions/${emoji}/@me`);
      await page.waitForSelector(`${cardRow} .reaction.me:has-text("✅ 1")`);
    }),
});
