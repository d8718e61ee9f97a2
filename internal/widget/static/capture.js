/* Parley chat: show, don't write. A customer records their screen (the
 * browser's own screen capture and media recorder, no plug-in) or takes
 * a screenshot and marks it with a box or an arrow, and attaches it to
 * their message. Nothing is uploaded until they choose to attach it. A
 * recording stops by itself at one minute; one too large, or of a kind
 * this browser cannot play back, is refused before upload. A denied
 * permission says so and leaves the rest working. */
(function () {
  'use strict';
  // The page says how to attach a file and show a message (the chat and
  // the agent's composer each in their own way) in window.parleyChat; the
  // buttons and the panel are found when used, so a composer the page
  // swaps in works as well as the first.
  var md = navigator.mediaDevices;
  if (!window.parleyChat || !md || !md.getDisplayMedia) return; // no screen capture here: the buttons stay hidden
  var chat = window.parleyChat;
  function $(id) { return document.getElementById(id); }
  var panel = null;
  var MAX_SECONDS = 60;
  document.documentElement.classList.add(window.MediaRecorder ? 'can-record' : 'can-shoot');
  document.documentElement.classList.add('can-shoot');

  // Sentences come in the chat's language when the page has them
  // (chat.words, by "cap." key); {t}, {max} and {mb} are filled in.
  function say(key, english, vars) {
    var s = chat.words ? chat.words('cap.' + key, english) : english;
    for (var k in vars || {}) s = s.split('{' + k + '}').join(vars[k]);
    return s;
  }
  function clear() { panel.textContent = ''; panel.hidden = true; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function button(text, testid, primary) {
    return el('button', { type: 'button', 'class': primary ? 'capture-btn primary' : 'capture-btn', 'data-testid': testid }, text);
  }
  function denied(err) {
    var msg = err && err.name === 'NotAllowedError'
      ? say('denied', 'Screen sharing was not allowed, so nothing was recorded. You can still write, or attach a file.')
      : say('failed', 'Your screen could not be captured here. You can still write, or attach a file.');
    chat.error(msg);
  }
  function share() { return md.getDisplayMedia({ video: { frameRate: 15 }, audio: false }); }
  function stopAll(stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
  function mmss(s) { s = Math.round(s); return Math.floor(s / 60) + ':' + (s % 60 < 10 ? '0' : '') + (s % 60); }

  // --- a recording: start, stop (or one minute), preview, attach ------
  function kind() {
    var types = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm', 'video/mp4'];
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) return types[i];
    return '';
  }
  // The button that started a capture: its form (a settings form with
  // its own .capture panel) is where the file goes.
  var origin = null;
  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('#record, #shot, [data-capture]') : null;
    if (!t) return;
    e.preventDefault();
    var form = t.closest('form');
    panel = (form && form.querySelector('.capture')) || $('capture');
    if (!panel) return;
    origin = t;
    if (t.id === 'record' || t.getAttribute('data-capture') === 'record') record(); else screenshot();
  });
  function record() {
    chat.error('');
    share().then(function (stream) {
      var type = kind(), chunks = [], started = Date.now();
      var rec = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      panel.textContent = ''; panel.hidden = false;
      var status = el('span', { 'class': 'capture-status', 'data-testid': 'record-status' }, say('recording', 'Recording {t} of {max}', { t: '0:00', max: mmss(MAX_SECONDS) }));
      var stop = button(say('stop', 'Stop'), 'record-stop', true);
      panel.appendChild(status); panel.appendChild(stop);
      var tick = setInterval(function () {
        var s = (Date.now() - started) / 1000;
        status.textContent = say('recording', 'Recording {t} of {max}', { t: mmss(s), max: mmss(MAX_SECONDS) });
        if (s >= MAX_SECONDS && rec.state === 'recording') rec.stop();
      }, 250);
      rec.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      rec.onstop = function () {
        clearInterval(tick); stopAll(stream);
        var base = (rec.mimeType || type || 'video/webm').split(';')[0];
        var blob = new Blob(chunks, { type: base }), seconds = (Date.now() - started) / 1000;
        preview(blob, base, seconds);
      };
      stop.addEventListener('click', function () { if (rec.state === 'recording') rec.stop(); });
      // The customer may end the sharing from the browser's own bar.
      stream.getVideoTracks()[0].addEventListener('ended', function () { if (rec.state === 'recording') rec.stop(); });
      rec.start(1000);
    }).catch(denied);
  }
  function preview(blob, type, seconds) {
    panel.textContent = '';
    var probe = document.createElement('video');
    if (!probe.canPlayType(type)) { clear(); chat.error(say('cantPlay', 'This recording is of a kind this browser cannot play back, so it was not attached.')); return; }
    var max = chat.maxBytes();
    if (max && blob.size > max) { clear(); chat.error(say('tooLarge', 'The recording is too large to send ({mb} MB). Record a shorter one.', { mb: Math.round(blob.size / 1048576) })); return; }
    var url = URL.createObjectURL(blob);
    var v = el('video', { controls: '', 'class': 'capture-preview', 'data-testid': 'record-preview' });
    v.src = url;
    var info = el('span', { 'class': 'capture-status' }, say('yours', 'Your recording, {t}. Attach it to your message?', { t: mmss(seconds) }));
    var attach = button(say('attach', 'Attach'), 'record-attach', true), discard = button(say('discard', 'Discard'), 'record-discard');
    panel.appendChild(v); panel.appendChild(info); panel.appendChild(attach); panel.appendChild(discard);
    discard.addEventListener('click', function () { URL.revokeObjectURL(url); clear(); });
    attach.addEventListener('click', function () {
      var ext = type === 'video/mp4' ? 'mp4' : 'webm';
      chat.upload(new File([blob], 'screen-recording-' + Math.round(seconds) + 's.' + ext, { type: type }), origin).then(function (ok) {
        if (ok) { URL.revokeObjectURL(url); clear(); }
      });
    });
  }

  // --- a screenshot, with a box or an arrow drawn on it ----------------
  function screenshot() {
    chat.error('');
    share().then(function (stream) {
      var v = document.createElement('video');
      v.muted = true; v.srcObject = stream;
      return v.play().then(function () {
        return new Promise(function (res) { requestAnimationFrame(function () { requestAnimationFrame(res); }); });
      }).then(function () {
        var c = document.createElement('canvas');
        c.width = v.videoWidth || 1280; c.height = v.videoHeight || 720;
        c.getContext('2d').drawImage(v, 0, 0, c.width, c.height);
        stopAll(stream);
        annotate(c);
      });
    }).catch(denied);
  }
  function annotate(shot) {
    panel.textContent = ''; panel.hidden = false;
    var c = el('canvas', { 'class': 'capture-canvas', 'data-testid': 'shot-canvas' });
    c.width = shot.width; c.height = shot.height;
    var g = c.getContext('2d'), shapes = [], tool = 'box', drag = null;
    function draw() {
      g.drawImage(shot, 0, 0);
      g.strokeStyle = '#e5484d'; g.fillStyle = '#e5484d'; g.lineWidth = Math.max(3, c.width / 300);
      shapes.concat(drag ? [drag] : []).forEach(function (s) {
        if (s.tool === 'box') { g.strokeRect(s.x0, s.y0, s.x1 - s.x0, s.y1 - s.y0); return; }
        var a = Math.atan2(s.y1 - s.y0, s.x1 - s.x0), h = g.lineWidth * 5;
        g.beginPath(); g.moveTo(s.x0, s.y0); g.lineTo(s.x1, s.y1); g.stroke();
        g.beginPath(); g.moveTo(s.x1, s.y1);
        g.lineTo(s.x1 - h * Math.cos(a - 0.45), s.y1 - h * Math.sin(a - 0.45));
        g.lineTo(s.x1 - h * Math.cos(a + 0.45), s.y1 - h * Math.sin(a + 0.45));
        g.closePath(); g.fill();
      });
    }
    function at(e) {
      var r = c.getBoundingClientRect(), p = e.touches ? e.touches[0] : e;
      return { x: (p.clientX - r.left) * c.width / r.width, y: (p.clientY - r.top) * c.height / r.height };
    }
    function down(e) { var p = at(e); drag = { tool: tool, x0: p.x, y0: p.y, x1: p.x, y1: p.y }; e.preventDefault(); }
    function move(e) { if (!drag) return; var p = at(e); drag.x1 = p.x; drag.y1 = p.y; draw(); e.preventDefault(); }
    function up() { if (drag && (Math.abs(drag.x1 - drag.x0) > 4 || Math.abs(drag.y1 - drag.y0) > 4)) shapes.push(drag); drag = null; draw(); }
    c.addEventListener('mousedown', down); c.addEventListener('mousemove', move); window.addEventListener('mouseup', up);
    c.addEventListener('touchstart', down); c.addEventListener('touchmove', move); c.addEventListener('touchend', up);
    draw();
    var box = button(say('box', 'Box'), 'shot-box'), arrow = button(say('arrow', 'Arrow'), 'shot-arrow'), undo = button(say('undo', 'Undo'), 'shot-undo');
    var attach = button(say('attach', 'Attach'), 'shot-attach', true), discard = button(say('discard', 'Discard'), 'shot-discard');
    box.addEventListener('click', function () { tool = 'box'; });
    arrow.addEventListener('click', function () { tool = 'arrow'; });
    undo.addEventListener('click', function () { shapes.pop(); draw(); });
    discard.addEventListener('click', function () { window.removeEventListener('mouseup', up); clear(); });
    attach.addEventListener('click', function () {
      c.toBlob(function (blob) {
        if (!blob) { chat.error(say('shotFailed', 'The screenshot could not be made.')); return; }
        chat.upload(new File([blob], 'screenshot.png', { type: 'image/png' }), origin).then(function (ok) {
          if (ok) { window.removeEventListener('mouseup', up); clear(); }
        });
      }, 'image/png');
    });
    var tools = el('div', { 'class': 'capture-tools' }, say('mark', 'Mark what matters:') + ' ');
    [box, arrow, undo, attach, discard].forEach(function (b) { tools.appendChild(b); });
    panel.appendChild(c); panel.appendChild(tools);
    window.parleyShot = { shapes: shapes };
  }
})();
