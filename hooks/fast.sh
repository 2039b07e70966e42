#!/bin/sh
# Fast path of the claude-discord hooks that run on every tool call: decides with shell
# builtins only (no cat, sed or jq; no fork) whether Deno needs to start at all.
#
#   fast.sh MODE STATE_DIR DENO_COMMAND...
#   set -- MODE STATE_DIR DENO_COMMAND...; . fast.sh     (what the settings do)
#
# Sourced, it runs in the hook's own shell: no second shell process, and `exit` ends the
# hook, `exec` turns that shell into Deno. It needs nothing but its arguments.
#
# MODE deliver   PostToolUse / PostToolUseFailure: start Deno only when the session's
#                mailbox (or its overflow) is non-empty.
# MODE prompt    UserPromptSubmit: the same, and first cancel a pending Stop wake-up wait
#                of this session (the user is back at the terminal) and empty its stop
#                marker (a new turn: a stop from Discord is over; see stop.ts).
# MODE register  PreToolUse: start Deno only when the session is not registered yet, or
#                the bridge's pid file does not name a live process (gone, or a zombie) and
#                the bridge is configured (SessionStart leaves hooks/bridge-off when it is
#                not). So the first tool call after a crash starts the bridge again. When
#                the session's stop marker is non-empty (stopped from Discord), Deno starts
#                with --role=stop instead, which blocks the call and ends the turn.
#
# The session id comes from CLAUDE_CODE_SESSION_ID (set by Claude Code 2.x for hooks),
# which spares reading stdin: a PostToolUse input holds the whole tool output, and the
# shell's `read` takes it one byte per system call. The register hook turns this off
# (file hooks/no-env-session) if that variable ever differs from stdin's session_id.
# Otherwise, or when the variable is absent, the first line of stdin is read and
# session_id is taken out of it with parameter expansion. An id that is not
# [A-Za-z0-9_-]{1,128} ends the hook quietly. When Deno does start, it gets the hook
# JSON on stdin as Claude Code sent it, and in modes deliver and prompt with the id from the
# environment also `--session=<id>` (hooks/deliver.ts then does not read stdin: a PostToolUse
# input holds the whole tool output). The script always exits 0 on its own.
mode=$1
home=$2
shift 2 2>/dev/null || exit 0

sid=
line=
if [ -n "${CLAUDE_CODE_SESSION_ID-}" ] && [ ! -e "$home/hooks/no-env-session" ]; then
  sid=$CLAUDE_CODE_SESSION_ID
else
  n=0
  while [ "$n" -lt 64 ]; do
    chunk=
    IFS= read -r chunk || [ -n "$chunk" ] || break
    if [ "$n" -eq 0 ]; then line=$chunk; else line="$line
$chunk"; fi
    case $line in *'"session_id"'*'"'*'"'*) break ;; esac
    n=$((n + 1))
  done
  rest=${line#*\"session_id\"}
  [ "$rest" = "$line" ] && exit 0
  # Skip blanks and the colon, then take the quoted value.
  while :; do
    case $rest in
      [" :	"]*) rest=${rest#?} ;;
      *) break ;;
    esac
  done
  case $rest in \"*) rest=${rest#\"} ;; *) exit 0 ;; esac
  sid=${rest%%\"*}
fi
case $sid in '' | *[!A-Za-z0-9_-]*) exit 0 ;; esac
[ "${#sid}" -le 128 ] || exit 0

case $mode in
  prompt)
    [ -s "$home/hooks/wait/$sid" ] && : >"$home/hooks/wait/$sid"
    [ -s "$home/stop/$sid" ] && : >"$home/stop/$sid"
    [ -s "$home/inbox/$sid.jsonl" ] || [ -s "$home/hooks/overflow/$sid.jsonl" ] || exit 0
    ;;
  deliver)
    [ -s "$home/inbox/$sid.jsonl" ] || [ -s "$home/hooks/overflow/$sid.jsonl" ] || exit 0
    ;;
  register)
    if [ -s "$home/stop/$sid" ]; then
      # The last --role wins: the register command's permissions cover the stop role.
      set -- "$@" --role=stop
    elif [ -s "$home/sessions/$sid.json" ]; then
      [ -e "$home/hooks/bridge-off" ] && exit 0
      if [ -s "$home/bridge/bridge.pid" ]; then
        pid=
        IFS= read -r pid <"$home/bridge/bridge.pid"
        case $pid in
          '' | *[!0-9]*) ;;
          *)
            # Alive, unless gone or a zombie (killed and not reaped yet: an init that does not
            # reap, as in many containers); the state follows the last ") " of the stat line.
            st=
            [ -d "/proc/$pid" ] && { IFS= read -r st <"/proc/$pid/stat"; } 2>/dev/null
            st=${st##*") "}
            case $st in '' | Z* | X*) ;; *) exit 0 ;; esac
            ;;
        esac
      fi
    fi
    ;;
  *) exit 0 ;;
esac

export CLAUDE_DISCORD_HOME="$home"
if [ -n "$line" ]; then
  # stdin was read: hand the line on (the rest of stdin follows it, if any).
  { printf '%s\n' "$line"; while IFS= read -r chunk || [ -n "$chunk" ]; do printf '%s\n' "$chunk"; done; } | exec "$@"
  exit 0
fi
# The session id came from the environment: a delivery needs nothing else from stdin (the
# settings name the event with --event), so Deno is told, and leaves stdin unread.
case $mode in deliver | prompt) exec "$@" --session="$sid" ;; esac
exec "$@"
