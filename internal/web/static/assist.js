// Parley's assistant in the composer: drafts picked into the reply,
// coaching hints as the agent types, rule-based rewrites, and the
// summary kept fresh as messages arrive. Nothing here sends: the agent
// clicks Send.
(function () {
  "use strict";
  function $(sel, root) { return (root || document).querySelector(sel); }
  var csrfMeta = $('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  function convID() { var c = $("#conv"); return c ? c.dataset.convId : ""; }
  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "HX-Request": "true" } });
  }
  function replyMode() {
    var k = $('#composer input[name="kind"]:checked');
    return !k || k.value === "reply";
  }
  function setText(text) {
    var box = $("#composer-text");
    if (!box) return;
    box.value = text;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  }

  // Coaching: checked a moment after the agent stops typing, and only
  // the newest answer is shown.
  var timer = null, seq = 0;
  function check() {
    var box = $("#composer-text"), out = $("#assist-findings");
    if (!box || !out) return;
    if (!replyMode() || !box.value.trim()) { out.innerHTML = ""; return; }
    var mine = ++seq;
    post("/app/assist/check", { text: box.value, conversation_id: convID() }).then(function (r) {
      return r.ok ? r.text() : "";
    }).then(function (html) {
      if (mine !== seq) return;
      var cur = $("#assist-findings");
      if (cur) cur.outerHTML = html || '<div id="assist-findings" data-testid="findings"></div>';
    }).catch(function () {});
  }
  document.addEventListener("input", function (e) {
    if (!e.target || e.target.id !== "composer-text") return;
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "kind") check();
  });

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!t || !t.closest) return;
    var use = t.closest(".js-use-draft");
    if (use) {
      var art = use.closest(".draft"), panel = use.closest("#assist-drafts");
      setText($(".draft-body", art).value);
      $("#draft-set").value = panel.dataset.set;
      $("#draft-index").value = use.dataset.index;
      panel.querySelectorAll(".draft").forEach(function (d) { d.classList.toggle("picked", d === art); });
      return;
    }
    var apply = t.closest(".js-apply-suggestion");
    if (apply) { setText($(".finding-suggestion", apply.parentNode).value); return; }
    if (t.closest(".js-close-drafts")) {
      var p = $("#assist-drafts");
      if (p) p.outerHTML = '<div id="assist-drafts"></div>';
    }
  });

  document.addEventListener("change", function (e) {
    var sel = e.target;
    if (!sel || sel.id !== "rewrite-select" || !sel.value) return;
    var box = $("#composer-text"), note = $("#rewrite-note");
    var kind = sel.value;
    sel.value = "";
    if (!box || !box.value.trim()) { if (note) note.textContent = "Write something first."; return; }
    post("/app/assist/rewrite", { text: box.value, kind: kind, conversation_id: convID() }).then(function (r) {
      return r.ok ? r.json() : r.text().then(function (t) { throw new Error(t); });
    }).then(function (out) {
      if (out.done) setText(out.text);
      if (note) note.textContent = out.note || (out.done ? "Rewritten (" + out.engine + "): check it before sending." : "");
    }).catch(function (err) { if (note) note.textContent = String(err.message || err); });
  });

  // A sent reply clears what the assistant attached to it.
  document.addEventListener("htmx:afterRequest", function (e) {
    if (!e.detail.successful || e.detail.elt.id !== "composer") return;
    var s = $("#draft-set"), i = $("#draft-index"), f = $("#assist-findings"), d = $("#assist-drafts");
    if (s) s.value = "";
    if (i) i.value = "";
    if (f) f.innerHTML = "";
    if (d) d.outerHTML = '<div id="assist-drafts"></div>';
  });

  // A new message makes a new summary (cached per last message).
  var refresh = null;
  document.addEventListener("parley:event", function (e) {
    var ev = e.detail || {};
    if (!ev.type || ev.type.indexOf("message.created") !== 0 || String(ev.conversation_id) !== convID()) return;
    clearTimeout(refresh);
    refresh = setTimeout(function () {
      var slot = $("#assist-summary");
      // parleyGet (app.js), not htmx.ajax: one request in flight per
      // target, so no other refresh is dropped behind this one.
      if (slot && window.parleyGet) window.parleyGet("/app/conversations/" + convID() + "/summary", "#assist-summary");
    }, 800);
  });
})();
