/* When this device's time zone differs from the one the page uses, say
   when the call closes on the device's own clock. */
(function () {
  "use strict";
  var note = document.getElementById("your-time");
  var times = document.querySelectorAll("time.local-time");
  if (!note || times.length < 2 || !window.Intl) { return; }
  var here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var closes = times[1];
  if (!here || here === closes.getAttribute("data-zone")) { return; }
  var moment = new Date(closes.getAttribute("datetime"));
  var text = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: "full", timeStyle: "short", timeZone: here
  }).format(moment);
  note.textContent = note.getAttribute("data-label") + " " + text + " (" + here + ")";
  note.hidden = false;
}());
