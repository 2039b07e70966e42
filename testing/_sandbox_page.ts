// The sandbox chat page: a person types into the channel or a thread as a user, replies to
// and reacts on messages, runs the bot's slash commands (autocomplete suggested, ephemeral
// answers shown to that user only), and sees bot and webhook posts (markdown, embeds,
// threads, buttons, edits, the bot's reactions) live; usable from a phone-width window up.
import { markdownTrees } from "./_markdown.ts";
import { SANDBOX_SCRIPT } from "./_sandbox_script.ts";

/**
 * Answers the page's own routes: the page at `/` and `/sandbox`, and `POST /_sandbox/markdown`
 * (`{texts: string[]}` → `{trees}`, Discord markdown parsed, see `_markdown.ts`).
 *
 * @returns The answer, or `undefined` when the request is not for the page.
 */
export async function sandboxRoute(req: Request, url: URL): Promise<Response | undefined> {
  if (url.pathname === "/" || url.pathname === "/sandbox") {
    return new Response(PAGE, { headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
  if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
  if (url.pathname !== "/_sandbox/markdown") return undefined;
  if (req.method !== "POST") return Response.json({ message: "use POST" }, { status: 405 });
  let texts: unknown;
  try {
    texts = (await req.json())?.texts;
  } catch {
    texts = undefined;
  }
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) {
    return Response.json({ message: '"texts" must be a list of strings' }, { status: 400 });
  }
  try {
    return Response.json({ trees: markdownTrees(texts) });
  } catch (err) {
    return Response.json({ message: (err as Error).message }, { status: 400 });
  }
}

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.375 system-ui,sans-serif;margin:0;display:flex;height:100vh;height:100dvh;background:#313338;color:#dbdee1}
nav{width:220px;flex:none;background:#2b2d31;overflow:auto;padding:8px}
nav div{padding:6px 8px;border-radius:4px;cursor:pointer;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
nav div.sel{background:#404249;color:#fff}
nav .thread{padding-left:22px;font-size:13px}
main{flex:1;min-width:0;display:flex;flex-direction:column}
header{display:flex;align-items:center;gap:8px;padding:10px 12px;border-bottom:1px solid #1f2023;font-weight:600;color:#f2f3f5}
#menu{display:none;background:none;border:0;color:#dbdee1;font-size:20px;cursor:pointer;padding:0 4px}
#title{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#log{flex:1;overflow-y:auto;overflow-x:hidden;padding:12px}
.msg{margin:0 0 12px;overflow-wrap:anywhere;position:relative}
.head{display:flex;align-items:baseline;flex-wrap:wrap;gap:6px}
.author{font-weight:600;color:#f2f3f5}
.when{font-size:11px;color:#949ba4}
.bot{font-size:10px;background:#5865f2;color:#fff;padding:1px 4px;border-radius:3px;align-self:center}
.act{background:none;border:0;color:#949ba4;cursor:pointer;font-size:12px;padding:0 4px}
.act:hover{color:#dbdee1}
.reply-btn{margin-left:auto}
.md{white-space:pre-wrap}
.md .inline,.codeblock{background:#2b2d31;border-radius:4px;font-family:ui-monospace,Consolas,monospace;font-size:85%}
.md .inline{padding:0 3px}
.codeblock{padding:8px;margin:4px 0;overflow-x:auto;white-space:pre;max-width:100%;border:1px solid #1e1f22}
blockquote{margin:2px 0;padding-left:10px;border-left:4px solid #4e5058}
.h{font-weight:700;color:#f2f3f5}.h1{font-size:1.5em}.h2{font-size:1.25em}.h3{font-size:1.1em}
small{font-size:12px;color:#949ba4}
.mention{background:rgba(88,101,242,.3);color:#c9cdfb;border-radius:3px;padding:0 2px}
.spoiler{background:#1e1f22;color:transparent;border-radius:3px;cursor:pointer}
.spoiler.shown{background:rgba(255,255,255,.1);color:inherit}
a{color:#00a8fc}
.ts{background:rgba(255,255,255,.06);border-radius:3px;padding:0 2px}
.edited{font-size:10px;color:#949ba4}
.reply{font-size:13px;color:#b5bac1;display:flex;gap:4px;align-items:baseline;cursor:pointer;min-width:0}
.reply::before{content:"\\256D";color:#4e5058}
.reply-author{font-weight:600;flex:none}
.reply .md{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-width:0}
.reply .md br,.codeblock+br{display:none}
.reply .md *{display:inline;margin:0;padding:0;border:0;font-size:inherit;background:none;white-space:nowrap}
.embed{border-left:4px solid #1e1f22;background:#2b2d31;border-radius:4px;padding:8px 12px;margin:4px 0;max-width:520px}
.embed-author{font-size:13px;font-weight:600}
.embed-title{font-weight:700;color:#f2f3f5;display:block}
.fields{display:flex;flex-wrap:wrap;gap:4px 16px;margin-top:6px}
.field{flex:1 1 100%;min-width:0}.field.inline{flex:1 1 140px}
.field-name{font-weight:700;font-size:13px;color:#f2f3f5}
.field-value{font-size:14px}
.embed-footer{font-size:12px;color:#949ba4;margin-top:6px}
.buttons{display:flex;flex-wrap:wrap}
button.cmp{margin:4px 4px 0 0;padding:4px 10px;border:0;border-radius:3px;background:#4e5058;color:#fff;cursor:pointer}
button.cmp.s1{background:#5865f2}button.cmp.s3{background:#248046}button.cmp.s4{background:#da373c}
.reactions{display:flex;flex-wrap:wrap;gap:4px;margin-top:4px}
.reaction{background:#2b2d31;border:1px solid transparent;border-radius:8px;padding:1px 8px;color:#dbdee1;cursor:pointer}
.reaction.me{border-color:#5865f2;background:rgba(88,101,242,.15)}
.opengh{color:#00a8fc;padding:0}
.used{font-size:13px;color:#b5bac1}
.used::before{content:"\\256D ";color:#4e5058}
.thinking{color:#949ba4;font-style:italic}
.ephemeral{background:rgba(88,101,242,.07);border-radius:4px;padding:2px 4px}
.only-you{font-size:12px;color:#949ba4;margin-top:2px}
.reaction .who{font-size:11px;color:#949ba4;margin-left:4px}
#slash{margin:0 12px;background:#2b2d31;border-radius:8px 8px 0 0;padding:6px;max-height:40vh;overflow:auto;font-size:14px}
#slash[hidden]{display:none}
.suggestion{padding:4px 8px;border-radius:4px;cursor:pointer;display:flex;gap:8px}
.suggestion:hover{background:#404249}
.sug-label{font-weight:600;color:#f2f3f5}
.sug-hint{color:#949ba4}
.sug-head{color:#b5bac1;padding:2px 8px}
.sug-opts{display:flex;flex-wrap:wrap;gap:6px;padding:4px 8px}
.sug-opt{background:#383a40;border-radius:4px;padding:0 6px;color:#dbdee1}
.sug-opt.req{border:1px solid #5865f2}
.choices{border-top:1px solid #1f2023;margin-top:4px;padding-top:4px}
.slash-error{color:#f23f43;padding:4px 8px}
#replying{display:flex;gap:8px;align-items:center;padding:6px 12px;background:#2b2d31;font-size:13px;color:#b5bac1;border-radius:8px 8px 0 0;margin:0 12px}
#replying[hidden]{display:none}
#reply-name{font-weight:600;color:#f2f3f5}
#cancel-reply{margin-left:auto}
form{display:flex;gap:6px;padding:12px;background:#2b2d31}
#text{flex:1;min-width:0;padding:8px;border-radius:6px;border:0;background:#383a40;color:#fff;font-size:16px}
select{background:#383a40;color:#fff;border:0;border-radius:4px;max-width:35%}
#send{flex:none}
#attach{flex:none;align-self:center;cursor:pointer;font-size:20px}
#picked{padding:0 12px 8px;background:#2b2d31;font-size:13px;color:#b5bac1}
#picked[hidden]{display:none}
img.preview{display:block;max-width:min(320px,100%);max-height:240px;border-radius:6px;margin-top:4px}
@media (max-width:640px){
  #menu{display:block}
  nav{display:none;position:fixed;inset:44px 0 0 0;width:auto;z-index:2}
  body.nav-open nav{display:block}
  .embed{max-width:100%}
  form{padding:8px}
}
`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>local Discord sandbox</title>
<style>${STYLE}</style></head>
<body>
<nav id="nav"></nav>
<main>
<header><button id="menu" type="button" aria-label="Channels">\u2630</button><span id="title"></span></header>
<div id="log"></div>
<div id="slash" hidden></div>
<div id="replying" hidden>Replying to <span id="reply-name"></span><button id="cancel-reply" class="act" type="button" aria-label="Cancel reply">\u2715</button></div>
<form id="form"><select id="who"></select><label id="attach" class="act" title="Attach files">\u{1F4CE}<input id="files" type="file" multiple hidden></label><input id="text" autocomplete="off" placeholder="Message, or / for a command"><button id="send">Send</button></form>
<div id="picked" hidden></div>
</main>
<script>${SANDBOX_SCRIPT}</script></body></html>`;
