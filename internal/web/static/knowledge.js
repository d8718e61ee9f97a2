// Parley: the composer's "Insert article link" picker. Clicking a result
// inserts "Title: URL" into the reply at the cursor (or replaces the
// selection), on its own line when the text around it needs one, and
// attaches the article's clip if it has one.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-kb-insert]");
    if (!b) return;
    ev.preventDefault();
    var ta = document.getElementById("composer-text");
    if (!ta) return;
    var text = b.getAttribute("data-kb-insert");
    var start = ta.selectionStart == null ? ta.value.length : ta.selectionStart;
    var end = ta.selectionEnd == null ? start : ta.selectionEnd;
    var before = ta.value.slice(0, start), after = ta.value.slice(end);
    if (before && !/\s$/.test(before)) text = " " + text;
    if (after && !/^\s/.test(after)) text += " ";
    ta.value = before + text + after;
    var pos = before.length + text.length;
    ta.focus();
    ta.setSelectionRange(pos, pos);
    ta.dispatchEvent(new Event("input", { bubbles: true }));
    // The article's clip goes with its link (tools.js keeps the chip).
    var clip = b.getAttribute("data-kb-clip");
    if (clip && window.parleyAttachStored) window.parleyAttachStored(clip, b.getAttribute("data-kb-clip-name"));
    var d = b.closest("details");
    if (d) d.open = false;
  });
  // Enter in the picker's search box searches; it never sends the reply.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target && ev.target.id === "kb-picker-q") ev.preventDefault();
  });
})();
