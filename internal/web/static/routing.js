// Parley agent inbox: the agent's availability, urgent alerts and live SLA
// badges. app.js owns the live stream and passes each event on as a
// "parley:event" DOM event. No build step.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  var form = $("#availability");
  var me = form ? Number(form.dataset.me) : 0;
  function online() { var sel = $("#availability-select"); return !!sel && sel.value === "online"; }

  // An admin (or the idle timer) changed this agent's availability: show
  // it without a reload.
  function showAvailability(to) {
    var dot = $("#availability .avail-dot"), sel = $("#availability-select");
    if (!dot || !sel || !to) return;
    sel.value = to;
    dot.className = "avail-dot avail-" + to;
  }

  // alerted remembers which conversations were announced (and when), so
  // the events of one message make one toast.
  var alerted = {};
  function alertUrgent(convID, rules) {
    if (!convID || !online() || !window.parleyGet || !$("#alerts")) return;
    var now = Date.now();
    if (alerted[convID] && now - alerted[convID] < 10 * 60000) return;
    alerted[convID] = now;
    var q = (rules || []).slice(0, 10).map(function (r) { return "rule=" + encodeURIComponent(r); }).join("&");
    // The server renders the toast (the contact's name, escaped) or
    // answers 204 when the conversation is not urgent, or this agent not
    // online.
    // parleyGet (app.js), not htmx.ajax alone: htmx would let a later
    // request queued on the page drop this one. One key per conversation,
    // so two urgent conversations at once both alert.
    window.parleyGet("/app/conversations/" + convID + "/alert" + (q ? "?" + q : ""), "#alerts", "afterbegin", "alert:" + convID).then(function () {
      var t = $('#alerts .alert-toast[data-conv="' + convID + '"]');
      if (t) setTimeout(function () { t.remove(); }, 30000);
      else delete alerted[convID]; // not urgent after all: a later raise may alert
    });
  }

  document.addEventListener("parley:event", function (e) {
    var ev = e.detail || {}, data = ev.data || {};
    if (ev.type === "conversation.priority" && data.to === "urgent") alertUrgent(ev.conversation_id, data.rules);
    // Only a conversation that continues an earlier one can start out
    // urgent (it keeps that one's priority); triage of a new one sends
    // conversation.priority. The delay lets such a priority event of the
    // same message, which arrives in the same batch, alert first with its
    // rule names.
    if (ev.type === "conversation.created" && data.previous_id) {
      setTimeout(function () { alertUrgent(ev.conversation_id, []); }, 200);
    }
    if (ev.type === "agent.availability" && me && ev.agent_id === me) showAvailability(data.to);
  });

  // Attention: unread conversations count in the tab's title; a
  // customer's new message in a conversation that is mine or nobody's
  // (and an urgent one, always) notifies, with a sound and a desktop
  // notification if the agent asked for them in this browser. Nothing
  // for what the agent did themselves: only customers' messages count.
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  function titleCount() {
    var n = $all("#rows .row.unread").length;
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }
  function setting(key) { try { return localStorage.getItem("parley.notify." + key) === "1"; } catch (e) { return false; } }
  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext, ctx = new Ctx(), o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.05; o.connect(g); g.connect(ctx.destination);
      o.start(); o.stop(ctx.currentTime + 0.15);
    } catch (e) { /* no audio: the marker and the title still say it */ }
  }
  window.parleyNotices = [];
  function notify(ev, data) {
    var current = document.getElementById("app");
    var viewing = current && Number(current.dataset.conv) === ev.conversation_id && document.hasFocus();
    if (viewing) return;
    var urgent = data.priority === "urgent";
    var notice = { conversation_id: ev.conversation_id, urgent: urgent };
    window.parleyNotices.push(notice);
    document.dispatchEvent(new CustomEvent("parley:notify", { detail: notice }));
    if (setting("sound")) beep();
    if (setting("desktop") && window.Notification && Notification.permission === "granted") {
      try {
        var n = new Notification(urgent ? "Urgent: a customer wrote" : "A customer wrote", { body: "Conversation #" + ev.conversation_id, tag: "parley-" + ev.conversation_id });
        n.onclick = function () { window.focus(); location.href = "/app/conversations/" + ev.conversation_id; };
      } catch (e) { /* the page's own markers still say it */ }
    }
  }
  document.addEventListener("parley:event", function (e) {
    var ev = e.detail || {}, data = ev.data || {};
    if (ev.type !== "message.created" || data.direction !== "incoming") return;
    if (data.priority === "urgent" || !data.assignee_id || data.assignee_id === me) notify(ev, data);
  });
  document.addEventListener("htmx:afterSwap", titleCount);
  titleCount();
  $all("input.js-notify").forEach(function (el) { el.checked = setting(el.dataset.key); });
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (!el.matches || !el.matches("input.js-notify")) return;
    try { localStorage.setItem("parley.notify." + el.dataset.key, el.checked ? "1" : "0"); } catch (err) { /* private mode */ }
    var note = $(".js-notify-note");
    if (el.dataset.key !== "desktop" || !el.checked || !note) return;
    if (!window.Notification) { note.hidden = false; note.textContent = "This browser has no desktop notifications; the markers and the title still show new messages."; return; }
    Notification.requestPermission().then(function (p) {
      if (p !== "granted") { note.hidden = false; note.textContent = "The browser blocks notifications for Parley (you can allow them in its site settings); the markers, the title and the sound still work."; }
    });
  });

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest('[data-action="dismiss-alert"]');
    if (!b) return;
    var t = b.closest(".alert-toast");
    if (t) t.remove();
  });

  // SLA badges count down from the database clock they were rendered at
  // (data-now) plus the time since they arrived, so a browser clock that
  // is off does not move them.
  function stamp() {
    var t0 = String(Date.now());
    $all(".js-sla:not([data-t0])").forEach(function (el) { el.dataset.t0 = t0; });
  }
  function short(ms) {
    var m = Math.floor(ms / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
    return d >= 2 ? d + "d " + (h % 24) + "h" : h >= 1 ? h + "h " + (m % 60) + "m" : m >= 1 ? m + "m" : "<1m";
  }
  function tick() {
    stamp();
    $all(".js-sla").forEach(function (el) {
      var now = new Date(el.dataset.now).getTime() + (Date.now() - Number(el.dataset.t0));
      var left = new Date(el.dataset.due).getTime() - now;
      if (isNaN(left)) return;
      if (left > 0) { el.textContent = "due in " + short(left); return; }
      el.textContent = "overdue " + short(-left);
      el.classList.remove("sla-ok", "sla-warning");
      el.classList.add("sla-breached");
    });
  }
  document.addEventListener("htmx:afterSwap", stamp);
  setInterval(tick, 30000);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", stamp);
  else stamp();
})();
