// The bridge's attachments against the local Discord (in this process): stored before the event
// is written, typed by their bytes, named safely, limited per file and per message, refreshed
// when their URL expired, never fetched for a stranger, pruned after their retention.
import { readBridgeStatus, readGuildFacts } from "../../daemon.ts";
import type { InboxAttachment } from "../../inbox.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import { timeOfSnowflake } from "../../_discord/snowflake.ts";
import { readDirIfExists } from "../../_shared/fs.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { png } from "../_png.ts";
import { startBridge, world } from "./_helpers.ts";

const MIB = 1024 * 1024;

function mode(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

Deno.test("bridge attachments: a PNG, a long paste and a misnamed file are stored, typed by their bytes, before the event", async () => {
  await using w = await world({ sessions: ["s1"] });
  await using bridge = await startBridge(w);
  const image = png(4, 3);
  const paste = Array.from({ length: 600 }, (_, i) => `line ${i} of the paste ${"x".repeat(40)}`)
    .join("\n");
  const pasteBytes = new TextEncoder().encode(paste);
  const id = await w.say("", {
    attachments: [
      { filename: "shot.png", bytes: image, content_type: "image/png" },
      { filename: "message.txt", bytes: pasteBytes, content_type: "text/plain; charset=utf-8" },
      { filename: "photo", bytes: image },
      { filename: "notes.png", bytes: new TextEncoder().encode("not an image") },
    ],
  });
  await waitFor("the message", () => w.ids("s1").includes(id));
  const e = w.mailbox("s1").find((x) => x.id === id)!;
  const dir = `${w.home}/attachments/${id}`;
  const [shot, text, photo, notes] = e.attachments;
  assertEquals(shot.path, `${dir}/shot.png`);
  assertEquals(shot.detectedType, "image/png");
  assertEquals(Deno.readFileSync(shot.path!), image);
  assertEquals(shot.text, undefined);
  assertEquals(text.path, `${dir}/message.txt`);
  assertEquals(text.detectedType, "text/plain");
  assertEquals(Deno.readTextFileSync(text.path!), paste);
  // The first 8 KiB (the default) are in the event, cut at a line end.
  assert(text.text !== undefined && paste.startsWith(text.text), "inline text is the beginning");
  assert(text.text.length <= 8192 && text.text.length > 7000, `${text.text.length}`);
  assert(text.text.endsWith("\n"), "cut at a line end");
  // An image without an extension gets one (Read goes by it); text named .png gets .txt.
  assertEquals(photo.path, `${dir}/photo.png`);
  assertEquals(notes.path, `${dir}/notes.png.txt`);
  assertEquals(notes.text, "not an image");
  assertEquals(mode(dir), 0o700);
  assertEquals(mode(`${w.home}/attachments`), 0o700);
  for (const a of e.attachments) assertEquals(mode(a.path!), 0o600);
  assertEquals([...Deno.readDirSync(dir)].length, 4, "no partial files left");
  // The CDN got no token.
  const cdn = w.server.state().cdnRequests;
  assertEquals(cdn.length, 4);
  assert(cdn.every((r) => !r.authorized && r.status === 200), JSON.stringify(cdn));
  await bridge.stop();
  const status = readBridgeStatus(w.home)!;
  assertEquals(status.attachments, {
    messages: 1,
    files: 4,
    bytes: image.length * 2 + pasteBytes.length + 12,
  });
});

Deno.test("bridge attachments: a stranger's file is never fetched; oversize ones are refused with a reason; ../../.bashrc stays inside", async () => {
  await using w = await world({ sessions: ["s1"] });
  await using _bridge = await startBridge(w, {
    attachments: { maxFileBytes: 1 * MIB, maxMessageBytes: 2 * MIB },
  });
  await w.server.postAsUser({
    channelId: w.server.channelId,
    userId: w.server.users.stranger.id,
    content: "take this",
    attachments: [{ filename: "evil.sh", bytes: new TextEncoder().encode("rm -rf /") }],
  });
  const id = await w.say("three files", {
    attachments: [
      { filename: "../../.bashrc", bytes: new TextEncoder().encode("alias ls=rm\n") },
      { filename: "big.bin", size: 1 * MIB + 1 },
      { filename: "a.bin", size: 1 * MIB },
      { filename: "b.bin", size: 1 * MIB },
    ],
  });
  await waitFor("the message", () => w.ids("s1").includes(id));
  const [bashrc, big, a, b] = w.mailbox("s1").find((x) => x.id === id)!.attachments;
  assertEquals(bashrc.path, `${w.home}/attachments/${id}/bashrc`);
  assertEquals(Deno.readTextFileSync(bashrc.path!), "alias ls=rm\n");
  assertEquals(big.path, undefined);
  assertMatch(big.error!, /^not downloaded: 1 MiB is over the 1 MiB limit per file/);
  assertEquals(a.path, `${w.home}/attachments/${id}/a.bin`);
  assertEquals(b.path, undefined);
  assertMatch(b.error!, /pass the 2 MiB limit per message/);
  // Only the two allowed downloads reached the CDN (none of the stranger's).
  const sent = w.server.messages(w.server.channelId).find((m) => m.id === id)!.attachments;
  assertEquals(
    w.server.state().cdnRequests.map((r) => r.attachmentId).sort(),
    [sent[0].id, sent[2].id].sort(),
  );
  assertEquals([...Deno.readDirSync(`${w.home}/attachments`)].map((d) => d.name), [id]);
  assertMatch(w.log(), /big\.bin|over the 1 MiB limit per file/);
});

Deno.test("bridge attachments: an expired URL is renewed by reading the message again; CDN errors are retried, then recorded", async () => {
  await using w = await world({ sessions: ["s1"], server: { attachmentUrlTtlMs: 1000 } });
  await using bridge = await startBridge(w, { sessionCacheMs: 0 });
  await bridge.stop();
  const bytes = new TextEncoder().encode("written while the bridge was down\n");
  const id = await w.say("later", { attachments: [{ filename: "later.txt", bytes }] });
  await new Promise((r) => setTimeout(r, 1500)); // the URL sent with the message expires
  w.server.fault({ kind: "cdn", status: 500, count: 1 });
  await using again = await startBridge(w);
  await again.idle();
  const [a] = w.mailbox("s1").find((x) => x.id === id)!.attachments;
  assertEquals(Deno.readFileSync(a.path!), bytes);
  // Catch-up's page carried fresh URLs: one 500, then (maybe after renewing the URL, which
  // lives 1 s here) the file.
  const statuses = w.server.state().cdnRequests.map((r) => r.status);
  assertEquals([statuses[0], statuses.at(-1)], [500, 200]);

  // A URL that expires between the gateway event and the download: read again through REST.
  w.server.fault({ kind: "cdn", status: 404, count: 1 });
  const id2 = await w.say("now", { attachments: [{ filename: "now.txt", bytes }] });
  await waitFor("the message", () => w.ids("s1").includes(id2));
  assert(
    w.server.state().requests.some((r) =>
      r.method === "GET" && r.path === `/channels/${w.server.channelId}/messages/${id2}`
    ),
    "the message was read again",
  );
  assert(w.mailbox("s1").find((x) => x.id === id2)!.attachments[0].path !== undefined);

  // The CDN fails every attempt: the event says so rather than waiting for ever.
  w.server.fault({ kind: "cdn", status: 500, count: 10 });
  const id3 = await w.say("broken", { attachments: [{ filename: "x.txt", bytes }] });
  await waitFor("the message", () => w.ids("s1").includes(id3), 20_000);
  const broken: InboxAttachment = w.mailbox("s1").find((x) => x.id === id3)!.attachments[0];
  assertEquals(broken.path, undefined);
  assertEquals(broken.error, "download failed after 4 attempts: the CDN answered 500");
});

Deno.test("bridge attachments: folders past the retention are removed at start; voice messages are named; the guild's upload limit is recorded", async () => {
  await using w = await world({ sessions: ["s1"] });
  const old = `${w.home}/attachments/1100000000000000001`;
  Deno.mkdirSync(old, { recursive: true });
  Deno.writeTextFileSync(`${old}/x.txt`, "old");
  assert(Date.now() - timeOfSnowflake("1100000000000000001") > 7 * 86_400_000);
  await using bridge = await startBridge(w);
  assert(!(await Deno.stat(old).then(() => true, () => false)), "the old folder is gone");
  assertMatch(w.log(), /removed the attachments of 1 message\(s\) past their retention/);

  const ogg = new Uint8Array([0x4f, 0x67, 0x67, 0x53, 0, 2, ...new Uint8Array(64)]);
  const id = await w.say("", {
    flags: 1 << 13,
    attachments: [{
      filename: "voice-message.ogg",
      bytes: ogg,
      content_type: "audio/ogg",
      duration_secs: 4.2,
      waveform: "AAAA",
    }],
  });
  await waitFor("the voice message", () => w.ids("s1").includes(id));
  const [voice] = w.mailbox("s1").find((x) => x.id === id)!.attachments;
  assertEquals(voice.voice, true);
  assertEquals(voice.durationSecs, 4.2);
  assertEquals(voice.detectedType, "application/ogg");

  // A click carries the guild's attachment_size_limit; the MCP server's send_file reads it.
  const rest = new DiscordRest({ token: w.server.token, apiUrl: w.server.apiUrl });
  const prompt = await rest.createMessage(w.server.channelId, {
    content: "Allow?",
    components: [{ type: 1, components: [{ type: 2, style: 1, label: "ok", custom_id: "cd:x" }] }],
  });
  await w.server.clickButton({ messageId: prompt.id, customId: "cd:x", userId: w.server.ownerId });
  await waitFor("the guild facts", () => readGuildFacts(w.home) !== undefined);
  assertEquals(readGuildFacts(w.home)?.attachmentSizeLimit, 10 * MIB);
  assertEquals(readGuildFacts(w.home)?.guildId, w.server.guildId);
  await bridge.idle();
});

Deno.test("bridge attachments: a bridge stopped mid-download writes nothing for the message, and the next one delivers it once with its file", async () => {
  await using w = await world({ sessions: ["s1"] });
  const bytes = new Uint8Array(256 * 1024).fill(7);
  // About 2.5 s for the file: long enough to stop the bridge in the middle.
  w.server.fault({ kind: "cdn", bytesPerSecond: 100_000 });
  const first = await startBridge(w);
  const id = await w.say("the dump", { attachments: [{ filename: "dump.bin", bytes }] });
  const dir = `${w.home}/attachments/${id}`;
  const parts = () => readDirIfExists(dir).filter((e) => e.name.endsWith(".part")).length;
  await waitFor("the download to be under way", () => parts() > 0);
  await first.stop();
  assertEquals(w.ids("s1"), [], "nothing written for the message");
  assertEquals(parts(), 0, "the partial file is removed");

  w.server.fault({ kind: "cdn", bytesPerSecond: 0 });
  await using _again = await startBridge(w);
  await waitFor("the message", () => w.ids("s1").includes(id));
  assertEquals(w.ids("s1"), [id]);
  const [a] = w.mailbox("s1")[0].attachments;
  assertEquals(a.path, `${dir}/dump.bin`);
  assertEquals(Deno.readFileSync(a.path!), bytes);
});
