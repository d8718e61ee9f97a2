// The chat page inside the widget's iframe. Plain JS, no build step. It
// talks to Parley's visitor endpoints and, when framed, to the loader on
// the host page through postMessage only.
(function () {
  'use strict';
  var app = document.getElementById('app');
  // The chat's own words in its language (the page renders them).
  var words = {};
  try { words = JSON.parse(app.getAttribute('data-words') || '{}') || {}; } catch (e) { words = {}; }
  function w(key, english) { return words[key] || english; }
  // The inbox's colour (Settings → the inbox → Look), set through the
  // CSSOM: the page's policy allows no inline style.
  if (/^#[0-9a-f]{6}$/.test(app.getAttribute('data-color') || '')) {
    document.documentElement.style.setProperty('--accent', app.getAttribute('data-color'));
    document.documentElement.style.setProperty('--accent-dark', app.getAttribute('data-color'));
  }
  var inboxId = app.getAttribute('data-inbox');
  var base = '/widget/' + inboxId;
  var framed = window.parent !== window;
  // The host page's origin, checked by the server against the inbox's
  // allowed sites (the browser holds the framing to the same list): the
  // only origin this page posts to or listens to. "*" only when the
  // admin allowed any site; empty: talk to no host page at all.
  var parentOrigin = app.getAttribute('data-parent') || '';
  var storeKey = 'parley.visitor.' + inboxId;
  var $ = function (id) { return document.getElementById(id); };
  var log = $('log'), input = $('input'), composer = $('composer'), fileInput = $('file');
  var emailForm = $('email-form'), errorBox = $('error'), note = $('note'), pending = $('pending');

  var memory = {};
  function load(k) { try { return window.localStorage.getItem(k); } catch (e) { return memory[k] || null; } }
  function save(k, v) { try { window.localStorage.setItem(k, v); } catch (e) { memory[k] = v; } }

  var token = load(storeKey);
  var user = null;         // {id, hash, name, email} from the host page, verified by the server
  var visit = null;        // {page, trail, attributes} from the host page, for the agent
  var isOpen = !framed;
  var started = false, streaming = false, hasEmail = false, wrote = false;
  var cfg = {};
  var shown = {};          // message id → element
  var lastSeq = 0, seenId = 0, maxId = 0, unread = 0;
  var attachments = [];    // uploaded, waiting to be sent: {upload_id, filename}

  // --- talking to the host page -------------------------------------
  function tell(msg) {
    // Only an unread count or a close request goes out; nothing private.
    if (framed && parentOrigin) { msg.parley = 1; window.parent.postMessage(msg, parentOrigin); }
  }
  window.addEventListener('message', function (e) {
    if (!framed || !parentOrigin || e.source !== window.parent) return;
    if (parentOrigin !== '*' && e.origin !== parentOrigin) return;
    var d = e.data;
    if (!d || d.parley !== 1) return;
    if (d.type === 'init') {
      if (d.user && typeof d.user.id === 'string' && typeof d.user.hash === 'string') user = d.user;
      if (d.visit && typeof d.visit === 'object') visit = d.visit;
      start();
    } else if (d.type === 'open') {
      isOpen = true;
      markRead();
      setTimeout(function () { input.focus(); }, 50);
    } else if (d.type === 'closed') {
      isOpen = false;
    }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && framed) tell({ type: 'close' });
  });
  $('close').addEventListener('click', function () { tell({ type: 'close' }); });
  document.addEventListener('visibilitychange', function () { if (isOpen) markRead(); });

  // --- the API ------------------------------------------------------
  var locale = { lang: navigator.language || '', tz: '' };
  try { locale.tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { /* old browser */ }
  function headers(json) {
    // The visitor's language and time zone: promises are written in both.
    var h = { 'X-Parley-Language': locale.lang, 'X-Parley-Time-Zone': locale.tz };
    if (user) { h['X-Parley-User'] = user.id; h['X-Parley-User-Hash'] = user.hash; }
    else if (token) h['Authorization'] = 'Visitor ' + token;
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }
  function api(method, path, body) {
    var raw = body instanceof Blob;
    var opt = { method: method, headers: headers(body !== undefined && !raw), cache: 'no-store' };
    if (raw) opt.body = body; else if (body !== undefined) opt.body = JSON.stringify(body);
    return fetch(base + path, opt).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var err = new Error((j.error && j.error.message) || ('Something went wrong (' + r.status + ').'));
          err.status = r.status;
          throw err;
        }
        return j;
      });
    });
  }
  function ensureSession() {
    if (user || token) return Promise.resolve();
    return api('POST', '/session').then(function (r) { token = r.visitor_token; save(storeKey, token); });
  }
  function randomID() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function showError(msg) { errorBox.textContent = msg; errorBox.hidden = !msg; }
  function showNote(msg) { note.textContent = msg; note.hidden = !msg; }

  // --- rendering ----------------------------------------------------
  var urlRe = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  function linkify(parent, text) {
    var last = 0, m;
    urlRe.lastIndex = 0;
    while ((m = urlRe.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement('a');
      a.href = m[0]; a.textContent = m[0]; a.target = '_blank'; a.rel = 'noopener noreferrer nofollow';
      parent.appendChild(a);
      last = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function size(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB'; }
  function time(iso) {
    var d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  function bubbleFor(m, cls) {
    var row = document.createElement('div');
    row.className = 'msg ' + cls;
    row.setAttribute('data-testid', 'message');
    row.setAttribute('data-direction', m.direction || 'incoming');
    var prev = log.lastElementChild;
    if (cls === 'out' && m.author && !(prev && prev.getAttribute('data-author') === m.author)) {
      var who = document.createElement('div');
      who.className = 'who';
      who.textContent = m.author;
      row.appendChild(who);
    }
    if (m.author) row.setAttribute('data-author', m.author);
    if (m.created_at) row.setAttribute('data-at', m.created_at);
    if (m.automated) row.setAttribute('data-automated', 'true');
    var bubble = document.createElement('div');
    bubble.className = 'bubble';
    // A survey's card asks its own question (and the next one after an
    // answer), so the message's text, the same question, is not repeated.
    if (m.text && !m.survey) linkify(bubble, m.text);
    (m.attachments || []).forEach(function (a) {
      if (/^video\/(webm|mp4|ogg|quicktime)$/.test(a.content_type)) {
        // A recording plays here. Its first frame is the poster (the
        // #t=0.1 fragment makes the browser fetch and show it), and its
        // length is Parley's, read when it was uploaded: a browser's
        // recording does not tell the player until played through.
        var v = document.createElement('video');
        v.controls = true; v.preload = 'metadata'; v.src = a.url + '#t=0.1'; v.className = 'file-video';
        v.setAttribute('data-testid', 'video');
        bubble.appendChild(v);
        if (a.duration_ms > 0) {
          var len = document.createElement('span');
          var s = Math.round(a.duration_ms / 1000);
          len.className = 'file-length'; len.setAttribute('data-testid', 'video-length');
          len.textContent = '▶ ' + Math.floor(s / 60) + ':' + (s % 60 < 10 ? '0' : '') + (s % 60);
          bubble.appendChild(len);
        }
        return;
      }
      var link = document.createElement('a');
      link.href = a.url; link.target = '_blank'; link.rel = 'noopener';
      link.className = 'file';
      if (/^image\/(png|jpeg|gif|webp)$/.test(a.content_type)) {
        var img = document.createElement('img');
        img.src = a.url; img.alt = a.filename; img.loading = 'lazy';
        link.appendChild(img);
      } else {
        link.textContent = '📎 ' + a.filename + ' (' + size(a.size) + ')';
        link.setAttribute('download', a.filename);
      }
      bubble.appendChild(link);
    });
    if (m.survey) bubble.appendChild(surveyCard(m.survey));
    row.appendChild(bubble);
    if (m.created_at) {
      var t = document.createElement('time');
      t.dateTime = m.created_at; t.textContent = time(m.created_at);
      row.appendChild(t);
    }
    return row;
  }
  // --- surveys: effort buttons, then satisfaction, then a comment ------
  function surveyCard(sv) {
    var card = document.createElement('div');
    card.className = 'survey';
    card.setAttribute('data-testid', 'survey');
    function answer(body) {
      body.token = sv.token;
      showError('');
      return ensureSession().then(function () { return api('POST', '/survey', body); }).then(function (r) {
        if (r.survey) sv = r.survey;
        draw();
      }).catch(function (err) { showError(err.message); });
    }
    function scale(q, question, labels) {
      var p = document.createElement('p');
      p.className = 'survey-q'; p.textContent = question;
      card.appendChild(p);
      var row = document.createElement('div');
      row.className = 'survey-scale';
      row.setAttribute('role', 'group'); row.setAttribute('aria-label', question);
      labels.forEach(function (label, i) {
        var b = document.createElement('button');
        b.type = 'button'; b.textContent = String(i + 1); b.title = label;
        b.setAttribute('aria-label', (i + 1) + ' – ' + label);
        b.setAttribute('data-testid', 'survey-' + q + '-' + (i + 1));
        b.addEventListener('click', function () {
          var body = {}; body[q] = i + 1;
          Array.prototype.forEach.call(row.children, function (x) { x.disabled = true; });
          answer(body);
        });
        row.appendChild(b);
      });
      card.appendChild(row);
      var ends = document.createElement('div');
      ends.className = 'survey-ends';
      var lo = document.createElement('span'), hi = document.createElement('span');
      lo.textContent = labels[0]; hi.textContent = labels[4];
      ends.appendChild(lo); ends.appendChild(hi);
      card.appendChild(ends);
    }
    function draw() {
      card.textContent = '';
      if (sv.next === 'ces') return scale('ces', sv.ces_question, sv.ces_labels);
      if (sv.next === 'csat') return scale('csat', sv.csat_question, sv.csat_labels);
      var done = document.createElement('p');
      done.className = 'survey-thanks'; done.textContent = sv.thanks;
      done.setAttribute('data-testid', 'survey-thanks');
      card.appendChild(done);
      if (!sv.comment) return;
      var f = document.createElement('form');
      f.className = 'survey-comment';
      var ta = document.createElement('textarea');
      ta.maxLength = 2000; ta.rows = 2; ta.placeholder = sv.comment_label;
      ta.setAttribute('aria-label', sv.comment_label);
      ta.setAttribute('data-testid', 'survey-comment');
      var b = document.createElement('button');
      b.type = 'submit'; b.textContent = sv.submit;
      b.setAttribute('data-testid', 'survey-comment-send');
      f.appendChild(ta); f.appendChild(b);
      f.addEventListener('submit', function (e) {
        e.preventDefault();
        var text = ta.value.trim();
        if (text) answer({ comment: text });
      });
      card.appendChild(f);
    }
    draw();
    return card;
  }

  function add(m) {
    if (shown[m.id]) return;
    var el = bubbleFor(m, m.direction === 'outgoing' ? 'out' : 'in');
    shown[m.id] = el;
    log.appendChild(el);
    maxId = Math.max(maxId, m.id);
    log.scrollTop = log.scrollHeight;
    if (m.direction === 'outgoing' && m.id > seenId) {
      if (isOpen && document.visibilityState === 'visible') markRead();
      else { unread++; tell({ type: 'unread', count: unread }); }
    }
  }
  var reading = false;
  function markRead() {
    if (!maxId || maxId <= seenId || reading || document.visibilityState !== 'visible') return;
    var id = maxId;
    reading = true;
    api('POST', '/read', { message_id: id }).then(function () {
      seenId = Math.max(seenId, id); unread = 0; tell({ type: 'unread', count: 0 });
    }).catch(function () {}).then(function () { reading = false; if (isOpen && maxId > seenId) markRead(); });
  }

  // --- start, history, live stream ----------------------------------
  function start() {
    if (started) return;
    started = true;
    $('close').hidden = !framed;
    document.body.classList.toggle('standalone', !framed);
    var ready = app.hasAttribute('data-resume') ? resume() : Promise.resolve();
    ready.then(function () {
      api('GET', '/config').then(function (c) {
        cfg = c;
        $('dot').classList.toggle('on', !!c.agents_online);
        if (!c.reply_time_text) $('status').textContent = c.agents_online ? w('online', 'We are online') : w('soon', 'We will reply as soon as we can');
        askEmail();
      }).catch(function () {});
      return history();
    });
  }
  function resume() {
    var t = new URLSearchParams(location.search).get('token') || '';
    window.history.replaceState(null, '', base); // the link's token leaves the address bar
    return api('POST', '/resume', { token: t }).then(function (r) {
      user = null; token = r.visitor_token; save(storeKey, token);
    }).catch(function () {
      showError(w('expired', 'This link has expired, but you can still write to us below.'));
    });
  }
  function history() {
    if (!user && !token) return Promise.resolve();
    return api('GET', '/messages').then(function (h) {
      hasEmail = h.has_email; seenId = h.seen_id; lastSeq = h.seq;
      if (h.agent_seen_at) agentSeenAt = Date.parse(h.agent_seen_at);
      unread = 0;
      h.messages.forEach(function (m) {
        if (m.direction === 'outgoing' && m.id > seenId) unread++;
        if (shown[m.id]) return;
        shown[m.id] = bubbleFor(m, m.direction === 'outgoing' ? 'out' : 'in');
        log.appendChild(shown[m.id]);
        maxId = Math.max(maxId, m.id);
      });
      markSeen();
      log.scrollTop = log.scrollHeight;
      tell({ type: 'unread', count: unread });
      if (h.messages.length) { wrote = true; connect(); askEmail(); }
      if (isOpen) markRead();
    }).catch(function (e) {
      // A stored token the server no longer accepts (one from before
      // tokens were signed, never used): forget it; the next write
      // starts a new session.
      if (e.status === 403 && !user && token) { token = null; save(storeKey, ''); return; }
      if (e.status === 403) showError('We could not verify who you are. Please sign in again.');
    });
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function handle(block) {
    var id = null, name = 'message', data = '';
    block.split('\n').forEach(function (l) {
      if (l.indexOf('id:') === 0) id = l.slice(3).trim();
      else if (l.indexOf('event:') === 0) name = l.slice(6).trim();
      else if (l.indexOf('data:') === 0) data += l.slice(5).trim();
    });
    if (id) lastSeq = Math.max(lastSeq, +id);
    if (name === 'message' && data) { try { add(JSON.parse(data)); var t = document.getElementById('typing'); if (t) t.remove(); } catch (e) {} }
    else if (name === 'typing') showTyping();
    else if (name === 'seen' && data) { try { agentSeenAt = Math.max(agentSeenAt, Date.parse(JSON.parse(data).at)); markSeen(); } catch (e) {} }
  }
  // connect keeps one stream open, reconnecting with Last-Event-ID, so a
  // dropped connection misses nothing. fetch (not EventSource) lets the
  // visitor token travel in a header rather than the URL.
  function connect() {
    if (streaming || !window.ReadableStream) return;
    streaming = true;
    var delay = 1000;
    (async function loop() {
      for (;;) {
        try {
          var h = headers(false);
          if (lastSeq) h['Last-Event-ID'] = String(lastSeq);
          var r = await fetch(base + '/stream', { headers: h, cache: 'no-store' });
          if (r.status === 401 || r.status === 403) { streaming = false; return; }
          if (r.ok && r.body) {
            delay = 1000;
            var reader = r.body.getReader(), dec = new TextDecoder(), buf = '';
            for (;;) {
              var x = await reader.read();
              if (x.done) break;
              buf += dec.decode(x.value, { stream: true }).replace(/\r/g, '');
              var i;
              while ((i = buf.indexOf('\n\n')) >= 0) { handle(buf.slice(0, i)); buf = buf.slice(i + 2); }
            }
          }
        } catch (e) { /* offline: retry below */ }
        await sleep(delay);
        delay = Math.min(delay * 2, 30000);
      }
    })();
  }

  // --- writing --------------------------------------------------------
  function askEmail() {
    emailForm.hidden = !(cfg.ask_email && wrote && !hasEmail && !user);
  }
  function sendBody(body, tries) {
    return api('POST', '/messages', body).catch(function (e) {
      // A network failure may have stored the message: retrying with the
      // same id cannot store it twice.
      if (!e.status && tries > 0) return sleep(1500).then(function () { return sendBody(body, tries - 1); });
      throw e;
    });
  }
  composer.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text && !attachments.length) return;
    showError('');
    var body = { id: randomID(), text: text, attachments: attachments.slice() };
    if (visit) body.visit = visit;
    if (user) { body.name = user.name || ''; body.email = user.email || ''; }
    var temp = bubbleFor({ text: text, attachments: [] }, 'in sending');
    temp.setAttribute('data-testid', 'message-pending');
    log.appendChild(temp);
    log.scrollTop = log.scrollHeight;
    input.value = ''; autosize();
    attachments = []; renderPending();
    ensureSession().then(function () { return sendBody(body, 3); }).then(function (r) {
      temp.remove();
      add(r.message);
      if (!wrote) { wrote = true; askEmail(); }
      connect();
    }).catch(function (err) {
      temp.classList.add('failed');
      showError(err.message || w('notSent', 'Your message could not be sent. Please try again.'));
      input.value = input.value || text; autosize();
    });
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); composer.requestSubmit(); }
  });
  function autosize() { input.style.height = 'auto'; input.style.height = Math.min(input.scrollHeight, 120) + 'px'; }
  input.addEventListener('input', autosize);
  // Typing, both ways, sent sparingly: at most one signal every four
  // seconds while the visitor types (and only once they have written, so
  // there is a conversation to tell); the team's shows for six seconds.
  var typedAt = 0;
  input.addEventListener('input', function () {
    var now = Date.now();
    if (!wrote || !input.value.trim() || now - typedAt < 4000) return;
    typedAt = now;
    api('POST', '/typing').catch(function () {});
  });
  var typingTimer = null;
  function showTyping() {
    var el = document.getElementById('typing');
    if (!el) {
      el = document.createElement('div');
      el.id = 'typing'; el.className = 'typing'; el.setAttribute('data-testid', 'typing');
      el.textContent = w('typing', 'Typing…');
      log.appendChild(el);
      log.scrollTop = log.scrollHeight;
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { el.remove(); }, 6000);
  }
  // "Seen": the visitor's messages a person of the team has opened.
  var agentSeenAt = 0;
  function markSeen() {
    var last = null;
    Array.prototype.forEach.call(log.querySelectorAll('.msg.in[data-at]'), function (el) {
      if (Date.parse(el.getAttribute('data-at')) <= agentSeenAt) last = el;
    });
    var old = log.querySelector('.seen-mark');
    if (old) old.remove();
    if (!last) return;
    var mark = document.createElement('div');
    mark.className = 'seen-mark'; mark.setAttribute('data-testid', 'seen'); mark.textContent = w('seen', 'Seen');
    last.appendChild(mark);
  }

  function renderPending() {
    pending.textContent = '';
    attachments.forEach(function (a, i) {
      var chip = document.createElement('span');
      chip.className = 'chip';
      chip.textContent = '📎 ' + a.filename + ' ';
      var x = document.createElement('button');
      x.type = 'button'; x.textContent = '×'; x.setAttribute('aria-label', 'Remove ' + a.filename);
      x.addEventListener('click', function () { attachments.splice(i, 1); renderPending(); });
      chip.appendChild(x);
      pending.appendChild(chip);
    });
    pending.hidden = !attachments.length;
  }
  // uploadFile uploads a file (or a recording, or a screenshot) and adds
  // it to the message being written.
  function uploadFile(f) {
    if (cfg.max_upload_bytes && f.size > cfg.max_upload_bytes) { showError('That file is larger than ' + size(cfg.max_upload_bytes) + '.'); return Promise.resolve(false); }
    showError(''); showNote(w('uploading', 'Uploading') + ' ' + f.name + '…');
    // In pieces (resumable.js): a dropped connection asks where the
    // upload stands and goes on from there, so nothing is sent twice.
    function put() {
      return window.parleyResumable({
        file: f, url: base + '/uploads/resumable', headers: headers(false), piece: cfg.upload_piece_bytes,
        progress: function (sent, total) {
          if (total > 0 && sent < total) showNote(w('uploading', 'Uploading') + ' ' + f.name + '… ' + Math.floor(100 * sent / total) + '%');
        },
        retrying: function () { showNote(w('dropped', 'The connection dropped; going on with') + ' ' + f.name + '…'); }
      }).then(function (id) { return { upload_id: id }; });
    }
    return ensureSession().then(put).then(function (r) {
      attachments.push({ upload_id: r.upload_id, filename: f.name.slice(0, 255).replace(/[\/\\]/g, '_') });
      renderPending(); showNote('');
      return true;
    }).catch(function (err) { showNote(''); showError(err.message); return false; });
  }
  fileInput.addEventListener('change', function () {
    var f = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    if (f) uploadFile(f);
  });
  // capture.js (screen recordings and screenshots) works through these.
  window.parleyChat = { upload: uploadFile, error: showError, note: showNote, words: w, maxBytes: function () { return cfg.max_upload_bytes || 0; } };

  emailForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var v = $('email').value.trim();
    ensureSession().then(function () { return api('POST', '/email', { email: v }); }).then(function () {
      hasEmail = true; askEmail(); showError('');
      showNote(w('emailThanks', 'Thanks! If you leave, we will email you at') + ' ' + v + '.');
    }).catch(function (err) { showError(err.message); });
  });

  if (framed) {
    tell({ type: 'ready', color: app.getAttribute('data-color') || '', position: app.getAttribute('data-position') || 'right' });
    setTimeout(start, 1500); // no word from the host page: start anonymously
  } else {
    start();
  }
})();
