// The sandbox chat page: a person types into the channel or a thread as a user
// and sees bot and webhook posts (with threads and buttons) live.
import { ChannelType, ComponentType, MessageType } from "discord-api-types/v10";

/** The page's HTML (self-contained: inline CSS and script, talks to `/_control`). */
export function sandboxPage(): string {
  return PAGE;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>local Discord sandbox</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;display:flex;height:100vh;background:#313338;color:#dbdee1}
nav{width:220px;background:#2b2d31;overflow:auto;padding:8px}
nav div{padding:4px 8px;border-radius:4px;cursor:pointer}
nav div.sel{background:#404249;color:#fff}
nav .thread{padding-left:22px;font-size:13px}
main{flex:1;display:flex;flex-direction:column}
#log{flex:1;overflow:auto;padding:12px}
.msg{margin:6px 0}
.author{font-weight:600;color:#fff;margin-right:6px}
.bot{font-size:10px;background:#5865f2;color:#fff;padding:1px 4px;border-radius:3px;margin-right:6px}
.content{white-space:pre-wrap}
.embed{border-left:4px solid #5865f2;background:#2b2d31;padding:6px 10px;margin:4px 0;white-space:pre-wrap}
.reply{font-size:12px;color:#949ba4}
button.cmp{margin:4px 4px 0 0;padding:4px 10px;border:0;border-radius:3px;background:#4e5058;color:#fff;cursor:pointer}
button.cmp.s1{background:#5865f2}button.cmp.s3{background:#248046}button.cmp.s4{background:#da373c}
.reactions span{display:inline-block;background:#2b2d31;border-radius:8px;padding:0 6px;margin:2px}
form{display:flex;gap:6px;padding:12px;background:#2b2d31}
#text{flex:1;padding:8px;border-radius:6px;border:0;background:#383a40;color:#fff}
select{background:#383a40;color:#fff;border:0;border-radius:4px}
.opengh{font-size:12px;color:#00a8fc;cursor:pointer;margin-left:6px}
</style></head>
<body>
<nav id="nav"></nav>
<main>
<div id="log"></div>
<form id="form"><select id="who"></select><input id="text" autocomplete="off" placeholder="Message"><button id="send">Send</button></form>
</main>
<script>
let info = null, current = null;
const $ = (id) => document.getElementById(id);
async function api(path, opts) {
  const r = await fetch('/_control/' + path, opts);
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + await r.text());
  return r.status === 204 ? null : r.json();
}
function post(path, body) {
  return api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
async function render() {
  const st = await api('state');
  const nav = $('nav'); nav.textContent = '';
  for (const c of st.channels) {
    const d = el('div', c.id === current ? 'sel' : '', (c.type === ${ChannelType.GuildForum} ? '\\u{1F5C2} ' : '# ') + c.name);
    d.dataset.channel = c.id; d.onclick = () => { current = c.id; render(); };
    nav.append(d);
    for (const t of st.threads.filter((t) => t.parent_id === c.id)) {
      const td = el('div', 'thread' + (t.id === current ? ' sel' : ''), '\\u21B3 ' + t.name);
      td.dataset.channel = t.id; td.onclick = () => { current = t.id; render(); };
      nav.append(td);
    }
  }
  const log = $('log'); log.textContent = '';
  const byId = new Map(st.messages.map((m) => [m.id, m]));
  for (const m of st.messages.filter((m) => m.channel_id === current)) {
    const row = el('div', 'msg'); row.dataset.id = m.id;
    if (m.message_reference && m.message_reference.message_id && byId.has(m.message_reference.message_id)) {
      const r = byId.get(m.message_reference.message_id);
      row.append(el('div', 'reply', '\\u21AA ' + r.author.username + ': ' + r.content.slice(0, 80)));
    }
    if (m.author.bot) row.append(el('span', 'bot', m.webhook_id ? 'WEBHOOK' : 'BOT'));
    row.append(el('span', 'author', m.author.username));
    row.append(el('span', 'content', m.type === ${MessageType.ThreadCreated} ? 'started a thread: ' + m.content : m.content));
    for (const e of m.embeds || []) row.append(el('div', 'embed', [e.title, e.description].filter(Boolean).join('\\n')));
    for (const a of m.attachments || []) { const l = el('a', '', '\\u{1F4CE} ' + a.filename); l.href = a.url; row.append(el('div')).append(l); }
    for (const rowc of m.components || []) {
      const line = el('div');
      for (const c of rowc.components || []) {
        if (c.type !== ${ComponentType.Button}) continue;
        const b = el('button', 'cmp s' + (c.style || 2), c.label || c.custom_id);
        b.disabled = !!c.disabled || !c.custom_id; b.dataset.customId = c.custom_id || '';
        b.onclick = () => post('click', { messageId: m.id, customId: c.custom_id, userId: $('who').value });
        line.append(b);
      }
      row.append(line);
    }
    if (m.reactions && m.reactions.length) {
      const rs = el('div', 'reactions');
      for (const r of m.reactions) rs.append(el('span', '', r.emoji.name + ' ' + r.count));
      row.append(rs);
    }
    if (m.thread || st.threads.some((t) => t.id === m.id && t.id !== current)) {
      const open = el('span', 'opengh', 'open thread'); open.onclick = () => { current = m.id; render(); };
      row.append(open);
    }
    log.append(row);
  }
  log.scrollTop = log.scrollHeight;
}
async function main() {
  info = await api('info');
  current = info.channelId;
  for (const u of [info.users.owner, info.users.stranger]) {
    const o = el('option', '', u.username); o.value = u.id; $('who').append(o);
  }
  $('form').onsubmit = async (ev) => {
    ev.preventDefault();
    const content = $('text').value; if (!content) return;
    $('text').value = '';
    await post('messages', { channelId: current, userId: $('who').value, content });
    render();
  };
  const es = new EventSource('/_control/events');
  let pending = false;
  es.addEventListener('dispatch', () => { if (pending) return; pending = true; setTimeout(() => { pending = false; render(); }, 50); });
  await render();
  document.body.dataset.ready = 'true';
}
main();
</script></body></html>`;
