// Parley agent inbox: the tools around the list and the composer: bulk
// actions on selected conversations, the chat's look previewed in an
// inbox's settings, typing both ways, and screen recordings and
// screenshots (capture.js, fetched on first use). app.js owns the live
// stream and passes customers' typing here. No build step.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Screen recordings and screenshots (the widget's capture.js) land in
  // the composer's files, to go with the reply or note. capture.js is
  // fetched on the first use, so pages that never record do not carry it.
  var md = navigator.mediaDevices;
  if (md && md.getDisplayMedia) {
    document.documentElement.classList.add("can-shoot");
    if (window.MediaRecorder) document.documentElement.classList.add("can-record");
  }
  // Scripts of the widget's this page fetches only when first needed.
  var loaded = {};
  function load(name) {
    if (!loaded[name]) loaded[name] = new Promise(function (ok, fail) {
      var s = document.createElement("script");
      s.src = "/widget-assets/" + name;
      s.onload = ok;
      s.onerror = function () { delete loaded[name]; fail(new Error(name + " could not be loaded; try again.")); };
      document.head.appendChild(s);
    });
    return loaded[name];
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("#record, #shot, [data-capture]");
    if (!b || window.parleyCaptureLoading) return;
    window.parleyCaptureLoading = true;
    e.preventDefault();
    e.stopImmediatePropagation();
    load("capture.js").then(function () { b.click(); }, function () {
      window.parleyCaptureLoading = false;
      window.parleyToast("Screen capture could not be loaded; try again.");
    });
  }, true);
  // A capture is uploaded at once, in pieces that survive a dropped
  // connection (resumable.js), and goes with the form as the stored
  // file's upload_id: a long recording is not sent again with the form.
  // In the composer the chips gather before the file names; a settings
  // form keeps one clip, in its own .stored-files.
  function chipFor(origin) {
    var form = origin && origin.closest && origin.closest("form");
    var slot = form && $(".stored-files", form);
    var chip = document.createElement("span");
    chip.className = "chip stored-file";
    chip.setAttribute("data-testid", "stored-file");
    if (slot) {
      $all(".stored-file", slot).forEach(function (c) { c.remove(); });
      slot.appendChild(chip);
      return chip;
    }
    var names = $("#file-names");
    if (!names) return null;
    names.parentNode.insertBefore(chip, names);
    return chip;
  }
  function stored(chip, id, name, type) {
    chip.textContent = "📎 " + name + (window.parleyVideoWarning ? window.parleyVideoWarning([{ name: name, type: type || videoType(name) }]) : "") + " ";
    chip.setAttribute("data-upload-id", id);
    [["upload_id", id], ["upload_name", name]].forEach(function (p) {
      var h = document.createElement("input");
      h.type = "hidden"; h.name = p[0]; h.value = p[1];
      chip.appendChild(h);
    });
    var x = document.createElement("button");
    x.type = "button"; x.className = "link-btn small"; x.textContent = "×"; x.setAttribute("aria-label", "Remove " + name);
    x.addEventListener("click", function () { chip.remove(); });
    chip.appendChild(x);
  }
  function videoType(name) {
    var ext = (name.split(".").pop() || "").toLowerCase();
    return { webm: "video/webm", mp4: "video/mp4", mov: "video/quicktime" }[ext] || "";
  }
  // A canned response's or an article's clip, already stored, joins the
  // reply being written (once, however often the response is inserted).
  window.parleyAttachStored = function (id, name) {
    var form = $("#composer");
    if (!id || !form || $all(".stored-file", form).some(function (c) { return c.getAttribute("data-upload-id") === id; })) return;
    var chip = chipFor(null);
    if (chip) stored(chip, id, name || "file");
  };
  window.parleyChat = {
    upload: function (f, origin) {
      var meta = $('meta[name="csrf-token"]');
      var chip = chipFor(origin);
      if (!chip) return Promise.resolve(false);
      chip.textContent = f.name + " …";
      return load("resumable.js").then(function () {
        return window.parleyResumable({
          file: f, url: "/app/uploads/resumable", headers: { "X-CSRF-Token": meta ? meta.content : "" },
          progress: function (sent, total) { if (sent < total) chip.textContent = f.name + " " + Math.floor(100 * sent / total) + "%"; },
          retrying: function () { chip.textContent = f.name + " (reconnecting…)"; }
        });
      }).then(function (id) {
        stored(chip, id, f.name, f.type);
        return true;
      }, function (err) {
        chip.remove();
        window.parleyToast(err.message);
        return false;
      });
    },
    error: function (msg) { if (msg) window.parleyToast(msg); },
    note: function () {},
    maxBytes: function () { var c = $("#composer"); return c ? Number(c.dataset.maxBytes || 0) : 0; }
  };
  // A sent reply takes its stored files with it.
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful && e.detail.elt.id === "composer") $all(".stored-file", e.detail.elt).forEach(function (c) { c.remove(); });
  });
  // A video the reply's channel cannot carry (a WebM recording on
  // WhatsApp) goes as a link to watch it: said before sending.
  window.parleyVideoWarning = function (files) {
    var info = $all(".channel-info").filter(function (el) { return !el.hidden; })[0];
    if (!info || info.dataset.video === undefined) return "";
    var ok = (info.dataset.video || "").split(" ");
    var links = Array.prototype.filter.call(files, function (f) {
      return f.type.indexOf("video/") === 0 && ok.indexOf("*") < 0 && ok.indexOf(f.type) < 0;
    });
    if (!links.length) return "";
    return " · This channel cannot carry " + (links.length > 1 ? "these videos" : "this video") + ": the customer gets a link to watch it (it works for 30 days).";
  };

  // Bulk actions: the selection survives the list's live refreshes (it is
  // kept here and applied to each new list), and the bar shows while
  // anything is selected. An Undo is offered for ten seconds.
  var selected = new Set();
  function bulkBar() {
    var bar = $("#bulk-form");
    if (!bar) return;
    $all("input.row-select").forEach(function (el) { el.checked = selected.has(el.value); });
    bar.hidden = selected.size === 0;
    var all = $("input.js-select-all");
    if (all && selected.size === 0) all.checked = false;
    $(".bulk-count", bar).textContent = selected.size + " selected";
    var act = $("[name=action]", bar).value;
    $(".bulk-priority", bar).hidden = act !== "priority";
    $(".bulk-label", bar).hidden = act !== "label" && act !== "unlabel";
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("input.row-select")) {
      if (t.checked) selected.add(t.value); else selected.delete(t.value);
      bulkBar();
    } else if (t.matches && t.matches("input.js-select-all")) {
      $all("input.row-select").forEach(function (el) { if (t.checked) selected.add(el.value); else selected.delete(el.value); });
      bulkBar();
    } else if (t.matches && t.matches("#bulk-form [name=action]")) bulkBar();
    else if (t.matches && t.matches("select.view-switch")) location.href = t.value;
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest(".js-bulk-clear")) { selected.clear(); bulkBar(); }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var t = e.detail.target;
    if (!t) return;
    if (t.id === "bulk-result") {
      if (t.querySelector("[data-testid=bulk-summary]")) selected.clear();
      var undo = t.querySelector(".js-undo");
      if (undo) setTimeout(function () { undo.remove(); }, 10000);
    }
    bulkBar();
  });

  // The widget's look: the preview follows the form as it is edited.
  function lookPreview() {
    var p = $("[data-testid=look-preview]");
    if (!p) return;
    var f = p.closest("form") || document;
    var color = $("[data-look=color]", f), title = $("[data-look=title]", f), pos = $("[data-look=position]", f), greet = $("[data-look=greeting]", f);
    if (color && /^#[0-9a-fA-F]{6}$/.test(color.value)) p.style.setProperty("--lp", color.value);
    if (title) $(".js-lp-title", p).textContent = title.value.trim() || title.placeholder;
    if (greet && greet.value.trim()) $(".js-lp-greeting", p).textContent = greet.value.trim();
    if (pos) p.classList.toggle("left", pos.value === "left");
  }
  document.addEventListener("input", function (e) { if (e.target.matches && e.target.matches(".js-look")) lookPreview(); });
  document.addEventListener("change", function (e) { if (e.target.matches && e.target.matches(".js-look")) lookPreview(); });

  // Typing, both ways, sparingly: the customer's shows above the composer
  // for six seconds; the agent's is sent at most every four seconds while
  // they write a reply (never a note: the customer must not see that).
  var typingTimer = null;
  window.parleyCustomerTyping = function () {
    var el = $("#customer-typing"), composer = $("#composer");
    if (!el && composer) {
      el = document.createElement("p");
      el.id = "customer-typing"; el.className = "typing muted small"; el.setAttribute("data-testid", "customer-typing");
      el.textContent = "The customer is typing…";
      composer.parentNode.insertBefore(el, composer);
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { var t = $("#customer-typing"); if (t) t.remove(); }, 6000);
  };
  var typedAt = 0;
  document.addEventListener("input", function (e) {
    if (!e.target || e.target.id !== "composer-text") return;
    var form = $("#composer"), note = form && $('input[name="kind"][value="note"]', form);
    var id = window.parleyCurrentConv(), now = Date.now();
    if (!id || (note && note.checked) || !e.target.value.trim() || now - typedAt < 4000) return;
    typedAt = now;
    var csrf = $('meta[name="csrf-token"]');
    fetch("/app/conversations/" + id + "/typing", { method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf ? csrf.content : "", "HX-Request": "true" } }).catch(function () {});
  });

  function init() {
    lookPreview();
    bulkBar();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
