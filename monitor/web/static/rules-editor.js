/* The rules editor (admin_rules.html.j2): remove-term buttons, and the back-test read as it streams.

   The back-test is a POST answered with NDJSON, one event a line (docs/rules-editor.md); fetch's
   body reader hands each line over as it arrives. A new back-test aborts the one before, and the
   server stops its work when the connection goes (a closed page too). Everything a notice brings
   (title, matched words) is put in with textContent: it is text, never markup. */
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button.remove-term");
    if (!btn) return;
    var term = btn.closest(".term");
    var input = term && term.querySelector("input");
    if (input) input.value = "";  // an emptied input is a removed term (monitor/web/rules_yaml.py)
    if (term) term.hidden = true;
  });

  var form = document.getElementById("backtest-form");
  var box = document.getElementById("bt-result");
  if (!form || !box) return;
  var status = document.getElementById("bt-status");
  var bar = document.getElementById("bt-progress");
  var flips = document.getElementById("bt-flips");
  var stopBtn = document.getElementById("bt-stop");
  var t = box.dataset;
  var controller = null;
  var total = 0, shown = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function labelName(l) { return t["l" + l.charAt(0).toUpperCase() + l.slice(1)] || l; }
  function fmt(n) { return Number(n).toLocaleString(document.documentElement.lang || "fi"); }
  function pct(x) { return (x * 100).toFixed(1) + " %"; }

  /* The snippet with the matched words marked (case-insensitive; the first occurrence). */
  function highlighted(reason) {
    var span = el("span", "snippet");
    var text = reason.snippet || "", word = reason.matched || "";
    var at = word ? text.toLowerCase().indexOf(word.toLowerCase()) : -1;
    if (at < 0) {
      span.appendChild(document.createTextNode(text));
      if (word) { span.appendChild(document.createTextNode(" ")); span.appendChild(el("mark", null, word)); }
      return span;
    }
    span.appendChild(document.createTextNode(text.slice(0, at)));
    span.appendChild(el("mark", null, text.slice(at, at + word.length)));
    span.appendChild(document.createTextNode(text.slice(at + word.length)));
    return span;
  }

  function reasonList(reasons, other, cls) {
    var ul = el("ul", "reasons " + cls);
    var ids = {};
    (other || []).forEach(function (r) { ids[r.signal_id + "|" + r.matched] = true; });
    if (!reasons.length) ul.appendChild(el("li", "muted", t.tNoReasons));
    reasons.forEach(function (r) {
      var li = el("li", ids[r.signal_id + "|" + r.matched] ? "" : "differs");
      li.appendChild(el("code", null, r.signal_id));
      li.appendChild(document.createTextNode(" +" + r.weight + " "));
      li.appendChild(highlighted(r));
      ul.appendChild(li);
    });
    return ul;
  }

  function addFlip(f) {
    var li = el("li", "flip flip-" + f.new_label);
    li.dataset.notice = f.publication_number || f.notice_pk;
    var head = el("p", "flip-head");
    head.appendChild(el("strong", "number", f.publication_number || ("#" + f.notice_pk)));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("span", "flip-title", f.title || ""));
    li.appendChild(head);
    var move = el("p", "flip-move");
    move.appendChild(el("span", "badge from label-" + f.old_label, labelName(f.old_label) + " · " + t.tPoints.replace("{score}", f.old_score)));
    move.appendChild(document.createTextNode(" → "));
    move.appendChild(el("span", "badge to label-" + f.new_label, labelName(f.new_label) + " · " + t.tPoints.replace("{score}", f.new_score)));
    li.appendChild(move);
    var cols = el("div", "flip-reasons");
    var b = el("div"); b.appendChild(el("h4", null, t.tBefore)); b.appendChild(reasonList(f.reasons_before, f.reasons_after, "before"));
    var a = el("div"); a.appendChild(el("h4", null, t.tAfter)); a.appendChild(reasonList(f.reasons_after, f.reasons_before, "after"));
    cols.appendChild(b); cols.appendChild(a);
    li.appendChild(cols);
    flips.appendChild(li);
    shown += 1;
  }

  function counts(ev) {
    ["innovative", "possible", "none"].forEach(function (l) {
      var row = box.querySelector('#bt-counts tr[data-label="' + l + '"]');
      var b = ev.labels_before[l] || 0, a = ev.labels_after[l] || 0, d = a - b;
      row.querySelector(".before").textContent = fmt(b);
      row.querySelector(".after").textContent = fmt(a);
      row.querySelector(".delta").textContent = (d > 0 ? "+" : "") + fmt(d);
    });
    var body = box.querySelector("#bt-transitions tbody");
    body.textContent = "";
    Object.keys(ev.transitions).sort().forEach(function (k) {
      var parts = k.split(">");
      var tr = el("tr"); tr.dataset.transition = k;
      tr.appendChild(el("th", null, labelName(parts[0]) + " → " + labelName(parts[1])));
      tr.appendChild(el("td", "num", fmt(ev.transitions[k])));
      body.appendChild(tr);
    });
  }

  function evaluation(ev) {
    var wrap = document.getElementById("bt-evaluations");
    var table = el("table", "data evaluation");
    table.dataset.set = ev.set;
    table.appendChild(el("caption", null, (ev.set === "decisions" ? t.tSetDecisions : t.tSetLabelled).replace("{n}", ev.count)));
    var head = el("tr");
    var thead = el("thead");
    head.appendChild(el("th", null, ""));
    head.appendChild(el("th", "num", t.tPrecision + " " + t.tBefore));
    head.appendChild(el("th", "num", t.tPrecision + " " + t.tAfter));
    head.appendChild(el("th", "num", t.tRecall + " " + t.tBefore));
    head.appendChild(el("th", "num", t.tRecall + " " + t.tAfter));
    thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody");
    ["innovative", "possible"].forEach(function (l) {
      var tr = el("tr"); tr.dataset.label = l;
      tr.appendChild(el("th", null, labelName(l)));
      // A figure with no notices behind it is "–", not 0 %; each shows its counts (correct/n).
      var share = function (value, n, correct) { return n ? pct(value) + " (" + fmt(correct) + "/" + fmt(n) + ")" : "–"; };
      tr.appendChild(el("td", "num", share(ev.before[l].precision, ev.before[l].predicted, ev.before[l].correct)));
      tr.appendChild(el("td", "num", share(ev.after[l].precision, ev.after[l].predicted, ev.after[l].correct)));
      tr.appendChild(el("td", "num", share(ev.before[l].recall, ev.before[l].support, ev.before[l].correct)));
      tr.appendChild(el("td", "num", share(ev.after[l].recall, ev.after[l].support, ev.after[l].correct)));
      body.appendChild(tr);
    });
    table.appendChild(body);
    wrap.appendChild(table);
  }

  function handle(ev) {
    if (ev.event === "start") {
      total = ev.total;
      bar.max = Math.max(total, 1);
      status.textContent = t.tRunning.replace("{scanned}", 0).replace("{total}", fmt(total));
    } else if (ev.event === "progress") {
      bar.value = ev.scanned;
      status.textContent = t.tRunning.replace("{scanned}", fmt(ev.scanned)).replace("{total}", fmt(ev.total));
      counts(ev);
      ev.flips.forEach(addFlip);
    } else if (ev.event === "evaluation") {
      evaluation(ev);
    } else if (ev.event === "done") {
      bar.value = bar.max;
      status.textContent = t.tDone.replace("{scanned}", fmt(ev.scanned)).replace("{changed}", fmt(ev.changed))
        .replace("{seconds}", Number(ev.seconds).toFixed(1));
      if (!ev.changed) flips.appendChild(el("li", "muted", t.tNoneFlip));
      else if (ev.changed > shown) flips.appendChild(el("li", "muted more", t.tMore.replace("{n}", fmt(ev.changed - shown))));
      box.dataset.state = "done";
    } else if (ev.event === "error" || ev.event === "invalid") {
      status.textContent = t.tFailed + " " + (ev.message || (ev.problems || []).join("; "));
      box.dataset.state = "failed";
    }
  }

  async function run() {
    if (controller) controller.abort();
    controller = new AbortController();
    var mine = controller;
    flips.textContent = "";
    document.getElementById("bt-evaluations").querySelectorAll("table").forEach(function (n) { n.remove(); });
    shown = 0; bar.value = 0;
    box.hidden = false; box.dataset.state = "running";
    status.textContent = t.tStarting;
    stopBtn.hidden = false;
    try {
      var resp = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        signal: mine.signal,
        credentials: "same-origin",
      });
      var reader = resp.body.getReader();
      var decoder = new TextDecoder();
      var rest = "";
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        rest += decoder.decode(chunk.value, { stream: true });
        var lines = rest.split("\n");
        rest = lines.pop();
        lines.forEach(function (line) { if (line.trim()) handle(JSON.parse(line)); });
      }
      if (rest.trim()) handle(JSON.parse(rest));
      if (box.dataset.state === "running") { status.textContent = t.tFailed; box.dataset.state = "failed"; }
    } catch (err) {
      if (err.name === "AbortError") { status.textContent = t.tStopped; box.dataset.state = "stopped"; }
      else { status.textContent = t.tFailed + " " + err; box.dataset.state = "failed"; }
    } finally {
      if (controller === mine) { stopBtn.hidden = true; controller = null; }
    }
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
  stopBtn.addEventListener("click", function () { if (controller) controller.abort(); });
})();
