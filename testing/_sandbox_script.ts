// The sandbox page's script: reads the world from `/_control`, renders messages the way
// Discord shows them (markdown parsed by the server at `/_sandbox/markdown`, mentions as
// names, embeds with fields, reactions, replies, edits, attachments with image previews; slash
// command answers with "used /name", ephemeral ones to their user only) and posts what the
// person types, picks (files, as base64 to the control API) or clicks: a message, or a slash
// command from the composer (`/name option:value`, with the registered commands and the bot's
// autocomplete choices suggested above it).
// Everything is built with elements and text nodes: no message text becomes HTML.
import {
  ChannelType,
  ComponentType,
  InteractionType,
  MessageFlags,
  MessageType,
} from "discord-api-types/v10";

/** The page's script (a classic script; runs once the page has loaded). */
export const SANDBOX_SCRIPT = `
let info = null, current = null, replyTo = null, st = null, seq = 0;
const trees = new Map();
const $ = (id) => document.getElementById(id);
async function api(path, opts) {
  const r = await fetch(path.startsWith('/') ? path : '/_control/' + path, opts);
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + await r.text());
  return r.status === 204 ? null : r.json();
}
function post(path, body) {
  return api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function nameOf(id) {
  const u = st.users.find((x) => x.id === id);
  return u ? (u.global_name || u.username) : 'unknown-user';
}
function channelName(id) {
  const c = st.channels.concat(st.threads).find((x) => x.id === id);
  return c ? c.name : 'unknown';
}
const TIME_FORMATS = {
  t: { timeStyle: 'short' }, T: { timeStyle: 'medium' }, d: { dateStyle: 'short' },
  D: { dateStyle: 'long' }, f: { dateStyle: 'long', timeStyle: 'short' },
  F: { dateStyle: 'full', timeStyle: 'short' },
};
function timestamp(n) {
  const date = new Date(Number(n.timestamp) * 1000);
  if (n.format === 'R') {
    const s = Math.round((date.getTime() - Date.now()) / 1000);
    const units = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
    const [unit, size] = units.find(([, size]) => Math.abs(s) >= size) || units[units.length - 1];
    return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(s / size), unit);
  }
  return date.toLocaleString(undefined, TIME_FORMATS[n.format] || TIME_FORMATS.f);
}
const WRAP = { strong: 'strong', em: 'em', underline: 'u', strikethrough: 's', blockQuote: 'blockquote', subtext: 'small' };
function md(nodes, into) {
  for (const n of nodes) {
    if (typeof n.content === 'string' && (n.type === 'text' || n.type === 'emoticon')) { into.append(n.content); continue; }
    let e;
    switch (n.type) {
      case 'br': case 'newline': e = el('br'); break;
      case 'inlineCode': e = el('code', 'inline', n.content); break;
      case 'codeBlock': { e = el('pre', 'codeblock'); const c = el('code', '', n.content); if (n.lang) c.dataset.lang = n.lang; e.append(c); break; }
      case 'heading': e = el('div', 'h h' + Math.min(3, n.level || 1)); md(n.content, e); break;
      case 'spoiler': e = el('span', 'spoiler'); e.title = 'spoiler: click to show'; e.onclick = () => e.classList.add('shown'); md(n.content, e); break;
      case 'link': case 'url': case 'autolink':
        if (/^https?:\\/\\//i.test(n.target || '')) { e = el('a'); e.href = n.target; e.target = '_blank'; e.rel = 'noopener noreferrer'; }
        else e = el('span');
        md(Array.isArray(n.content) ? n.content : [{ type: 'text', content: String(n.content || n.target) }], e);
        break;
      case 'user': e = el('span', 'mention', '@' + nameOf(n.id)); e.dataset.userId = n.id; break;
      case 'channel': e = el('span', 'mention', '#' + channelName(n.id)); break;
      case 'role': e = el('span', 'mention', '@' + (n.id === st.channels[0]?.guild_id ? 'everyone' : 'role')); break;
      case 'everyone': e = el('span', 'mention', '@everyone'); break;
      case 'here': e = el('span', 'mention', '@here'); break;
      case 'emoji': e = el('span', 'emoji', ':' + n.name + ':'); break;
      case 'twemoji': e = el('span', 'emoji', n.name); break;
      case 'timestamp': e = el('time', 'ts', timestamp(n)); e.dateTime = new Date(Number(n.timestamp) * 1000).toISOString(); break;
      case 'slashCommand': e = el('span', 'mention', '/' + n.name); break;
      default:
        if (WRAP[n.type]) { e = el(WRAP[n.type]); md(n.content, e); }
        else if (Array.isArray(n.content)) { e = el('span'); md(n.content, e); }
        else e = document.createTextNode(typeof n.content === 'string' ? n.content : '');
    }
    into.append(e);
  }
  return into;
}
function markdown(text, cls) { return md(trees.get(text) || [{ type: 'text', content: text }], el('div', 'md ' + (cls || ''))); }
async function parseAll(texts) {
  const todo = [...new Set(texts.filter((t) => t && !trees.has(t)))];
  if (!todo.length) return;
  const got = await post('/_sandbox/markdown', { texts: todo });
  todo.forEach((t, i) => trees.set(t, got.trees[i]));
}
function textsOf(m) {
  const out = [m.content];
  for (const e of m.embeds || []) { out.push(e.description); for (const f of e.fields || []) out.push(f.name, f.value); }
  if (m.referenced_message) out.push(m.referenced_message.content);
  return out;
}
function embed(e) {
  const box = el('div', 'embed');
  if (typeof e.color === 'number') box.style.borderLeftColor = '#' + e.color.toString(16).padStart(6, '0');
  if (e.author && e.author.name) box.append(el('div', 'embed-author', e.author.name));
  if (e.title) {
    const t = el(e.url && /^https?:/i.test(e.url) ? 'a' : 'div', 'embed-title', e.title);
    if (t.tagName === 'A') { t.href = e.url; t.target = '_blank'; t.rel = 'noopener noreferrer'; }
    box.append(t);
  }
  if (e.description) box.append(markdown(e.description, 'embed-desc'));
  if (e.fields && e.fields.length) {
    const fields = el('div', 'fields');
    for (const f of e.fields) {
      const d = el('div', 'field' + (f.inline ? ' inline' : ''));
      d.append(markdown(f.name, 'field-name'), markdown(f.value, 'field-value'));
      fields.append(d);
    }
    box.append(fields);
  }
  if (e.footer && e.footer.text) box.append(el('div', 'embed-footer', e.footer.text + (e.timestamp ? ' \\u2022 ' + new Date(e.timestamp).toLocaleString() : '')));
  return box;
}
function setReply(m) {
  replyTo = m ? m.id : null;
  $('replying').hidden = !m;
  $('reply-name').textContent = m ? (m.author.global_name || m.author.username) : '';
  if (m) $('text').focus();
}
function message(m, byId) {
  const row = el('div', 'msg'); row.dataset.id = m.id;
  const ref = m.message_reference && m.message_reference.message_id;
  if (ref && m.type !== ${MessageType.ThreadCreated}) {
    const r = m.referenced_message || byId.get(ref);
    const line = el('div', 'reply'); line.dataset.replyTo = ref;
    if (r) {
      line.append(el('span', 'reply-author', '@' + (r.author.global_name || r.author.username)), markdown(r.content, 'reply-text'));
      line.onclick = () => { const t = document.querySelector('.msg[data-id="' + ref + '"]'); if (t) t.scrollIntoView({ block: 'center' }); };
    } else line.append('Original message was deleted');
    row.append(line);
  }
  const meta = m.interaction_metadata;
  if (meta && meta.type === ${InteractionType.ApplicationCommand} && !meta.original_response_message_id) {
    const used = st.interactions.find((i) => i.interactionId === meta.id);
    const line = el('div', 'used', '@' + nameOf(meta.user && meta.user.id) + ' used /' + (used ? used.commandName : 'a command'));
    row.append(line);
  }
  const head = el('div', 'head');
  if (m.author.bot) head.append(el('span', 'bot', m.webhook_id && m.webhook_id !== m.application_id ? 'WEBHOOK' : 'BOT'));
  head.append(el('span', 'author', m.author.global_name || m.author.username));
  const t = el('time', 'when', new Date(m.timestamp).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  t.dateTime = m.timestamp; head.append(t);
  const rb = el('button', 'act reply-btn', '\\u21A9 Reply'); rb.type = 'button'; rb.title = 'Reply'; rb.onclick = () => setReply(m);
  head.append(rb);
  row.append(head);
  if (m.type === ${MessageType.ThreadCreated}) row.append(el('div', 'md system', 'started a thread: ' + m.content));
  else if (m.flags & ${MessageFlags.Loading}) row.append(el('div', 'md thinking', (m.author.global_name || m.author.username) + ' is thinking\u2026'));
  else if (m.content) row.append(markdown(m.content, 'content'));
  if (m.edited_timestamp) row.append(el('span', 'edited', '(edited)'));
  for (const e of m.embeds || []) row.append(embed(e));
  for (const a of m.attachments || []) {
    const l = el('a', 'file', '\\u{1F4CE} ' + a.filename + ' (' + size(a.size) + ')'); l.href = a.url; l.target = '_blank';
    const box = row.appendChild(el('div'));
    box.append(l);
    if ((a.content_type || '').startsWith('image/')) { const img = el('img', 'preview'); img.src = a.url; img.alt = a.filename; box.append(img); }
  }
  for (const rowc of m.components || []) {
    const line = el('div', 'buttons');
    for (const c of rowc.components || []) {
      if (c.type !== ${ComponentType.Button}) continue;
      const b = el('button', 'cmp s' + (c.style || 2), c.label || c.custom_id);
      b.type = 'button'; b.disabled = !!c.disabled || !c.custom_id; b.dataset.customId = c.custom_id || '';
      b.onclick = () => post('click', { messageId: m.id, customId: c.custom_id, userId: $('who').value });
      line.append(b);
    }
    row.append(line);
  }
  if (m.reactions && m.reactions.length) {
    const rs = el('div', 'reactions');
    for (const r of m.reactions) {
      const chip = el('button', 'reaction' + (r.me ? ' me' : ''), r.emoji.name + ' ' + r.count);
      chip.type = 'button'; chip.dataset.emoji = r.emoji.name; chip.title = 'React with ' + r.emoji.name;
      chip.onclick = () => post('reaction', { channelId: m.channel_id, messageId: m.id, emoji: r.emoji.name, userId: $('who').value });
      rs.append(chip);
    }
    row.append(rs);
  }
  if (m.flags & ${MessageFlags.Ephemeral}) { row.classList.add('ephemeral'); row.append(el('div', 'only-you', '\u{1F441} Only you can see this')); }
  if (m.thread || st.threads.some((t) => t.id === m.id && t.id !== current)) {
    const open = el('button', 'act opengh', 'open thread'); open.type = 'button'; open.onclick = () => select(m.id);
    row.append(open);
  }
  return row;
}
function size(n) {
  return n >= 1048576 ? (n / 1048576).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : n + ' bytes';
}
// The picked files as the control API takes them: name, type and bytes in base64.
async function pickedFiles() {
  const out = [];
  for (const f of $('files').files) {
    const bytes = new Uint8Array(await f.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 32768) bin += String.fromCharCode(...bytes.subarray(i, i + 32768));
    out.push({ filename: f.name, content_type: f.type || undefined, data: btoa(bin) });
  }
  return out;
}
function showPicked() {
  const names = [...$('files').files].map((f) => f.name + ' (' + size(f.size) + ')');
  $('picked').hidden = names.length === 0;
  $('picked').textContent = names.length ? '\\u{1F4CE} ' + names.join(', ') : '';
}
// The slash-command box: "/name [subcommand] option:value …" as the Discord client takes it.
function parseSlash(text) {
  const m = /^\\/([^\\s]*)(?:\\s+([\\s\\S]*))?$/.exec(text);
  if (!m) return null;
  const name = m[1], rest = m[2] || '';
  const command = st.commands.find((c) => c.type === 1 && c.name === name);
  const run = { name, options: {} };
  const parts = rest.split(/\\s+(?=[^\\s:]+:)/).filter((p) => p.trim() !== '');
  let defs = command ? command.options || [] : [];
  let last = null;
  for (const part of parts) {
    const kv = /^([^\\s:]+):([\\s\\S]*)$/.exec(part);
    if (!kv) {
      const [word, ...more] = part.trim().split(/\\s+/);
      const group = defs.find((o) => o.type === 2 && o.name === word);
      const sub = defs.find((o) => o.type === 1 && o.name === word);
      if (group) { run.group = word; defs = group.options || []; if (more.length) { const s2 = defs.find((o) => o.name === more[0]); if (s2) { run.subcommand = more[0]; defs = s2.options || []; } } }
      else if (sub) { run.subcommand = word; defs = sub.options || []; }
      continue;
    }
    run.options[kv[1]] = kv[2].trim();
    last = { name: kv[1], value: kv[2], def: defs.find((o) => o.name === kv[1]) };
  }
  return { command, run, defs, last, typingName: !/\\s/.test(text) };
}
let acTimer = null, acSeq = 0;
function showSlashError(message) {
  const box = $('slash'); box.hidden = false; box.replaceChildren(el('div', 'slash-error', message));
}
function suggestion(label, hint, fill) {
  const d = el('div', 'suggestion'); d.append(el('span', 'sug-label', label));
  if (hint) d.append(el('span', 'sug-hint', hint));
  d.onmousedown = (ev) => { ev.preventDefault(); $('text').value = fill; $('text').focus(); showSlash(); };
  return d;
}
function showSlash() {
  const box = $('slash'), text = $('text').value;
  const slash = text.startsWith('/') ? parseSlash(text) : null;
  clearTimeout(acTimer);
  if (!slash) { box.hidden = true; return; }
  box.hidden = false;
  if (slash.typingName || !slash.command) {
    const list = st.commands.filter((c) => c.type === 1 && c.name.startsWith(text.slice(1).trim()));
    box.replaceChildren(...(list.length ? list.map((c) => suggestion('/' + c.name, c.description, '/' + c.name + ' ')) : [el('div', 'sug-hint', 'No command matches')]));
    return;
  }
  const cmd = slash.command;
  const head = el('div', 'sug-head', '/' + cmd.name + ' \u2014 ' + cmd.description);
  const opts = slash.defs.filter((o) => o.type > 2).map((o) => el('span', 'sug-opt' + (o.required ? ' req' : ''), o.name + ':' + (slash.run.options[o.name] === undefined ? '' : ' \u2713')));
  const subs = slash.defs.filter((o) => o.type <= 2).map((o) => suggestion(o.name, o.description, text.replace(/\\s*$/, ' ') + o.name + ' '));
  box.replaceChildren(head, ...subs, ...(opts.length ? [el('div', 'sug-opts')] : []));
  if (opts.length) box.lastChild.append(...opts);
  const last = slash.last;
  if (!last || !last.def || !last.def.autocomplete || !text.endsWith(last.name + ':' + last.value)) return;
  const mine = ++acSeq;
  acTimer = setTimeout(async () => {
    const got = await post('autocomplete', { ...slash.run, focused: last.name, channelId: current, userId: $('who').value }).catch((e) => ({ error: e.message }));
    if (mine !== acSeq || box.hidden) return;
    const list = el('div', 'choices');
    if (got.error) list.append(el('div', 'slash-error', got.error));
    else if (!got.choices.length) list.append(el('div', 'sug-hint', got.answered ? 'No suggestions' : 'The bot did not answer in time'));
    const prefix = text.slice(0, text.length - last.value.length);
    for (const c of got.choices || []) list.append(suggestion(c.name, String(c.value) === c.name ? '' : String(c.value), prefix + c.value + ' '));
    box.append(list);
  }, 200);
}
function select(id) { current = id; setReply(null); document.body.classList.remove('nav-open'); render(); }
async function render() {
  const mine = ++seq;
  const next = await api('state');
  const who = $('who').value;
  const ephemeral = next.interactions
    .filter((i) => i.userId === who && i.channelId === current)
    .flatMap((i) => i.messages.filter((m) => m.flags & ${MessageFlags.Ephemeral}));
  const shown = next.messages.filter((m) => m.channel_id === current).concat(ephemeral)
    .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  st = next;
  await parseAll(shown.flatMap(textsOf));
  if (mine !== seq) return;
  const nav = $('nav'); nav.textContent = '';
  for (const c of st.channels) {
    const d = el('div', c.id === current ? 'sel' : '', (c.type === ${ChannelType.GuildForum} ? '\\u{1F5C2} ' : '# ') + c.name);
    d.dataset.channel = c.id; d.onclick = () => select(c.id);
    nav.append(d);
    for (const t of st.threads.filter((t) => t.parent_id === c.id)) {
      const td = el('div', 'thread' + (t.id === current ? ' sel' : ''), '\\u21B3 ' + t.name);
      td.dataset.channel = t.id; td.onclick = () => select(t.id);
      nav.append(td);
    }
  }
  $('title').textContent = (st.threads.some((t) => t.id === current) ? '\\u21B3 ' : '# ') + channelName(current);
  const log = $('log');
  const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const byId = new Map(st.messages.map((m) => [m.id, m]));
  log.replaceChildren(...shown.map((m) => message(m, byId)));
  if (atEnd) log.scrollTop = log.scrollHeight;
}
async function main() {
  info = await api('info');
  current = info.channelId;
  for (const u of [info.users.owner, info.users.stranger]) {
    const o = el('option', '', u.username); o.value = u.id; $('who').append(o);
  }
  $('menu').onclick = () => document.body.classList.toggle('nav-open');
  $('cancel-reply').onclick = () => setReply(null);
  $('text').onkeydown = (ev) => { if (ev.key === 'Escape') { setReply(null); $('slash').hidden = true; } };
  // A "/" typed first reads the world again: the bot may have registered commands meanwhile.
  $('text').oninput = () => { if ($('text').value === '/') render().then(showSlash); else showSlash(); };
  $('who').onchange = () => render();
  $('files').onchange = showPicked;
  $('form').onsubmit = async (ev) => {
    ev.preventDefault();
    const content = $('text').value;
    const slash = content ? parseSlash(content) : null;
    if (slash && slash.command) {
      $('text').value = ''; showSlash();
      try { await post('command', { ...slash.run, channelId: current, userId: $('who').value }); }
      catch (e) { showSlashError(e.message); }
      return render();
    }
    const attachments = await pickedFiles();
    if (!content && attachments.length === 0) return;
    $('text').value = ''; $('files').value = ''; showPicked();
    const body = { channelId: current, userId: $('who').value, content };
    if (attachments.length) body.attachments = attachments;
    if (replyTo) body.messageReference = { message_id: replyTo };
    setReply(null);
    await post('messages', body);
    render();
  };
  const es = new EventSource('/_control/events');
  let pending = false;
  const later = () => { if (pending) return; pending = true; setTimeout(() => { pending = false; render(); }, 50); };
  es.addEventListener('dispatch', later);
  es.addEventListener('interaction', later);
  await render();
  document.body.dataset.ready = 'true';
}
main();
`;
