/*! Community feedback widget loader.
 *
 * <script src="https://COLLECTOR/widget.js" data-form="community-safety" async></script>
 *
 * or, pinned to one build and checked (the snippet with its hash is in
 * https://COLLECTOR/widget-manifest.json: pinned_loader, pinned_loader_integrity):
 * <script src="https://COLLECTOR/assets/loader-HASH.js" integrity="sha256-…"
 *   crossorigin="anonymous" data-form="community-safety" async></script>
 *
 * Options (data-*): form (required), lang, location, channel (default
 * "embed"), target (a CSS selector to render into instead of right after
 * the tag), replace (a CSS selector of server-rendered content to hide once
 * the widget shows), definition (a CSS selector of a JSON script element
 * holding the form, so it need not be fetched), layout ("page": every
 * question on one page, as the hosted page's HTML form has them),
 * submission-id (that form's), view-counted ("1" when the page counted its
 * own view, as the hosted page does: the widget's is not sent). With
 * `replace`, the widget is rendered out of sight and then, in one go, takes
 * the answers, focus, caret and scroll position from the page's form and
 * shows in its place: nothing moves and
 * nothing the person did is lost. The widget lives in a shadow root, so the page's CSS
 * and the widget's never meet. The wasm is fetched only when the widget is
 * about to scroll into view. scripts/build-widget.sh fills in the asset
 * names below.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var d = script.dataset;
  if (!d.form) return;
  var origin = new URL(script.src, location.href).origin;
  var GLUE = origin + "/assets/__GLUE__";
  var WASM = origin + "/assets/__WASM__";

  var host = document.createElement("div");
  host.setAttribute("data-feedback-form", d.form);
  var target = d.target && document.querySelector(d.target);
  if (target) target.appendChild(host);
  else script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow({ mode: "open" });
  // The widget's place is the partner's to keep (a data-target element
  // with a min-height, as the README shows): an async script cannot
  // reserve space before the page has painted.
  root.innerHTML = "<style>:host{all:initial!important;display:block!important}</style><div></div>";
  var mount = root.lastChild;

  // One module instance per page, however many widgets it has: two
  // concurrent inits would each make their own wasm memory.
  var key = "__feedbackWidget:" + GLUE;
  // Each is checked against the hash the build wrote here (Subresource
  // Integrity): a glue or wasm altered on its way, or on the server, is
  // refused, and any form the page has of its own stays in use. The glue
  // is preloaded with its hash, and the import takes that checked copy.
  function module() {
    if (!window[key]) {
      window[key] = new Promise(function (ok, no) {
        var l = document.createElement("link");
        l.rel = "modulepreload";
        l.crossOrigin = "anonymous";
        l.integrity = "__GLUE_SRI__";
        l.onload = ok;
        l.onerror = no;
        l.href = GLUE;
        document.head.appendChild(l);
      }).then(function () { return import(GLUE); }).then(function (m) {
        return m.default({ module_or_path: fetch(WASM, { integrity: "__WASM_SRI__" }) }).then(function () { return m; });
      });
    }
    return window[key];
  }

  var fallback = d.replace && document.querySelector(d.replace);
  var form = fallback && (fallback.tagName === "FORM" ? fallback : fallback.querySelector("form"));
  // Once the page's own form is sent the browser is on its way to the
  // thank-you page: the widget stays out of the way.
  var sent = false;
  if (form) form.addEventListener("submit", function () { sent = true; });

  function answersOf() {
    var answers = {};
    if (form) new FormData(form).forEach(function (v, k) {
      if (k.slice(0, 2) === "q.") (answers[k = k.slice(2)] = answers[k] || []).push(v);
    });
    return JSON.stringify(answers);
  }

  // Hands the answers on the page's form to the widget and, once it shows
  // them (`adopt` calls back), swaps the two in one task with the focus,
  // caret and scroll position kept. Keys pressed meanwhile land on the
  // page's form, so it is read again until nothing changed.
  function takeOver(adopt) {
    var last;
    (function sync() {
      if (!fallback || sent) return;
      var now = answersOf();
      if (adopt && now !== last) return adopt(last = now, sync);
      var a = document.activeElement, y = window.scrollY;
      var at = a && fallback.contains(a) && a.id && root.getElementById(a.id), s0, s1;
      try { s0 = a.selectionStart; s1 = a.selectionEnd; } catch (e) {}
      fallback.hidden = true;
      fallback.style.display = "none";
      if (target) target.hidden = false;
      if (at) {
        at.focus({ preventScroll: true });
        try { if (s0 != null) at.setSelectionRange(s0, s1); } catch (e) {}
      }
      if (window.scrollY !== y) window.scrollTo(window.scrollX, y);
    })();
  }

  // The funnel (counts only, nothing that says who). At each render the
  // widget hands over its state: the form, version and tags, the
  // furthest question answered (`last_question`), and `done` once the
  // answers are sent or kept to send. A view (unless the page counted
  // its own, as the hosted page does) and a start (at the first answer)
  // go once each; a leave naming the furthest question goes when the
  // page is hidden or left after a start and before the answers are
  // done, once. The collector reads only the fields an event has.
  // sendBeacon outlives the page and never waits; whether it worked is
  // nothing to the person answering.
  var counted = {}, leave;
  function count(kind, e) {
    if (e && !counted[kind]) {
      counted[kind] = e.event = kind;
      try { navigator.sendBeacon(origin + "/api/v1/events", JSON.stringify(e)); } catch (x) {}
    }
  }
  function funnel(state) {
    var e = JSON.parse(state);
    if (!d.viewCounted) count("view", e);
    if (e.last_question) count("start", e);
    leave = !e.done && e.last_question && e;
  }
  // Leaving fires both; `visibilitychange` also fires on the way back,
  // when a leave that was due is counted already.
  function hidden() { count("leave", leave); }
  addEventListener("pagehide", hidden);
  addEventListener("visibilitychange", hidden);

  // Proof of work (the ALTCHA protocol): the number whose SHA-256 after
  // the challenge's salt is the challenge, found in the background while
  // the person answers and handed to the widget, which sends it with the
  // answers. Without it (an old browser, a plain-HTTP page) the answers
  // are still kept, set aside for an analyst to look at.
  //
  // The server sets aside answers sent sooner than 2 s after their
  // challenge was issued (a bot's pace), and those sent before the proof
  // is found. So `prove()` settles once the proof is found and 2.1 s have
  // passed since the challenge came (the challenge's `wait_ms`, 0 where the
  // bot checks are off, and 0.1 s more; or after 10 s whatever happened), and
  // the widget's sends wait for it: a quick person, or a slow phone, costs
  // a moment of "Sending…", not the answer.
  var proofKey = "__feedbackProof:" + origin + "/" + d.form, proving, arrived, taking = Promise.resolve();
  function prove() {
    var enc = new TextEncoder();
    return proving = proving || Promise.race([fetch(origin + "/api/v1/forms/" + d.form + "/challenge").then(function (r) { return r.json(); }).then(function (c) {
      arrived = Date.now();
      function batch(n) {
        var tries = [];
        for (var i = n; i < n + 256 && i <= c.maxnumber; i++) tries.push(crypto.subtle.digest("SHA-256", enc.encode(c.salt + i)).then(function (i, h) {
          var x = "";
          new Uint8Array(h).forEach(function (b) { x += (b < 16 ? "0" : "") + b.toString(16); });
          return x === c.challenge ? i : -1;
        }.bind(null, i)));
        return Promise.all(tries).then(function (found) {
          found = Math.max.apply(null, found);
          if (found >= 0) window[proofKey] = btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: found, salt: c.salt, signature: c.signature }));
          else if (n + 256 <= c.maxnumber) return batch(n + 256);
        });
      }
      return batch(0).then(function () {
        return new Promise(function (done) { setTimeout(done, arrived + (c.wait_ms >= 0 ? c.wait_ms + 100 : 2100) - Date.now()); });
      });
    }).catch(function () {}), new Promise(function (done) { setTimeout(done, 10000); })]);
  }
  // A proof for one submission, as the widget sends it: each is good for
  // one, so taking it starts on the next (its 2 s run while this one is
  // sent), and takes wait their turn, so two sends at once (the same
  // answers sent again as the page comes back online) each get their own.
  // Where none came quickly (the page was offline when it asked, say), one
  // more is tried; where it was only slow, not (the person would wait
  // twice). A challenge lasts four hours: one over three hours old (a
  // page left open) is not used.
  window[proofKey + ":take"] = function () {
    function take() {
      var p = window[proofKey];
      if (p) { delete window[proofKey]; proving = null; prove(); }
      return p;
    }
    return taking = taking.then(function () {
      var asked = Date.now();
      if (asked - arrived > 108e5) { delete window[proofKey]; proving = null; }
      return prove().then(function () { return take() || (Date.now() - asked < 5e3 && (proving = null, prove().then(take))); });
    });
  };

  function show() {
    prove();
    module().then(function (m) {
      if (sent) return;
      host.widget = m.start(mount, {
        origin: origin,
        form: d.form,
        lang: d.lang || "",
        location: d.location || "",
        channel: d.channel || "embed",
        layout: d.layout || "",
        submission_id: d.submissionId || "",
        invitation: d.invitation || "",
        onfunnel: funnel,
        // The hosted page carries the form definition: no need to fetch it.
        definition: (d.definition && (document.querySelector(d.definition) || {}).textContent) || "",
        onready: takeOver,
      });
    }, function (e) {
      // Leave any server-rendered form in place; it works without us.
      if (window.console) console.error("feedback widget failed to load", e);
    });
  }

  // Answers saved while offline go out when the widget next starts: start
  // at once rather than wait for the person to scroll to it.
  var waiting = false;
  try { waiting = !!localStorage.getItem("community-feedback-outbox-v1"); } catch (e) {}
  // Their sends wait for the proof (as above), so it starts at once.
  if (waiting) return show();
  // A page whose own form the widget replaces (the hosted page) wants it
  // now, wherever it sits.
  if (d.replace || !("IntersectionObserver" in window)) return show();
  var seen = new IntersectionObserver(function (entries) {
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].isIntersecting) {
        seen.disconnect();
        show();
        return;
      }
    }
  }, { rootMargin: "400px" });
  seen.observe(host);
})();
