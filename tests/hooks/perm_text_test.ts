// hooks/_perm_rule.ts and hooks/_perm_text.ts: the one rule "Allow for this session" adds
// (never a mode or a directory), and a prompt that says what really happens in each mode.
import { type PermRule, ruleText, sessionRules, sessionUpdate } from "../../hooks/_perm_rule.ts";
import { outcomeLine, promptContent, promptMode } from "../../hooks/_perm_text.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { fixture } from "./_helpers.ts";

const MODE_AND_DIRS = [
  { type: "addDirectories", directories: ["/home/user/project"], destination: "session" },
  { type: "setMode", mode: "acceptEdits", destination: "session" },
];

Deno.test("session rule: Claude Code's mode and directory suggestions are never taken", () => {
  const input = fixture("PermissionRequest");
  const rules = sessionRules("Bash", input.tool_input, input.permission_suggestions);
  assertEquals(rules.map(ruleText), ["Bash(touch made.txt)"]);
  assertEquals(sessionUpdate(rules), [{
    type: "addRules",
    rules: [{ toolName: "Bash", ruleContent: "touch made.txt" }],
    behavior: "allow",
    destination: "session",
  }]);
  const update = JSON.stringify(sessionUpdate(rules));
  assert(!update.includes("setMode") && !update.includes("addDirectories"), update);
});

Deno.test("session rule: a suggested rule about this tool is taken; one about another tool is not", () => {
  const own = [...MODE_AND_DIRS, {
    type: "addRules",
    rules: [{ toolName: "Bash", ruleContent: "npm test:*" }],
    behavior: "allow",
    destination: "localSettings",
  }];
  assertEquals(sessionRules("Bash", { command: "npm test" }, own).map(ruleText), [
    "Bash(npm test:*)",
  ]);
  const other = [{
    type: "addRules",
    rules: [{ toolName: "Bash", ruleContent: "rm:*" }, { toolName: "Edit" }],
    behavior: "allow",
    destination: "session",
  }];
  assertEquals(sessionRules("Bash", { command: "ls" }, other).map(ruleText), ["Bash(ls)"]);
  const deny = [{ type: "addRules", rules: [{ toolName: "Bash" }], behavior: "deny" }];
  assertEquals(sessionRules("Bash", { command: "ls" }, deny).map(ruleText), ["Bash(ls)"]);
});

Deno.test("session rule: the exact call per tool, or none when no rule names it exactly", () => {
  const cases: [string, unknown, string[]][] = [
    ["Write", { file_path: "/home/u/p/a.txt", content: "x" }, ["Edit(//home/u/p/a.txt)"]],
    ["Edit", { file_path: "/home/u/p/a.txt" }, ["Edit(//home/u/p/a.txt)"]],
    ["NotebookEdit", { notebook_path: "/n.ipynb" }, ["Edit(//n.ipynb)"]],
    ["Read", { file_path: "/etc/hosts" }, ["Read(//etc/hosts)"]],
    ["WebFetch", { url: "https://example.com/a?b" }, ["WebFetch(domain:example.com)"]],
    ["mcp__discord__send_file", { path: "/x" }, ["mcp__discord__send_file"]],
    // A wildcard or a line break in a command, glob characters or a relative path: no rule.
    ["Bash", { command: "rm *.txt" }, []],
    ["Bash", { command: "echo a\necho b" }, []],
    ["Bash", {}, []],
    ["Write", { file_path: "/p/[a].txt" }, []],
    ["Write", { file_path: "a.txt" }, []],
    ["WebFetch", { url: "not a url" }, []],
    ["Grep", { pattern: "x" }, []],
  ];
  for (const [tool, input, expected] of cases) {
    assertEquals(sessionRules(tool, input, MODE_AND_DIRS).map(ruleText), expected, tool);
  }
  assertEquals(sessionUpdate([]), []);
});

Deno.test("prompt text: the mode comes from CLAUDE_CODE_ENTRYPOINT", () => {
  assertEquals(promptMode("cli"), "interactive");
  assertEquals(promptMode("sdk-cli"), "print");
  assertEquals(promptMode(undefined), "other");
  assertEquals(promptMode("sdk-ts"), "other");
});

Deno.test("prompt text: each mode says what happens without an answer; the session rule is shown", () => {
  const rules: PermRule[] = [{ toolName: "Bash", ruleContent: "touch made.txt" }];
  const base = {
    sessionName: "app-1",
    tool: "Bash",
    input: { command: "touch made.txt" },
    timeoutSeconds: 300,
    sessionRules: rules,
  };
  const interactive = promptContent({ ...base, mode: "interactive" });
  assertMatch(interactive, /The same question is open in the terminal: the first answer/);
  assertMatch(interactive, /No answer here within 5 min: this prompt closes, the terminal's stays/);
  assertMatch(
    interactive,
    /\*\*Allow for this session\*\* adds the rule `Bash\(touch made\.txt\)`/,
  );
  assert(!interactive.includes("takes over"), interactive);
  const print = promptContent({ ...base, mode: "print" });
  assertMatch(print, /No answer here within 5 min: the tool call is refused/);
  assert(!print.includes("terminal prompt"), print);
  const none = promptContent({ ...base, mode: "other", sessionRules: [] });
  assert(!none.includes("Allow for this session"), none);
  assert(
    promptContent({ ...base, mode: "print", input: { command: "x".repeat(5000) } }).length <= 2000,
  );
});

Deno.test("prompt text: the outcome names the rule added, or says what follows a timeout", () => {
  const by = {
    decision: "always" as const,
    by: { id: "42", name: "ann" },
    via: "button" as const,
    eventId: "1",
  };
  const rules: PermRule[] = [{ toolName: "Edit", ruleContent: "//p/a.txt" }];
  assertEquals(
    outcomeLine(by, { timeoutSeconds: 300, mode: "interactive", sessionRules: rules }),
    "**Allowed for this session** by ann (<@42>): rule `Edit(//p/a.txt)` added until the session ends.",
  );
  assertMatch(
    outcomeLine(by, { timeoutSeconds: 300, mode: "interactive", sessionRules: [] }),
    /\*\*Allowed\*\* by ann \(<@42>\), this call only/,
  );
  const timeout = (mode: "interactive" | "print" | "other") =>
    outcomeLine(undefined, { timeoutSeconds: 300, mode, sessionRules: rules });
  assertEquals(
    timeout("interactive"),
    "**No answer within 5 min**: the question is still open in the terminal.",
  );
  assertEquals(timeout("print"), "**No answer within 5 min**: the tool call was refused.");
  assertMatch(timeout("other"), /Claude Code decides as it does without Discord/);
});
