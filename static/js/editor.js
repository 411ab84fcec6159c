/* Proposal editor: live budget totals, autosave, and a copy in this browser.
   The form works without this script; the script only makes it kinder. */
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var storageKey = form.getAttribute("data-storage-key");
  var autosaveUrl = form.getAttribute("data-autosave-url");
  var lang = document.documentElement.lang || "zh-CN";
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: "CNY" });
  var dirty = false;
  var saving = false;
  var submitting = false;
  var waitingSubmitter = null;  /* a Save pressed while an autosave was on its way */

  function number(input) {
    var value = parseFloat((input && input.value || "").replace(/,/g, ""));
    return isFinite(value) ? value : 0;
  }

  function updateTotals() {
    var total = 0;
    form.querySelectorAll("tr.budget-line").forEach(function (row) {
      var cost = number(row.querySelector(".unit-cost"));
      var quantity = number(row.querySelector(".quantity"));
      var subtotal = Math.round(cost * quantity * 100) / 100;
      var cell = row.querySelector(".subtotal");
      if (cell) { cell.textContent = subtotal ? money.format(subtotal) : ""; }
      total += subtotal;
    });
    var totalCell = document.getElementById("budget-total");
    if (totalCell) { totalCell.textContent = money.format(total); }
  }

  function textFields() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "submit" || el.name === "csrf_token") { return; }
      data[el.name] = el.value;
    });
    return data;
  }

  function keepLocalCopy() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ savedAt: Date.now(), fields: textFields() }));
    } catch (e) { /* storage full or disabled: the server copy still counts */ }
  }

  /* The server trims text and writes amounts as 50.00: what it saved is the
     same as what was typed ("50", "text "), so no restore is offered. */
  function same(a, b) {
    a = String(a).trim();
    b = String(b).trim();
    if (a === b) { return true; }
    var x = Number(a.replace(/,/g, "")), y = Number(b.replace(/,/g, ""));
    return a !== "" && b !== "" && isFinite(x) && isFinite(y) && x === y;
  }

  function say(message) { if (status) { status.textContent = message; } }

  function offerLocalCopy() {
    var raw;
    try { raw = localStorage.getItem(storageKey); } catch (e) { return; }
    if (!raw) { return; }
    var copy;
    try { copy = JSON.parse(raw); } catch (e) { return; }
    var current = textFields();
    var differs = Object.keys(copy.fields || {}).some(function (name) {
      return name !== "lock_version" && current[name] !== undefined && !same(current[name], copy.fields[name]);
    });
    if (!differs) {
      try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
      return;
    }
    var box = document.createElement("div");
    box.className = "notice";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = form.getAttribute("data-text-found");
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button";
    restore.textContent = form.getAttribute("data-text-restore");
    restore.addEventListener("click", function () {
      Object.keys(copy.fields).forEach(function (name) {
        if (name === "lock_version") { return; }
        var el = form.elements[name];
        if (el && el.value !== undefined) { el.value = copy.fields[name]; }
      });
      dirty = true;
      updateTotals();
      box.remove();
      say(form.getAttribute("data-text-restored"));
    });
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button";
    discard.textContent = form.getAttribute("data-text-discard");
    discard.addEventListener("click", function () {
      try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
      box.remove();
    });
    box.appendChild(text);
    box.appendChild(restore);
    box.appendChild(discard);
    form.parentNode.insertBefore(box, form);
  }

  function autosave() {
    if (!dirty || saving || submitting || !autosaveUrl) { return; }
    saving = true;
    var body = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.type !== "file" && el.type !== "submit") { body.append(el.name, el.value); }
    });
    dirty = false;
    fetch(autosaveUrl, { method: "POST", body: body, credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json().then(function (data) { return [response, data]; }); })
      .then(function (pair) {
        var data = pair[1];
        if (data.status === "saved") {
          form.elements.lock_version.value = data.lock_version;
          try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
        } else {
          dirty = true;
        }
        say(data.message || "");
      })
      .catch(function () { dirty = true; })
      .then(function () {
        saving = false;
        /* Send the Save now, with the lock version the autosave just got:
           never a conflict with one's own autosave. */
        if (waitingSubmitter) {
          var submitter = waitingSubmitter;
          waitingSubmitter = null;
          if (form.requestSubmit) { form.requestSubmit(submitter === form ? undefined : submitter); }
          else { form.submit(); }
        }
      });
  }

  form.addEventListener("input", function (event) {
    dirty = true;
    keepLocalCopy();
    if (event.target.classList.contains("unit-cost") || event.target.classList.contains("quantity")) {
      updateTotals();
    }
  });
  form.addEventListener("submit", function (event) {
    keepLocalCopy();
    if (saving) {
      event.preventDefault();
      waitingSubmitter = event.submitter || form;
      return;
    }
    submitting = true;
  });
  window.addEventListener("pageshow", function () { submitting = false; });
  offerLocalCopy();
  updateTotals();
  window.setInterval(autosave, 20000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { autosave(); }
  });
}());
