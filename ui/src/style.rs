//! The widget's stylesheet, GOV.UK-like, placed inside its shadow root.
//!
//! `all: initial` on the widget's own root element (not only on `:host`)
//! cuts every inherited property off from the partner page, so neither the
//! page's `*` rules nor its `!important` reach in; logical properties
//! (`inline-start`) make right-to-left languages lay out by themselves.

/// What the loader (`widget/loader/widget.js`) puts in the shadow root
/// before the widget starts, so that no rule of the partner's page reaches
/// the host element. The loader writes it as a literal; a test in the
/// collector fails if the two differ, because pages allow this `<style>`
/// by its hash (the collector's Content-Security-Policy, and the policy
/// the README gives partners).
pub const HOST_CSS: &str = ":host{all:initial!important;display:block!important}";

/// The whole stylesheet.
pub const CSS: &str = r#":host{all:initial!important;display:block!important}
.cfw{all:initial;display:block;box-sizing:border-box;max-width:40em;font-family:"Helvetica Neue",Helvetica,Arial,sans-serif;font-size:medium;line-height:1.4;color:#0b0c0c;background:#fff;padding:1em 0;overflow-wrap:break-word;-webkit-text-size-adjust:100%}
.cfw *,.cfw *::before,.cfw *::after{box-sizing:border-box}
.cfw h1,.cfw h2{display:block;font-size:1.5em;font-weight:700;line-height:1.2;margin:0 0 .75em}
.cfw h1{font-size:1.75em}
.cfw h2.q-h{font-size:1.2em;margin:0}
.cfw p{display:block;margin:0 0 1em}
.cfw form{display:block;margin:0}
.cfw fieldset{display:block;border:0;margin:0;padding:0;min-width:0}
.cfw legend{display:block;font-weight:700;font-size:1.15em;margin:0 0 .5em;padding:0;max-width:100%;white-space:normal}
.cfw label{display:block}
.cfw .lbl{font-weight:700;font-size:1.15em;margin:0 0 .5em}
.cfw .q{margin:0 0 1.75em}
.cfw .hint{color:#505a5f;margin:0 0 .75em}
.cfw .err{color:#d4351c;font-weight:700;margin:0 0 .5em}
.cfw .q.has-err{border-inline-start:5px solid #d4351c;padding-inline-start:.75em}
.cfw .opt{display:flex;align-items:flex-start;gap:.6em;margin:0 0 .6em}
.cfw .opt input{width:28px;height:28px;margin:0;flex:none;accent-color:#0b0c0c;cursor:pointer}
.cfw .opt label{padding:.15em 0;min-height:28px;cursor:pointer}
.cfw .row{display:flex;flex-wrap:wrap;gap:.5em}
.cfw .row .opt{flex-direction:column;align-items:center;gap:.2em;min-width:2.5em}
.cfw .or{margin:0 0 .6em}
.cfw input[type=text],.cfw textarea,.cfw select{display:block;font:inherit;width:100%;max-width:100%;padding:.35em;border:2px solid #0b0c0c;border-radius:0;background:#fff;color:#0b0c0c;min-height:2.5em}
.cfw textarea{min-height:6em;resize:vertical}
.cfw .has-err input[type=text],.cfw .has-err textarea,.cfw .has-err select{border-color:#d4351c}
.cfw :focus{outline:3px solid #ffdd00;outline-offset:0;box-shadow:0 0 0 6px #0b0c0c}
.cfw [tabindex="-1"]:focus{outline:3px solid #ffdd00;box-shadow:none}
.cfw .btns{display:flex;flex-wrap:wrap;gap:.75em;align-items:center;margin:1.5em 0 0}
.cfw button{font:inherit;line-height:1.2;cursor:pointer;margin:0;border-radius:0}
.cfw .btn{font-weight:700;background:#00703c;color:#fff;border:2px solid transparent;box-shadow:0 2px 0 #002d18;padding:.5em .9em;min-height:44px;min-width:44px}
.cfw .btn.sec{background:#f3f2f1;color:#0b0c0c;box-shadow:0 2px 0 #929191}
.cfw .btn:focus{background:#ffdd00;color:#0b0c0c;box-shadow:0 2px 0 #0b0c0c;outline:3px solid transparent}
.cfw .btn[disabled]{opacity:.6;cursor:default}
.cfw .link{background:none;border:0;color:#1d70b8;text-decoration:underline;padding:.2em .1em;min-height:24px;min-width:24px}
.cfw a.link{display:inline-block}
.cfw .link:focus,.cfw .es a:focus,.cfw summary:focus{background:#ffdd00;color:#0b0c0c;outline:3px solid transparent;box-shadow:0 -2px #ffdd00,0 4px #0b0c0c;text-decoration:none}
.cfw .es{border:5px solid #d4351c;padding:1em;margin:0 0 1.5em}
.cfw .es h2{font-size:1.25em;margin:0 0 .5em}
.cfw ul{display:block;margin:0;padding:0;list-style:none}
.cfw .es li{display:block;margin:0 0 .4em}
.cfw .es a{color:#d4351c;font-weight:700;text-decoration:underline;display:inline-block;min-height:24px;cursor:pointer}
.cfw .inset{border-inline-start:8px solid #b1b4b6;padding:.5em 1em;margin:0 0 1.25em}
.cfw details{display:block;margin:1.5em 0 0}
.cfw summary{display:list-item;color:#1d70b8;text-decoration:underline;cursor:pointer;min-height:24px;padding:.2em 0}
.cfw details p{margin:.5em 0 0;padding-inline-start:1em;border-inline-start:4px solid #b1b4b6}
.cfw .langs{display:flex;flex-wrap:wrap;gap:.25em 1em;margin:0 0 1em}
.cfw .langs li{display:block}
.cfw .langs .cur{display:inline-block;font-weight:700;padding:.2em .1em}
.cfw .prog{color:#505a5f;margin:0 0 .5em}
.cfw dl{display:block;margin:0 0 1.5em}
.cfw dl>div{display:block;border-bottom:1px solid #b1b4b6;padding:.6em 0}
.cfw dt{display:block;font-weight:700;margin:0 0 .25em}
.cfw dd{display:block;margin:0}
.cfw .panel{background:#00703c;color:#fff;padding:1.25em;margin:0 0 1.5em;text-align:center}
.cfw .panel h1,.cfw .panel h2{color:#fff;margin:0 0 .5em}
.cfw .panel p{margin:0}
.cfw .notice{border:3px solid #1d70b8;padding:1em;margin:0 0 1.5em}
.cfw .help{border:5px solid #1d70b8;padding:1em;margin:0 0 1.5em}
.cfw .help h2{font-size:1.25em;margin:0 0 .5em}
.cfw .help li{display:block;margin:0 0 .75em}
.cfw .help .hl,.cfw .help .hint{display:block;margin:0}
.cfw .help .hl{font-weight:700}
.cfw .tel{display:inline-block;font-weight:700;font-size:1.25em;color:#1d70b8;text-decoration:underline;padding:.2em 0;min-height:44px;min-width:44px}
.cfw .tel:focus{background:#ffdd00;color:#0b0c0c;outline:3px solid transparent;box-shadow:0 -2px #ffdd00,0 4px #0b0c0c;text-decoration:none}
.cfw .vh{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;border:0!important;white-space:nowrap!important}
"#;
