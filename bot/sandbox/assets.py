"""The page's markup skeleton, style sheet and script: plain text, no build step."""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{css}</style>
</head>
<body data-agent="{agent}" data-channel="{channel}" data-stamp="{stamp}">
<header class="top">
  <div class="brand-title"><span class="logo"></span> Social Inbox <span class="pill">sandbox</span></div>
  <div class="agents"><span class="label">You are</span>{agents}</div>
  <div class="top-right">{digest}</div>
</header>
{banner}
<nav class="tabs" aria-label="Panes">
  <button type="button" class="tab current" data-tab="slack" aria-pressed="true">Slack · # {channel_name}</button>
  <button type="button" class="tab" data-tab="x" aria-pressed="false">X · Bluesky</button>
</nav>
<main class="panes">
  <nav class="sidebar">
    <div class="workspace">Acme Care</div>
    <div class="section-title">Channels</div>
    {channels}
    <div class="sidebar-help">
      Everything here is local: a stand-in Slack, X and Bluesky, with the real bridge between them.
      Post as a customer on the right, then claim and answer the case as an agent.
    </div>
  </nav>
  <section class="slack">
    <div class="channel-head"><div class="channel-title"># {channel_name}</div><div class="topic">{topic}</div></div>
    <div class="feed" id="slack-feed">{slack}</div>
    <form class="composer" method="post" action="/act/say" data-async>
      {composer_hidden}
      <input type="text" name="text" autocomplete="off" placeholder="{composer_placeholder}"
             data-keep="composer" data-clear="">
      <button type="submit" class="btn primary send">Send</button>
    </form>
  </section>
  <section class="x">
    <div class="x-head">{brand_avatar}<div><div class="x-title">{brand_name} <span class="verified">✓</span></div>
      <div class="handle">@{brand_handle} on X · @{bluesky_brand} on Bluesky</div></div></div>
    <form class="x-compose" method="post" action="/act/mention" data-async>
      {x_hidden}
      <div class="row">
        <input type="text" name="handle" list="customers" placeholder="@customer, new or known" required
               data-keep="x-handle" aria-label="Customer handle">
        <input type="text" name="name" placeholder="Name (for a new customer)" data-keep="x-name" aria-label="Name">
        <datalist id="customers">{customers}</datalist>
      </div>
      <textarea name="text" rows="2" data-keep="x-text" data-clear="@{brand_handle} "
                aria-label="Post text">@{brand_handle} </textarea>
      <div class="row right"><span class="hint">Posts as the customer, mentioning the brand</span>
        <span class="row"><select name="network" class="menu" data-network aria-label="Network">
          <option value="x" data-brand="@{brand_handle} " selected>on X</option>
          <option value="bluesky" data-brand="@{bluesky_brand} ">on Bluesky</option></select>
        <button type="submit" class="btn x-btn">Post</button></span></div>
    </form>
    <div class="feed" id="x-feed">{x}</div>
  </section>
</main>
<script>{js}</script>
</body>
</html>
"""

CSS = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 15px/1.46 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Color Emoji", sans-serif;
  color: #1d1c1d; background: #f8f8f8; display: flex; flex-direction: column; }
a { color: #1264a3; text-decoration: none; } a:hover { text-decoration: underline; }
.top { display: flex; align-items: center; gap: 24px; padding: 0 16px; height: 48px; background: #350d36;
  color: #fff; flex: none; }
.brand-title { font-weight: 700; font-size: 16px; display: flex; align-items: center; gap: 8px; }
.logo { width: 18px; height: 18px; border-radius: 5px; background: linear-gradient(135deg, #2eb67d, #36c5f0); }
.pill { background: #ecb22e; color: #350d36; border-radius: 10px; padding: 1px 8px; font-size: 11px;
  text-transform: uppercase; letter-spacing: .04em; }
.agents { display: flex; align-items: center; gap: 6px; }
.agents .label { opacity: .7; font-size: 13px; margin-right: 4px; }
.agent { display: flex; align-items: center; gap: 6px; color: #fff; padding: 4px 10px 4px 4px; border-radius: 16px;
  border: 1px solid transparent; font-size: 13px; opacity: .75; }
.agent:hover { text-decoration: none; opacity: 1; border-color: rgba(255,255,255,.3); }
.agent.current { background: rgba(255,255,255,.16); border-color: rgba(255,255,255,.5); opacity: 1; font-weight: 600; }
.top-right { margin-left: auto; display: flex; gap: 8px; align-items: center; }
.top-note { font-size: 12px; opacity: .6; }
.panes { flex: 1; display: grid; grid-template-columns: 220px minmax(0, 1fr) minmax(340px, 34%); min-height: 0; }
.sidebar { background: #3f0e40; color: #cfc3cf; padding: 12px 0; overflow: auto; }
.workspace { color: #fff; font-weight: 800; font-size: 17px; padding: 4px 16px 14px;
  border-bottom: 1px solid rgba(255,255,255,.12); margin-bottom: 10px; }
.section-title { font-size: 13px; padding: 4px 16px; opacity: .8; }
.channel { display: block; color: #cfc3cf; padding: 4px 16px; font-size: 15px; }
.channel:hover { background: rgba(0,0,0,.15); text-decoration: none; }
.channel.current { background: #1164a3; color: #fff; font-weight: 600; }
.sidebar-help { font-size: 12.5px; line-height: 1.45; padding: 16px; margin-top: 16px; opacity: .75;
  border-top: 1px solid rgba(255,255,255,.12); }
.slack { display: flex; flex-direction: column; background: #fff; min-height: 0; border-right: 1px solid #ddd; }
.channel-head { padding: 10px 20px; border-bottom: 1px solid #e2e2e2; flex: none; }
.channel-title { font-weight: 800; font-size: 18px; }
.topic { font-size: 13px; color: #616061; }
.feed { flex: 1; overflow-y: auto; min-height: 0; }
#slack-feed { padding: 8px 0 16px; }
.entry { border-bottom: 1px solid #f1f1f1; padding: 6px 0; }
.msg { display: flex; gap: 10px; padding: 6px 20px; }
.msg:hover { background: #f8f8f8; }
.avatar { --hue: 200; width: 36px; height: 36px; border-radius: 6px; flex: none; display: flex; align-items: center;
  justify-content: center; font-weight: 700; font-size: 13px; color: #fff; background: hsl(var(--hue), 45%, 45%); }
.avatar.bot { background: linear-gradient(135deg, #1d2b3a, #2eb67d); }
.avatar.small { width: 24px; height: 24px; font-size: 10px; border-radius: 12px; }
.avatar.round, .avatar.brand { border-radius: 50%; width: 40px; height: 40px; }
.avatar.brand { background: #0f1419; }
.msg-body { min-width: 0; flex: 1; }
.meta { font-size: 15px; } .meta time { color: #616061; font-size: 12px; margin-left: 4px; }
.app { background: #e8e8e8; color: #616061; font-size: 10px; font-weight: 700; padding: 1px 4px; border-radius: 3px;
  margin-left: 6px; vertical-align: 2px; }
.b-section { margin: 2px 0 4px; display: flex; gap: 12px; }
.b-section .b-text { flex: 1; overflow-wrap: anywhere; }
.b-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; }
.b-context { font-size: 12.5px; color: #616061; display: flex; flex-wrap: wrap; gap: 6px; align-items: center;
  margin: 2px 0; }
.b-context .ctx-img { width: 16px; height: 16px; border-radius: 3px; }
.b-actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0 4px; }
.b-header { font-weight: 800; font-size: 17px; margin: 4px 0; }
.b-divider { border: 0; border-top: 1px solid #e2e2e2; margin: 8px 0; }
.b-image img, .file img { max-width: min(520px, 100%); border: 1px solid #e2e2e2; border-radius: 8px; display: block; }
.b-caption, .file figcaption { font-size: 13px; color: #616061; margin-bottom: 4px; }
figure { margin: 6px 0; }
blockquote { margin: 4px 0; padding: 0 0 0 12px; border-left: 4px solid #ddd; color: #1d1c1d; }
code { background: #f6f6f6; border: 1px solid #e2e2e2; border-radius: 3px; padding: 0 3px; color: #e01e5a;
  font-size: 12px; }
pre { background: #f8f8f8; border: 1px solid #e2e2e2; border-radius: 4px; padding: 8px; white-space: pre-wrap; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
.unsupported { color: #999; font-style: italic; }
.file-chip { display: inline-block; border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; margin: 4px 0; }
.btn { font: inherit; font-size: 13px; font-weight: 700; border: 1px solid #bbb; background: #fff; color: #1d1c1d;
  border-radius: 4px; padding: 4px 12px; cursor: pointer; line-height: 20px; display: inline-block; }
.btn:hover { background: #f6f6f6; }
.btn.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.btn.primary:hover { background: #148567; }
.btn.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.btn.disabled { opacity: .5; cursor: default; }
.btn:disabled { opacity: .5; cursor: progress; }
.top-btn { background: #ecb22e; border-color: #ecb22e; color: #350d36; }
form.inline { display: inline; margin: 0; }
select.menu { font: inherit; font-size: 13px; padding: 4px 8px; border: 1px solid #bbb; border-radius: 4px;
  background: #fff; color: #1d1c1d; max-width: 220px; height: 30px; }
.thread { margin: 0 20px 8px 66px; border-left: 2px solid #e2e2e2; padding-left: 0; }
.thread-head { font-size: 12.5px; color: #1264a3; font-weight: 700; padding: 2px 12px; }
.thread .msg { padding: 4px 12px; }
.thread .avatar { width: 28px; height: 28px; font-size: 11px; }
.notice { background: #f4f8fb; }
.notice:hover { background: #eef4f9; }
.only-you { font-size: 12px; color: #616061; margin-left: 6px; }
.notice-cmd { font-family: monospace; font-size: 12px; color: #616061; }
form.reply, form.composer { display: flex; gap: 8px; padding: 6px 12px; }
form.composer { padding: 12px 20px 16px; border-top: 1px solid #e2e2e2; flex: none; }
form.reply input, form.composer input { flex: 1; font: inherit; font-size: 14px; padding: 6px 10px;
  border: 1px solid #cfcfcf; border-radius: 6px; }
form.composer input { padding: 10px 12px; border-radius: 8px; }
form.reply input:focus, form.composer input:focus { outline: none; border-color: #1264a3;
  box-shadow: 0 0 0 2px rgba(18,100,163,.25); }
.empty { color: #616061; padding: 32px 20px; text-align: center; }
.x { display: flex; flex-direction: column; background: #fff; min-height: 0;
  font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, "Noto Color Emoji", sans-serif; color: #0f1419; }
.x-head { display: flex; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid #eff3f4;
  flex: none; }
.x-title { font-weight: 800; font-size: 17px; }
.verified { color: #fff; background: #1d9bf0; border-radius: 50%; font-size: 9px; width: 15px; height: 15px;
  display: inline-flex; align-items: center; justify-content: center; margin-left: 3px; vertical-align: 2px; }
.handle { color: #536471; font-size: 14px; }
.x-compose { padding: 10px 16px; border-bottom: 8px solid #f7f9f9; flex: none; display: flex; flex-direction: column;
  gap: 6px; }
.x-compose .row { display: flex; gap: 6px; align-items: center; }
.x-compose .row.right { justify-content: space-between; }
.x-compose input, .x-compose textarea, .x-reply input { font: inherit; font-size: 14px; padding: 7px 10px;
  border: 1px solid #cfd9de; border-radius: 6px; min-width: 0; flex: 1; }
.x-compose textarea { resize: vertical; font-size: 15px; }
.hint { color: #536471; font-size: 12px; }
.x-btn { background: #0f1419; border-color: #0f1419; color: #fff; border-radius: 18px; padding: 5px 16px; }
.x-btn:hover { background: #272c30; }
.conversation { border-bottom: 1px solid #eff3f4; padding: 4px 0 8px; }
.tweet { display: flex; gap: 10px; padding: 10px 16px 4px; }
.tweet + .tweet { position: relative; }
.tweet.brand { background: #f7fbfe; }
.tweet-body { min-width: 0; flex: 1; }
.tweet-body p { margin: 2px 0 4px; overflow-wrap: anywhere; }
.who b { font-weight: 700; }
.replying { color: #536471; font-size: 13px; }
.x-entity { color: #1d9bf0; }
.net { font-size: 11px; color: #536471; border: 1px solid #cfd9de; border-radius: 4px; padding: 0 4px;
  margin-left: 6px; vertical-align: 1px; }
.net.on-bsky { color: #0085ff; border-color: #8cc4ff; }
.avatar.brand.on-bsky { background: #0085ff; }
.deleted { color: #536471; font-style: italic; }
form.x-reply { display: flex; gap: 6px; padding: 4px 16px 4px 66px; }
form.x-reply .x-btn { font-size: 12px; padding: 3px 12px; }
.toast { position: fixed; bottom: 20px; left: 50%; transform: translateX(-50%); background: #1d1c1d; color: #fff;
  padding: 10px 16px; border-radius: 8px; font-size: 14px; max-width: 70vw; box-shadow: 0 4px 16px rgba(0,0,0,.3);
  display: none; z-index: 10; }
.toast.show { display: block; }
.toast.ok { background: #007a5a; }
.tabs { display: none; }
.msg-body, .tweet-body, .b-field, .b-context > *, blockquote, .b-rich { min-width: 0; overflow-wrap: anywhere; }
.flash { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: #fff3c4; } to { background: transparent; } }
/* A laptop (1024 px): a narrower sidebar, the X pane a third. */
@media (max-width: 1180px) {
  .panes { grid-template-columns: 180px minmax(0, 1fr) minmax(300px, 36%); }
  .top { gap: 14px; }
  .sidebar-help { display: none; }
}
/* A phone: one pane at a time, switched with the tabs; the channels in a strip above the feed. */
@media (max-width: 760px) {
  body { font-size: 14px; }
  .top { height: auto; flex-wrap: wrap; gap: 6px 12px; padding: 6px 10px; }
  .agents .label, .pill { display: none; }
  .top-right { margin-left: 0; }
  .tabs { display: flex; flex: none; background: #fff; border-bottom: 1px solid #ddd; }
  .tab { flex: 1; font: inherit; font-weight: 700; padding: 10px 6px; border: 0; border-bottom: 3px solid transparent;
    background: none; color: #616061; cursor: pointer; }
  .tab.current { color: #1d1c1d; border-bottom-color: #1264a3; }
  .panes { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr); }
  .sidebar { display: flex; gap: 4px; padding: 4px 8px; overflow-x: auto; }
  .workspace, .section-title, .sidebar-help { display: none; }
  .channel { border-radius: 6px; white-space: nowrap; padding: 4px 10px; }
  .slack { border-right: 0; }
  body:not(.show-x) .x { display: none; }
  body.show-x .slack { display: none; }
  .msg { padding: 6px 10px; }
  .thread { margin: 0 8px 8px 24px; }
  .b-fields { grid-template-columns: 1fr; }
  form.x-reply { padding-left: 16px; }
  .x-compose .row { flex-wrap: wrap; }
}
"""

JS = r"""
(() => {
  const body = document.body;
  let stamp = body.dataset.stamp;
  let busy = false;
  const toast = document.getElementById('toast');
  let toastTimer = null;

  function say(text, ok) {
    toast.textContent = text;
    toast.className = 'toast show' + (ok ? ' ok' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.className = 'toast'; }, 5000);
  }

  function swap(id, html, stickToBottom) {
    const el = document.getElementById(id);
    const kept = {};
    el.querySelectorAll('[data-keep]').forEach(i => { kept[i.dataset.keep] = i.value; });
    const active = document.activeElement;
    const focusKey = active && el.contains(active) ? active.dataset.keep : null;
    const caret = focusKey ? [active.selectionStart, active.selectionEnd] : null;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    const top = el.scrollTop;
    el.innerHTML = html;
    el.querySelectorAll('[data-keep]').forEach(i => { if (kept[i.dataset.keep]) i.value = kept[i.dataset.keep]; });
    if (focusKey) {
      const again = el.querySelector('[data-keep="' + CSS.escape(focusKey) + '"]');
      if (again) { again.focus(); if (caret) again.setSelectionRange(caret[0], caret[1]); }
    }
    el.scrollTop = stickToBottom && atBottom ? el.scrollHeight : top;
  }

  async function refresh() {
    const params = new URLSearchParams({agent: body.dataset.agent, channel: body.dataset.channel});
    try {
      const response = await fetch('/fragments?' + params, {cache: 'no-store'});
      const data = await response.json();
      if (data.stamp === stamp) return;
      stamp = data.stamp;
      body.dataset.stamp = stamp;
      swap('slack-feed', data.slack, true);
      swap('x-feed', data.x, false);
    } catch (err) { /* the sandbox stopped or restarts: try again at the next tick */ }
  }

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!form.matches('form[data-async]')) return;
    event.preventDefault();
    const data = new URLSearchParams(new FormData(form));
    const buttons = form.querySelectorAll('button');
    buttons.forEach(b => { b.disabled = true; });
    try {
      const response = await fetch(form.action, {method: 'POST', body: data, headers: {'Accept': 'application/json'}});
      const answer = await response.json();
      if (answer.ok) {
        form.querySelectorAll('[data-clear]').forEach(i => { i.value = i.dataset.clear; });
        if (answer.message) say(answer.message, true);
      } else {
        say(answer.error || 'That did not work.', false);
      }
    } catch (err) {
      say('The sandbox did not answer: is it still running?', false);
    } finally {
      buttons.forEach(b => { b.disabled = false; });
    }
    await refresh();
    setTimeout(refresh, 400);
    setTimeout(refresh, 1200);
  });

  document.addEventListener('change', (event) => {
    if (event.target.matches('select[data-autosubmit]')) event.target.form.requestSubmit();
    if (event.target.matches('select[data-network]')) {  // the brand's handle of the network chosen leads the text
      const text = event.target.form.querySelector('textarea[name=text]');
      const brand = event.target.selectedOptions[0].dataset.brand;
      const typed = [...event.target.options].map(o => o.dataset.brand).find(b => text.value.startsWith(b));
      if (typed !== undefined) text.value = brand + text.value.slice(typed.length);
      text.dataset.clear = brand;
    }
  });

  function pane(name) {
    body.classList.toggle('show-x', name === 'x');
    document.querySelectorAll('.tab').forEach(t => {
      const on = t.dataset.tab === name;
      t.classList.toggle('current', on);
      t.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  function reveal(id) {
    const target = document.getElementById(id);
    if (!target) return false;
    pane(target.closest('.x') ? 'x' : 'slack');
    target.scrollIntoView({block: 'center'});
    target.classList.remove('flash');
    void target.offsetWidth;
    target.classList.add('flash');
    return true;
  }

  document.addEventListener('click', (event) => {
    const tab = event.target.closest('.tab');
    if (tab) { pane(tab.dataset.tab); return; }
    const link = event.target.closest('a[data-pane]');
    const href = link && link.getAttribute('href');
    if (href && href.startsWith('#') && reveal(href.slice(1))) {
      event.preventDefault();
      history.replaceState(null, '', href);
    }
  });

  const feed = document.getElementById('slack-feed');
  if (!(location.hash && reveal(location.hash.slice(1)))) feed.scrollTop = feed.scrollHeight;
  setInterval(() => { if (!document.hidden) refresh(); }, 1500);
})();
"""
