// Parley agent inbox: CSRF header for htmx, live updates over SSE,
// keyboard shortcuts, the composer's canned responses. No build step.
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var tzOffset = String(new Date().getTimezoneOffset());

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (e) {
    if (csrf) e.detail.headers["X-CSRF-Token"] = csrf;
  });
  function setTZ() { $all(".js-tz").forEach(function (el) { el.value = tzOffset; }); }

  var toastTimer;
  window.parleyToast = function (msg) { toast(msg); };
  function toast(msg) {
    var t = $("#toast");
    if (!t) return;
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 5000);
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.status === 401) { window.location.href = "/login"; return; }
    toast(xhr.responseText || "Something went wrong (" + xhr.status + ").");
  });
  document.addEventListener("htmx:sendError", function () { toast("Parley cannot be reached. Check your connection."); });

  // After a reply is sent, clear the composer (the timeline was swapped).
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (!e.detail.successful) return;
    if (elt.id === "composer") {
      var kind = $('input[name="kind"]:checked', elt);
      var k = kind ? kind.value : "reply";
      elt.reset();
      var again = $('input[name="kind"][value="' + k + '"]', elt);
      if (again) again.checked = true;
      $("#file-names").textContent = "";
      var via = $("#via-select", elt);
      if (via) showChannel(via.options[via.selectedIndex].dataset.inbox);
      $all(".template-select", elt).forEach(function (sel) { if (!sel.disabled) templateChosen(sel); });
      updateComposerMode();
    }
    var menu = elt.closest && elt.closest("details.menu");
    if (menu) menu.open = false;
  });
  // Times are rendered in UTC on the server (it does not know the agent's
  // zone); the browser shows them in the agent's own.
  var localFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  function localizeTimes(root) {
    $all("time.js-local[datetime]", root).forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.title = el.textContent; el.textContent = localFormat.format(d); }
    });
  }
  localizeTimes(document);
  // An empty time zone field (business hours) starts at the browser's own.
  $all("input.js-tz-default", document).forEach(function (el) {
    if (!el.value) {
      try { el.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (err) { /* left empty */ }
    }
  });
  document.addEventListener("htmx:afterSwap", function (e) { localizeTimes(e.target); });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "timeline") scrollTimeline(true);
    setTZ();
  });
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "timeline") {
      var t = $("#timeline");
      stickToBottom = !t || t.scrollHeight - t.scrollTop - t.clientHeight < 80;
    }
  });
  var stickToBottom = true;
  // Images load after the swap; keep the newest message in view.
  document.addEventListener("load", function (e) {
    if (e.target.tagName === "IMG" && e.target.closest("#timeline")) scrollTimeline(true);
  }, true);
  document.addEventListener("scroll", function (e) {
    if (e.target.id === "timeline") {
      var t = e.target;
      stickToBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 80;
    }
  }, true);
  function scrollTimeline(onlyIfStuck) {
    var t = $("#timeline");
    if (t && (!onlyIfStuck || stickToBottom)) t.scrollTop = t.scrollHeight;
  }

  // ---- Composer: reply / note, canned responses, files ----
  function updateComposerMode() {
    var form = $("#composer");
    if (!form) return;
    var note = $('input[name="kind"][value="note"]', form);
    var isNote = note && note.checked;
    form.classList.toggle("is-note", !!isNote);
    var ta = $("#composer-text");
    if (ta) ta.placeholder = isNote ? "Write an internal note — only your team sees it" : "Write a reply… type / for canned responses";
    var send = $("#send");
    if (send) send.textContent = isNote ? "Add note" : "Send";
  }
  function insertText(ta, text, from, to) {
    var start = from === undefined ? ta.selectionStart : from;
    var end = to === undefined ? ta.selectionEnd : to;
    ta.value = ta.value.slice(0, start) + text + ta.value.slice(end);
    ta.selectionStart = ta.selectionEnd = start + text.length;
    ta.focus();
  }
  function cannedOptions() {
    return $all("#canned-select option").filter(function (o) { return o.value; });
  }
  var suggestIndex = 0;
  function slashMatch(ta) {
    var before = ta.value.slice(0, ta.selectionStart);
    var m = /(^|\s)\/([\w-]*)$/.exec(before);
    if (!m) return null;
    return { word: m[2].toLowerCase(), from: before.length - m[2].length - 1, to: ta.selectionStart };
  }
  function renderSuggest() {
    var ta = $("#composer-text"), box = $("#canned-suggest");
    if (!ta || !box) return;
    var m = slashMatch(ta);
    var opts = m ? cannedOptions().filter(function (o) { return o.dataset.shortcut.indexOf(m.word) === 0; }) : [];
    box.textContent = "";
    if (!opts.length) { box.hidden = true; return; }
    suggestIndex = Math.min(suggestIndex, opts.length - 1);
    opts.forEach(function (o, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "suggest-item" + (i === suggestIndex ? " active" : "");
      b.setAttribute("role", "option");
      b.dataset.testid = "canned-suggestion";
      b.textContent = o.textContent;
      b.addEventListener("mousedown", function (ev) { ev.preventDefault(); applySuggestion(o); });
      box.appendChild(b);
    });
    box.hidden = false;
  }
  // A canned response's clip joins the reply (tools.js keeps the chip).
  function attachClip(o) {
    if (o && o.dataset.clip && window.parleyAttachStored) window.parleyAttachStored(o.dataset.clip, o.dataset.clipName);
  }
  function applySuggestion(o) {
    var ta = $("#composer-text");
    var m = slashMatch(ta);
    if (m) insertText(ta, o.value, m.from, m.to);
    $("#canned-suggest").hidden = true;
    attachClip(o);
  }
  document.addEventListener("input", function (e) {
    if (e.target.id === "composer-text") { suggestIndex = 0; renderSuggest(); }
  });
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.id === "canned-select" && t.value) {
      insertText($("#composer-text"), t.value);
      attachClip(t.options[t.selectedIndex]);
      t.value = "";
    } else if (t.name === "kind") {
      updateComposerMode();
    } else if (t.type === "file" && t.name === "files") {
      $("#file-names").textContent = Array.prototype.map.call(t.files, function (f) { return f.name; }).join(", ") +
        (window.parleyVideoWarning ? window.parleyVideoWarning(t.files) : "");
    }
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t.id !== "composer-text") return;
    var box = $("#canned-suggest");
    if (box && !box.hidden) {
      var items = $all(".suggest-item", box);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        suggestIndex = (suggestIndex + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        renderSuggest();
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        var m = slashMatch(t);
        var opts = cannedOptions().filter(function (o) { return m && o.dataset.shortcut.indexOf(m.word) === 0; });
        if (opts[suggestIndex]) applySuggestion(opts[suggestIndex]);
        return;
      }
      if (e.key === "Escape") { box.hidden = true; return; }
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      $("#composer").requestSubmit();
    }
  }, true);

  // ---- Keyboard shortcuts ----
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }
  function toggleHelp(show) {
    var h = $("#help");
    if (!h) return;
    h.hidden = show === undefined ? !h.hidden : !show;
    if (!h.hidden) { var b = $("button", h); if (b) b.focus(); }
  }
  function move(step) {
    var rows = $all("#rows .row");
    if (!rows.length) return;
    var i = rows.findIndex(function (r) { return r.classList.contains("active"); });
    var next = i < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, i + step));
    if (next === i) return;
    var a = $("a.row-link", rows[next]);
    if (a) window.location.href = a.href;
  }
  function focusComposer(kind) {
    var r = $('#composer input[name="kind"][value="' + kind + '"]');
    if (!r) return;
    r.checked = true;
    updateComposerMode();
    $("#composer-text").focus();
  }
  function clickKey(k) { var b = $('[data-key="' + k + '"]'); if (b) b.click(); }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      toggleHelp(false);
      $all("details.menu[open]").forEach(function (d) { d.open = false; });
      if (typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (typing(e.target)) return;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "r": focusComposer("reply"); break;
      case "n": focusComposer("note"); break;
      case "e": clickKey("e"); break;
      case "a": clickKey("a"); break;
      case "s": var d = $("#snooze-menu"); if (d) { d.open = true; var f = $("button", d); if (f) f.focus(); } break;
      case "/": var s = $("#search"); if (s) { s.focus(); s.select(); } break;
      case "?": toggleHelp(); break;
      default: return;
    }
    e.preventDefault();
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("[data-action]");
    if (!a) {
      if (e.target.id === "help") toggleHelp(false);
      return;
    }
    if (a.dataset.action === "help") toggleHelp();
    if (a.dataset.action === "close-help") toggleHelp(false);
    // A reply sent back by an approver: its text goes back into the
    // composer, as a reply, for the agent to edit.
    if (a.dataset.action === "restore-draft") {
      var box = $("#composer-text");
      var mode = $('input[name="kind"][value="reply"]');
      if (mode) mode.checked = true;
      if (box) { box.value = a.dataset.text || ""; box.focus(); }
      updateComposerMode();
    }
  });

  // ---- Live updates ----
  var app = $("#app");
  function viewQuery() { return app ? app.dataset.view : ""; }
  function currentConv() { return app && app.dataset.conv ? Number(app.dataset.conv) : 0; }
  window.parleyCurrentConv = currentConv;
  // throttle runs fn at most every ms, and once more after the last call.
  // Live refreshes use it rather than a debounce: a debounce restarts its
  // wait on every event, so a busy minute (one event every 100 ms across
  // the deployment) never let the list refresh at all
  // (docs/SCALING.md, scripts/scaling/refreshsim).
  function throttle(fn, ms) {
    var last = 0, timer = null;
    return function () {
      var wait = last + ms - Date.now();
      if (timer) return;
      timer = setTimeout(function () { timer = null; last = Date.now(); fn(); }, Math.max(0, wait));
    };
  }
  // get loads url into target. htmx.ajax without a source element syncs
  // every such request on document.body, and htmx keeps only the newest
  // request queued behind the one in flight: on a slow network a timeline
  // refresh queued behind a sidebar refresh was dropped when a list refresh
  // queued after it, and the events stayed unshown until the next one. So
  // each key (by default the target) has its own source element and at most
  // one request in flight; a call made meanwhile runs when that one ends
  // (only the newest such call: each refresh renders the whole current
  // state). The promise settles once a request made after the call is done.
  var loads = {};
  function get(url, target, swap, key) {
    if (!$(target) || !window.htmx) return Promise.resolve();
    key = key || target;
    var l = loads[key];
    if (!l) {
      l = loads[key] = { source: document.createElement("span") };
      l.source.hidden = true;
      document.body.appendChild(l.source);
    }
    // A request that never settles (an error thrown while swapping) must
    // not stop this target's updates for good.
    if (l.busy && Date.now() - l.since < 15000) {
      l.next = function () { return get(url, target, swap, key); };
      return l.busy;
    }
    l.since = Date.now();
    var chain = htmx.ajax("GET", url, { source: l.source, target: target, swap: swap || "outerHTML" }).then(after, after);
    l.busy = chain;
    function after() {
      if (l.busy !== chain) return;
      l.busy = null;
      var next = l.next;
      l.next = null;
      return next && next();
    }
    return chain;
  }
  window.parleyGet = get;
  // The list and the views' counts come in one request: a new message
  // costs the browser one fragment. Counts ride along at most every three
  // seconds (they are the dearer query); one due meanwhile is fetched when
  // the three seconds are up.
  var countsDue = false, countsAt = 0, countsTimer = null;
  function refreshCounts() { countsDue = true; refreshList(); }
  var refreshList = throttle(function () {
    var q = viewQuery();
    var sel = currentConv();
    var withCounts = countsDue && Date.now() - countsAt >= 3000;
    if (withCounts) {
      countsDue = false;
      countsAt = Date.now();
    } else if (countsDue && !countsTimer) {
      countsTimer = setTimeout(function () { countsTimer = null; refreshList(); }, 3000 - (Date.now() - countsAt));
    }
    var url = "/app/list?" + q + (sel ? (q ? "&" : "") + "selected=" + sel : "");
    if (withCounts) url += (url.slice(-1) === "?" ? "" : "&") + "counts=1";
    get(url, "#rows", "innerHTML");
  }, 1000);
  var refreshTimeline = throttle(function () {
    var id = currentConv();
    if (id) get("/app/conversations/" + id + "/timeline?" + viewQuery(), "#timeline");
  }, 250);
  var refreshMeta = throttle(function () {
    var id = currentConv();
    if (!id) return;
    var active = document.activeElement;
    var busy = (active && (active.closest("#meta") || active.closest("#contact")) && typing(active)) || $("#snooze-menu[open]");
    if (busy) { refreshMeta(); return; }
    get("/app/conversations/" + id + "/meta?" + viewQuery(), "#meta");
  }, 500);

  // An action whose button was replaced while its request was in flight
  // (a live refresh re-rendered the header just after the click) is
  // answered on an element no longer in the page: htmx's swap and the
  // "changed" signal it raises there reach nobody. The action happened,
  // so the page refreshes what actions change, header included.
  document.addEventListener("htmx:beforeSend", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr;
    if (!elt || !xhr || (e.detail.requestConfig && e.detail.requestConfig.verb === "get")) return;
    // Checked when the answer starts to arrive, before htmx swaps
    // anything: a form that replaces itself with its answer is not lost.
    var lost = false;
    xhr.addEventListener("readystatechange", function () {
      if (xhr.readyState === 2) lost = !elt.isConnected;
    });
    xhr.addEventListener("loadend", function () {
      if (!lost || xhr.status < 200 || xhr.status >= 300) return;
      document.dispatchEvent(new CustomEvent("parley:changed"));
      refreshMeta();
    });
  });
  // An action answered (resolve, snooze, assign…): what it changed shows
  // everywhere on the page at once, stream or no stream.
  document.addEventListener("parley:changed", function () {
    refreshList();
    refreshCounts();
    refreshTimeline();
  });
  function onEvent(e) {
    var ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    var type = ev.type || e.type;
    var mine = ev.conversation_id && ev.conversation_id === currentConv();
    // A customer typing is shown where they write, and changes nothing else.
    if (type === "conversation.typing") {
      if (mine && ev.data && ev.data.who === "customer" && window.parleyCustomerTyping) window.parleyCustomerTyping();
      return;
    }
    var convEvent = type.indexOf("conversation.") === 0 || type.indexOf("sla.") === 0;
    if (type.indexOf("message.") === 0 || convEvent) {
      refreshList();
      refreshCounts();
    }
    // A reply's email notice failing (or retried) shows under the reply.
    if (mine && (type.indexOf("message.") === 0 || type === "notification.email")) refreshTimeline();
    // A held reply's banner (waiting, approved, sent back) is on the timeline.
    if (mine && type.indexOf("approval.") === 0) refreshTimeline();
    // What a workflow did on this conversation is a line of the timeline.
    if (mine && type === "flow.step") refreshTimeline();
    if (mine && convEvent) refreshMeta();
    // Assignments, team moves and status changes are lines of the timeline.
    if (mine && (type === "conversation.status" || type === "conversation.assigned" || type === "conversation.team")) refreshTimeline();
    // routing.js (availability, urgent alerts) listens for these.
    document.dispatchEvent(new CustomEvent("parley:event", { detail: ev }));
    if (type.indexOf("contact.") === 0 && currentConv()) { refreshMeta(); refreshTimeline(); }
    if (app) app.dataset.lastSeq = String(ev.seq || e.lastEventId || app.dataset.lastSeq);
  }
  var eventTypes = ["message.created", "message.delivery", "message.updated", "conversation.created", "conversation.status",
    "conversation.priority", "conversation.assigned", "conversation.team", "conversation.labels",
    "contact.created", "contact.updated", "contact.merged", "contact.unmerged",
    "conversation.queued", "conversation.promise", "sla.warning", "sla.breached", "agent.availability", "notification.email",
    "approval.requested", "approval.approved", "approval.rejected", "approval.cancelled", "flow.step", "conversation.typing"];
  function connect() {
    if (!app || !window.EventSource) return;
    // The first connection starts at the page's seq, so nothing committed
    // between render and connect is lost; reconnects send Last-Event-ID.
    var es = new EventSource("/app/events?after=" + encodeURIComponent(app.dataset.lastSeq || "0"));
    eventTypes.forEach(function (t) { es.addEventListener(t, onEvent); });
    es.addEventListener("open", function () { document.body.classList.remove("offline"); });
    es.addEventListener("error", function () {
      document.body.classList.add("offline");
      if (es.readyState === EventSource.CLOSED) {
        // The server refused (signed out, or restarting): try again with
        // the last seq we applied.
        setTimeout(connect, 3000);
      }
    });
    window.parleyStream = es;
  }

  // SMS segments, by the rules of internal/channel/sms (GSM 03.38: 160
  // septets in one part, 153 per part when concatenated, extension
  // characters count 2; otherwise UCS-2: 70 and 67 UTF-16 units, a
  // surrogate pair never split). A browser test checks it against Go.
  var gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var gsmExt = "\f^{}\\[~]|€";
  function smsInfo(text) {
    var chars = Array.from(text), gsm = true;
    chars.forEach(function (c) { if (gsmBasic.indexOf(c) < 0 && gsmExt.indexOf(c) < 0) gsm = false; });
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    var width = function (c) {
      if (gsm) return gsmExt.indexOf(c) >= 0 ? 2 : 1;
      return c.codePointAt(0) > 0xffff ? 2 : 1;
    };
    var units = 0;
    chars.forEach(function (c) { units += width(c); });
    var info = { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: 0, perSegment: single };
    if (units === 0) return info;
    if (units <= single) { info.segments = 1; return info; }
    info.perSegment = part;
    var used = 0, segs = 1;
    chars.forEach(function (c) {
      var w = width(c);
      if (used + w > part) { segs++; used = 0; }
      used += w;
    });
    info.segments = segs;
    return info;
  }
  window.parleySMS = smsInfo;

  function activeChannel() {
    var infos = $all(".channel-info");
    for (var i = 0; i < infos.length; i++) if (!infos[i].hidden) return infos[i];
    return null;
  }
  function updateMeter() {
    var meter = $(".sms-meter"), box = $("#composer-text"), ch = activeChannel();
    if (!meter || !box) return;
    var tpl = ch && $(".template-select", ch);
    if (!ch || ch.dataset.channel !== "sms" || (tpl && tpl.value)) { meter.hidden = true; return; }
    var info = smsInfo(box.value), price = parseFloat(ch.dataset.price || "0");
    var text = info.segments + (info.segments === 1 ? " segment" : " segments") + " · " + info.encoding + " · " +
      info.units + "/" + (info.segments > 1 ? info.segments * info.perSegment : info.perSegment);
    if (price > 0 && info.segments > 0) text += " · ≈ " + (info.segments * price).toFixed(4) + " " + (ch.dataset.currency || "");
    meter.textContent = text;
    meter.hidden = false;
  }
  function showChannel(inboxID) {
    $all(".channel-info").forEach(function (el) {
      var on = el.dataset.inbox === inboxID;
      el.hidden = !on;
      $all("select, input", el).forEach(function (c) { c.disabled = !on; });
    });
    updateMeter();
  }
  function templateChosen(sel) {
    var holder = sel.parentNode.querySelector(".template-params"), box = $("#composer-text");
    holder.textContent = "";
    var opt = sel.options[sel.selectedIndex], n = parseInt((opt && opt.dataset.params) || "0", 10);
    for (var i = 1; i <= n; i++) {
      var input = document.createElement("input");
      input.name = "template_param";
      input.required = true;
      input.placeholder = "{{" + i + "}}";
      input.setAttribute("aria-label", "Template value " + i);
      input.dataset.testid = "template-param";
      holder.appendChild(input);
    }
    if (box) {
      box.disabled = !!sel.value;
      box.placeholder = sel.value ? "Template: " + opt.dataset.body : "Write a reply… type / for canned responses";
    }
    updateMeter();
  }
  document.addEventListener("change", function (e) {
    if (e.target.id === "via-select") {
      var opt = e.target.options[e.target.selectedIndex];
      showChannel(opt.dataset.inbox);
    } else if (e.target.classList.contains("template-select")) {
      templateChosen(e.target);
    }
  });
  document.addEventListener("input", function (e) { if (e.target.id === "composer-text") updateMeter(); });
  function tickCountdowns() {
    $all(".js-countdown").forEach(function (el) {
      var left = new Date(el.dataset.until).getTime() - Date.now();
      if (left <= 0) { el.textContent = "now"; el.closest(".window").classList.add("closed"); return; }
      var m = Math.floor(left / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
      el.textContent = d >= 2 ? d + "d " + (h % 24) + "h" : h >= 1 ? h + "h " + (m % 60) + "m" : m >= 1 ? m + "m" : "under a minute";
    });
  }
  setInterval(tickCountdowns, 30000);

  // Reports read hours of day and days in a time zone: without one in
  // the address, use the browser's, so "10:00" means ten in the reader's
  // morning. An explicit tz (a shared link, the form) is kept as it is.
  function reportZone() {
    if (!$("[data-testid=report-form]") || new URLSearchParams(location.search).has("tz")) return;
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    if (!zone || zone === "UTC" || zone === "Etc/UTC") return;
    var u = new URL(location.href);
    u.searchParams.set("tz", zone);
    location.replace(u.toString());
  }

  function init() {
    reportZone();
    updateMeter();
    setTZ();
    updateComposerMode();
    scrollTimeline(false);
    connect();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
