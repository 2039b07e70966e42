// The local server's attachment CDN: signed URLs that expire like Discord's, fresh ones with
// every REST read, uploads through the control API, recorded requests and faults.
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("cdn: a signed URL serves the bytes until it expires; REST reads sign anew; the control API takes base64", async () => {
  await using server = await startDiscordServer({ port: 0, attachmentUrlTtlMs: 1500 });
  const bytes = new TextEncoder().encode("hello file\n");
  const m = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "",
    attachments: [{ filename: "a b.txt", bytes, content_type: "text/plain" }],
  });
  const [a] = m.attachments;
  const url = new URL(a.url);
  assertEquals([...url.searchParams.keys()], ["ex", "is", "hm"]);
  assertEquals(a.proxy_url, a.url);
  assertEquals(a.size, bytes.length);
  let res = await fetch(a.url);
  assertEquals(res.headers.get("content-type"), "text/plain");
  assertEquals(new Uint8Array(await res.arrayBuffer()), bytes);
  // No signature, or a forged one: as on Discord.
  res = await fetch(`${url.origin}${url.pathname}`);
  assertEquals([res.status, await res.text()], [404, "This content is no longer available."]);
  url.searchParams.set("ex", "ffffffff");
  res = await fetch(url);
  assertEquals(res.status, 404);
  await res.body?.cancel();
  // Expired after the TTL; a REST read hands out a working URL.
  await new Promise((r) => setTimeout(r, 1600));
  res = await fetch(a.url);
  assertEquals(res.status, 404);
  await res.body?.cancel();
  const read = await fetch(`${server.apiUrl}/v10/channels/${server.channelId}/messages/${m.id}`, {
    headers: { Authorization: `Bot ${server.token}` },
  }).then((r) => r.json());
  res = await fetch(read.attachments[0].url);
  assertEquals(new Uint8Array(await res.arrayBuffer()), bytes);
  assertEquals(server.state().cdnRequests.map((r) => r.status), [200, 404, 404, 404, 200]);
  assert(server.state().cdnRequests.every((r) => !r.authorized));

  // The control API (the sandbox page's file picker) posts base64 bytes.
  const posted = await fetch(`${server.origin}/_control/messages`, {
    method: "POST",
    body: JSON.stringify({
      content: "pic",
      attachments: [{ filename: "x.bin", content_type: "image/png", data: btoa("\x89PNG") }],
    }),
  }).then((r) => r.json());
  res = await fetch(posted.attachments[0].url);
  assertEquals(new Uint8Array(await res.arrayBuffer()), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));

  // Faults: the next request fails; transfers can be slowed down.
  server.fault({ kind: "cdn", status: 500, count: 1 });
  res = await fetch(posted.attachments[0].url);
  assertEquals(res.status, 500);
  await res.body?.cancel();
  server.fault({ kind: "cdn", bytesPerSecond: 20 });
  const started = Date.now();
  res = await fetch(posted.attachments[0].url);
  assertEquals((await res.arrayBuffer()).byteLength, 4);
  assert(Date.now() - started >= 150, "slowed down");
});
