// Enhancements only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary, as the GOV.UK error pattern does, so
  // screen reader and keyboard users start from the list of problems.
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }
  // Links in the error summary put focus on the field, not just scroll.
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var field = document.getElementById(a.getAttribute("href").slice(1));
      if (field) { e.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
    });
  });
})();

// The timeout warning (WCAG 2.2.1 Timing Adjustable), as the GOV.UK and
// HMRC patterns have it: before the session ends for want of use, a modal
// dialog says so, counts down and offers to stay signed in. The server's
// word decides: a tab asks how long the session has left (GET /session,
// which does not count as a use) before it warns and before it gives up,
// so a session another tab kept alive is never signed out here. Without
// this script the session ends as it always did, and the sign-in page says
// so when a form is sent.
(function () {
  "use strict";
  var body = document.body;
  var timeout = Number(body.getAttribute("data-session-timeout")) * 1000;
  var lead = Number(body.getAttribute("data-session-warning")) * 1000;
  var dialog = document.getElementById("timeout-warning");
  if (!timeout || !lead || !dialog || typeof dialog.showModal !== "function" || !window.fetch) { return; }
  var countdown = dialog.querySelector("[data-timeout-countdown]");
  var announce = dialog.querySelector("[data-timeout-announce]");
  var stay = dialog.querySelector("[data-timeout-stay]");
  var ends = Date.now() + timeout; // this page's request was a use
  var timer = 0, ticker = 0, announced = "", returnFocus = null, asking = false;
  var channel = window.BroadcastChannel ? new BroadcastChannel("ledger-session") : null;

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  // "2 minutes", "1 minute 5 seconds", "45 seconds".
  function words(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000)), m = Math.floor(s / 60);
    s -= m * 60;
    if (m === 0) { return plural(s, "second", "seconds"); }
    return plural(m, "minute", "minutes") + (s ? " " + plural(s, "second", "seconds") : "");
  }
  // What screen readers hear, sparingly: whole minutes, then 30 and 15
  // seconds, not every tick.
  function spoken(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var said = s > 60 ? plural(Math.ceil(s / 60), "minute", "minutes") : s > 30 ? "1 minute" : s > 15 ? "30 seconds" : "15 seconds";
    return "For your security, you will be signed out in " + said + ".";
  }

  // ask fetches the session's time left, in ms: null once it has ended.
  function ask(method) {
    return fetch("/session", { method: method, credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401) { return null; }
        if (!r.ok) { throw new Error("session status " + r.status); }
        return r.json().then(function (s) { return s.signed_in ? s.remaining_seconds * 1000 : null; });
      });
  }

  // schedule sets the warning's timer; one beyond a day (a long idle
  // timeout, past what setTimeout takes) asks again then.
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(due, Math.min(Math.max(0, ends - lead - Date.now()), 86400000));
  }

  // due: the warning's time has come, by this tab's reckoning.
  function due() {
    ask("GET").then(function (left) {
      if (left === null) { signedOut(); return; }
      ends = Date.now() + left;
      if (left > lead + 1000) { close(); schedule(); } else { warn(); }
    }, warn);
  }

  function warn() {
    render();
    if (!dialog.open) {
      returnFocus = document.activeElement;
      announced = spoken(ends - Date.now());
      announce.textContent = announced;
      dialog.showModal();
      stay.focus();
    }
    clearInterval(ticker);
    ticker = setInterval(render, 1000);
  }

  function render() {
    var left = ends - Date.now();
    if (left <= 0) { clearInterval(ticker); ending(); return; }
    countdown.textContent = words(left);
    var s = spoken(left);
    if (dialog.open && s !== announced) { announced = s; announce.textContent = s; }
  }

  // ending: this tab's time ran out; the server says whether it did.
  function ending() {
    if (asking) { return; }
    asking = true;
    ask("GET").then(function (left) {
      asking = false;
      if (left === null || left <= 0) { signedOut(); return; }
      ends = Date.now() + left;
      if (left > lead + 1000) { close(); schedule(); } else { warn(); }
    }, function () { asking = false; signedOut(); });
  }

  function close() {
    clearInterval(ticker);
    if (dialog.open) {
      dialog.close();
      if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
    }
  }

  function signedOut() {
    clearTimeout(timer);
    clearInterval(ticker);
    window.location.assign("/sign-in?ended=idle&next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  // Stay signed in: a use of the session, which puts its end off.
  function keepAlive() {
    ask("POST").then(function (left) {
      if (left === null) { signedOut(); return; }
      ends = Date.now() + left;
      // At the session's absolute end (auth.session_absolute_timeout)
      // nothing puts it off: the countdown goes on.
      if (left <= lead) { render(); return; }
      close();
      schedule();
      if (channel) { channel.postMessage("used"); }
    }, function () { /* the dialog stays open and counting; try again */ });
  }

  stay.addEventListener("click", keepAlive);
  // Escape is "Stay signed in", as in the GOV.UK pattern.
  dialog.addEventListener("cancel", function (e) { e.preventDefault(); keepAlive(); });
  // Focus stays in the dialog: Tab from the last control goes to the first.
  dialog.addEventListener("keydown", function (e) {
    if (e.key !== "Tab") { return; }
    var f = dialog.querySelectorAll("button, a[href]");
    var first = f[0], last = f[f.length - 1];
    if (e.shiftKey && (document.activeElement === first || document.activeElement === dialog)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  // Another tab used the session: it ends later than this tab thought.
  if (channel) {
    channel.onmessage = function () {
      if (dialog.open) { due(); return; }
      ends = Date.now() + timeout;
      schedule();
    };
    channel.postMessage("used");
  }
  // A hidden tab's timers are slowed: catch up when it is shown again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") { return; }
    if (dialog.open) { render(); } else if (Date.now() >= ends - lead) { due(); }
  });
  schedule();
})();
