// testing/server.ts as a process: it prints one JSON line with the API base, token and ids,
// and its HTTP control API works.
import { assert, assertEquals, assertMatch } from "../_assert.ts";

Deno.test("CLI: prints one JSON line with the API base, token and ids; the control API works over HTTP", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      new URL("../../testing/server.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    const deadline = Date.now() + 15_000;
    while (!text.includes("\n")) {
      const { value, done } = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("no JSON line")), deadline - Date.now())
        ),
      ]);
      if (done) break;
      text += value;
    }
    const info = JSON.parse(text.split("\n")[0]);
    for (
      const k of ["apiUrl", "token", "guildId", "channelId", "forumId", "webhookUrl", "ownerId"]
    ) {
      assert(info[k], `${k} printed`);
    }
    assertMatch(info.apiUrl, /^http:\/\/127\.0\.0\.1:\d+\/api$/);
    const control = info.controlUrl as string;
    const posted = await (await fetch(`${control}/messages`, {
      method: "POST",
      body: JSON.stringify({
        channelId: info.channelId,
        userId: info.ownerId,
        content: "over http",
      }),
    })).json();
    assertEquals(posted.content, "over http");
    const history = await (await fetch(`${info.apiUrl}/v10/channels/${info.channelId}/messages`, {
      headers: { authorization: `Bot ${info.token}` },
    })).json();
    assertEquals(history[0].id, posted.id);
    const user = await (await fetch(`${control}/users`, {
      method: "POST",
      body: JSON.stringify({ username: "carol" }),
    }))
      .json();
    assertEquals(user.username, "carol");
    const fault = await fetch(`${control}/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "bogus" }),
    });
    assertEquals(fault.status, 400);
    await fault.body?.cancel();
    const state = await (await fetch(`${control}/state`)).json();
    assertEquals(state.messages.length, 1);
    assertEquals((await fetch(`${control}/reset`, { method: "POST" })).status, 204);
    assertEquals((await (await fetch(`${control}/state`)).json()).messages.length, 0);
  } finally {
    await reader.cancel();
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stderr.cancel();
    assertEquals(status.code, 0);
  }
});
