// Parley's resumable uploads (the tus 1.0.0 protocol) for the chat widget
// and the agent composer: a file goes in pieces, each committed by the
// server; when the connection drops, the client asks where the server
// stands (HEAD) and goes on from there, so a screen recording sent from a
// phone on a train arrives whole and no byte is sent twice. No build step.
(function () {
  "use strict";
  function b64(s) {
    var b = new TextEncoder().encode(s), t = "";
    for (var i = 0; i < b.length; i++) t += String.fromCharCode(b[i]);
    return btoa(t);
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // parleyResumable uploads o.file to o.url (where uploads are created)
  // and resolves to its upload_id. o.headers are sent with each request;
  // o.piece is the bytes per PATCH (the server's upload_piece_bytes);
  // o.progress(sent, total) follows each piece; o.retrying(waitMs) is told
  // of each dropped connection before the wait. Eight failures in a row,
  // or an answer that is not about the connection, end it.
  window.parleyResumable = function (o) {
    var f = o.file, piece = o.piece > 0 ? o.piece : 1 << 20;
    var loc = "", at = 0, fails = 0;
    function req(method, url, h, body) {
      var hs = { "Tus-Resumable": "1.0.0" }, k;
      for (k in o.headers || {}) hs[k] = o.headers[k];
      for (k in h || {}) hs[k] = h[k];
      return fetch(url, { method: method, headers: hs, body: body, cache: "no-store", credentials: "same-origin" }).then(function (r) {
        if (r.ok) return r;
        return r.json().catch(function () { return {}; }).then(function (j) {
          var e = new Error((j.error && j.error.message) || ("Something went wrong (" + r.status + ")."));
          e.status = r.status;
          throw e;
        });
      });
    }
    function offset(r) {
      at = Number(r.headers.get("Upload-Offset")) || 0;
      if (o.progress) o.progress(at, f.size);
      return r.headers.get("Parley-Upload-Id");
    }
    // One step: create the upload, send the next piece, or (after a
    // failure) ask where the upload stands. Resolves to the upload_id.
    function step() {
      var go;
      if (!loc) {
        go = req("POST", o.url, { "Upload-Length": String(f.size), "Upload-Metadata": "filename " + b64(f.name || "file") })
          .then(function (r) { loc = r.headers.get("Location"); return ""; });
      } else if (fails) {
        go = req("HEAD", loc).then(offset);
      } else {
        go = req("PATCH", loc, { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(at) }, f.slice(at, at + piece)).then(offset);
      }
      return go.then(function (id) {
        fails = 0;
        return id || step();
      }, function (e) {
        // 409: the server holds another offset (a piece's answer was
        // lost): ask it. Other answers are final; a network error waits.
        if (e.status && e.status !== 409 || ++fails > 8) throw e;
        if (e.status === 409) return step();
        var wait = Math.min(1000 * Math.pow(2, fails - 1), 15000);
        if (o.retrying) o.retrying(wait);
        return sleep(wait).then(step);
      });
    }
    return step();
  };
})();
