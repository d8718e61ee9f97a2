/* Parley chat widget loader. Include it with
 *   <script src="https://PARLEY/widget.js" data-inbox="ID" async></script>
 * (and, for signed-in users, data-user-id, data-user-hash, data-user-name,
 * data-user-email). It adds a launcher button and opens the chat in an
 * iframe served by Parley, so the page's CSS and JS cannot clash with it.
 * The two talk only through postMessage, each checking the other's origin. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__parleyWidget) return;
  var inbox = script.getAttribute('data-inbox') || '';
  if (!/^[0-9]+$/.test(inbox)) { if (window.console) console.warn('Parley widget: data-inbox is missing'); return; }
  window.__parleyWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var color = script.getAttribute('data-color') || '#2f5bea';
  var user = null;
  if (script.getAttribute('data-user-id') && script.getAttribute('data-user-hash')) {
    user = {
      id: script.getAttribute('data-user-id'), hash: script.getAttribute('data-user-hash'),
      name: script.getAttribute('data-user-name') || '', email: script.getAttribute('data-user-email') || ''
    };
  }
  var open = false, unread = 0, side = 'right';

  // Who the visitor is, for the agent: the page they are on and the ones
  // they came through in this visit (kept in this tab's session storage,
  // never sent anywhere but to the chat), and attributes the host page
  // passes as JSON in data-attributes ({"plan": "pro"}). Query strings are
  // left out: they can carry tokens.
  function here() { return { url: location.origin + location.pathname, title: (document.title || '').slice(0, 200) }; }
  var trail = [];
  try { trail = JSON.parse(sessionStorage.getItem('parley.trail') || '[]'); } catch (e) { trail = []; }
  if (!Array.isArray(trail)) trail = [];
  var page = here();
  if (!trail.length || trail[trail.length - 1].url !== page.url) trail.push(page);
  trail = trail.slice(-10);
  try { sessionStorage.setItem('parley.trail', JSON.stringify(trail)); } catch (e) { /* private mode: this page only */ }
  var attrs = null;
  try { attrs = JSON.parse(script.getAttribute('data-attributes') || 'null'); } catch (e) { attrs = null; }

  // Inline styles marked important, so the host page's rules cannot reach in.
  function css(el, rules) { for (var k in rules) el.style.setProperty(k, rules[k], 'important'); }
  var chatIcon = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.8 3.2 6.4L4.5 21.5l3.9-2.1c1.1.4 2.3.5 3.6.5 5.5 0 10-3.9 10-8.7S17.5 3 12 3z"/></svg>';
  var closeIcon = '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true"><path d="M6 9l6 6 6-6" stroke="currentColor" stroke-width="2.4" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>';

  var root = document.createElement('div');
  root.setAttribute('data-parley-widget', '');
  var button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', 'Open chat');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('data-testid', 'parley-launcher');
  button.innerHTML = chatIcon;
  css(button, {
    position: 'fixed', right: '20px', bottom: '20px', width: '60px', height: '60px', 'border-radius': '50%',
    border: '0', margin: '0', padding: '0', background: color, color: '#fff', cursor: 'pointer', display: 'flex',
    'align-items': 'center', 'justify-content': 'center', 'box-shadow': '0 6px 20px rgba(20,30,60,.28)',
    'z-index': '2147483000', transition: 'transform .15s ease'
  });
  var badge = document.createElement('span');
  badge.setAttribute('data-testid', 'parley-unread');
  badge.setAttribute('aria-hidden', 'true');
  css(badge, {
    position: 'absolute', top: '-4px', right: '-4px', 'min-width': '22px', height: '22px', padding: '0 6px',
    'border-radius': '11px', background: '#e5484d', color: '#fff', font: '600 12px/22px system-ui,sans-serif',
    'text-align': 'center', 'box-sizing': 'border-box', border: '2px solid #fff', display: 'none'
  });
  button.appendChild(badge);

  var frame = document.createElement('iframe');
  // The page's origin tells the chat where to post; Parley believes it
  // only if the inbox allows this site, and the browser refuses to frame
  // the chat on any site the inbox does not allow.
  frame.src = origin + '/widget/' + inbox + '?origin=' + encodeURIComponent(location.origin);
  frame.title = 'Chat with us';
  frame.setAttribute('data-testid', 'parley-frame');
  css(frame, {
    position: 'fixed', border: '0', margin: '0', padding: '0', background: '#fff', 'z-index': '2147483001',
    'color-scheme': 'normal', display: 'none'
  });
  function layout() {
    var phone = window.matchMedia && window.matchMedia('(max-width: 480px)').matches;
    var near = side === 'left' ? 'left' : 'right', far = near === 'left' ? 'right' : 'left';
    var box = { bottom: '92px', top: 'auto', width: '380px', height: 'min(640px, calc(100vh - 112px))', 'border-radius': '16px', 'box-shadow': '0 12px 48px rgba(20,30,60,.25)' };
    box[near] = '20px'; box[far] = 'auto';
    css(frame, phone ? { right: '0', bottom: '0', left: '0', top: '0', width: '100%', height: '100%', 'max-height': 'none', 'border-radius': '0', 'box-shadow': 'none' } : box);
    var b = { display: phone && open ? 'none' : 'flex' };
    b[near] = '20px'; b[far] = 'auto';
    css(button, b);
  }

  function post(msg) { msg.parley = 1; if (frame.contentWindow) frame.contentWindow.postMessage(msg, origin); }
  function setBadge(n) {
    unread = n > 0 ? n : 0;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    css(badge, { display: unread && !open ? 'block' : 'none' });
    button.setAttribute('aria-label', unread ? 'Open chat (' + unread + ' unread)' : (open ? 'Close chat' : 'Open chat'));
  }
  function setOpen(o) {
    open = o;
    css(frame, { display: o ? 'block' : 'none' });
    button.innerHTML = o ? closeIcon : chatIcon;
    button.appendChild(badge);
    button.setAttribute('aria-expanded', String(o));
    setBadge(unread);
    layout();
    post({ type: o ? 'open' : 'closed' });
    if (!o) button.focus();
  }
  button.addEventListener('click', function () { setOpen(!open); });
  window.addEventListener('message', function (e) {
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    var d = e.data;
    if (!d || d.parley !== 1) return;
    if (d.type === 'ready') {
      // The inbox's look: its colour (unless the page set data-color) and side.
      if (!script.getAttribute('data-color') && /^#[0-9a-f]{6}$/.test(d.color || '')) { color = d.color; css(button, { background: color }); }
      if (d.position === 'left') { side = 'left'; layout(); }
      post({ type: 'init', user: user, visit: { page: here(), trail: trail, attributes: attrs } });
      if (open) post({ type: 'open' });
    }
    else if (d.type === 'unread') setBadge(+d.count || 0);
    else if (d.type === 'close') setOpen(false);
  });
  window.addEventListener('resize', layout);
  window.Parley = { open: function () { setOpen(true); }, close: function () { setOpen(false); } };

  function mount() {
    root.appendChild(frame);
    root.appendChild(button);
    document.body.appendChild(root);
    layout();
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
