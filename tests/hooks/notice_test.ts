// The notices' titles (hooks/_notice.ts): Claude Code's SessionEnd reasons and StopFailure
// errors read as words, a code the table lacks as it came.
import { noticeFor, REASON_WORDS } from "../../hooks/_notice.ts";
import type { HookInput } from "../../hooks/_input.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture, SID } from "./_helpers.ts";

const titleOf = (event: "SessionEnd" | "StopFailure", field: string, code: string) =>
  noticeFor({ ...fixture(event, SID), [field]: code } as HookInput)?.title;

Deno.test("notice: every SessionEnd reason Claude Code sends reads as words", () => {
  const reasons = ["clear", "resume", "logout", "prompt_input_exit", "other"];
  for (const reason of [...reasons, "bypass_permissions_disabled"]) {
    const title = titleOf("SessionEnd", "reason", reason)!;
    assert(title.startsWith("Session ended: "), title);
    assert(!title.includes(`(${reason})`) && !title.includes("_"), `"${title}" shows the code`);
  }
  assertEquals(titleOf("SessionEnd", "reason", "other"), "Session ended: Claude Code exited");
  assertEquals(
    titleOf("SessionEnd", "reason", "prompt_input_exit"),
    "Session ended: exited at the prompt (/exit, Ctrl+D or Ctrl+C)",
  );
  // A reason a later Claude Code adds is still shown, as it came.
  assertEquals(titleOf("SessionEnd", "reason", "new_reason"), "Session ended (new_reason)");
  // Not a key of an object's prototype either.
  assertEquals(titleOf("SessionEnd", "reason", "constructor"), "Session ended (constructor)");
});

Deno.test("notice: every StopFailure error Claude Code sends reads as words", () => {
  const errors = [
    "authentication_failed",
    "oauth_org_not_allowed",
    "account_on_hold",
    "verification_required",
    "billing_error",
    "rate_limit",
    "overloaded",
    "invalid_request",
    "model_not_found",
    "server_error",
    "unknown",
    "max_output_tokens",
    "cloud_credential_error",
  ];
  assertEquals(Object.keys(REASON_WORDS.StopFailure).sort(), [...errors].sort());
  for (const error of errors) {
    const title = titleOf("StopFailure", "error", error)!;
    assert(title.startsWith("Stopped"), title);
    assert(!title.includes(`(${error})`) && !title.includes("_"), `"${title}" shows the code`);
  }
  assertEquals(titleOf("StopFailure", "error", "rate_limit"), "Stopped: rate limited by the API");
  assertEquals(
    titleOf("StopFailure", "error", "server_error"),
    "Stopped: the API had a server error",
  );
  assertEquals(titleOf("StopFailure", "error", "teapot"), "Stopped by an API error (teapot)");
});
