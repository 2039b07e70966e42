// deno.json: `deno task` lists every task with a line on what it does.
import { assert, assertEquals } from "./_assert.ts";
import { ROOT } from "./_fixture.ts";

Deno.test("deno.json: every task has a description and a command", () => {
  const tasks = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks;
  assert(Object.keys(tasks).length > 0);
  for (const [name, task] of Object.entries(tasks)) {
    assertEquals(typeof task, "object", `${name} is a bare command: give it a description`);
    const { description, command } = task as { description?: unknown; command?: unknown };
    assert(typeof description === "string" && description.length > 10, `${name}: description`);
    assert(typeof command === "string" && command.length > 0, `${name}: command`);
  }
});
