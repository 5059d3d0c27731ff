/*! Community feedback widget loader.
 *
 * <script src="https://COLLECTOR/widget.js" data-form="community-safety" async></script>
 *
 * Options (data-*): form (required), lang, location, channel (default
 * "embed"), target (a CSS selector to render into instead of right after
 * the tag), replace (a CSS selector of server-rendered content to hide once
 * the widget shows), definition (a CSS selector of a JSON script element
 * holding the form, so it need not be fetched). The widget lives in a shadow root, so the page's CSS
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
  // Hold the page's layout still while the widget loads, and say so.
  root.innerHTML = '<style>:host{all:initial!important;display:block!important;min-height:1px!important}</style><div></div>';
  var mount = root.lastChild;

  // One module instance per page, however many widgets it has: two
  // concurrent inits would each make their own wasm memory.
  var key = "__feedbackWidget:" + GLUE;
  function module() {
    if (!window[key]) {
      window[key] = import(GLUE).then(function (m) {
        return m.default({ module_or_path: WASM }).then(function () { return m; });
      });
    }
    return window[key];
  }

  function show() {
    module().then(function (m) {
      host.widget = m.start(mount, {
        origin: origin,
        form: d.form,
        lang: d.lang || "",
        location: d.location || "",
        channel: d.channel || "embed",
        // The hosted page carries the form definition: no need to fetch it.
        definition: (d.definition && (document.querySelector(d.definition) || {}).textContent) || "",
        onready: function () {
          var fallback = d.replace && document.querySelector(d.replace);
          if (fallback) {
            fallback.hidden = true;
            fallback.style.display = "none";
          }
        },
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
  // A page whose own form the widget replaces (the hosted page) wants it
  // now, wherever it sits.
  if (waiting || d.replace || !("IntersectionObserver" in window)) return show();
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
