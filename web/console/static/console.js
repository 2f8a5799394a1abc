// iamd console: small progressive enhancements. Every page works without
// this file; it only adds copy buttons and typed confirmations.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // <button data-copy="ID-of-element">: copies that element's text.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.getElementById(b.dataset.copy);
      if (!el || !navigator.clipboard) return;
      var text = el.value !== undefined ? el.value : el.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        var done = b.dataset.copied;
        if (done) {
          var label = b.textContent;
          b.textContent = done;
          setTimeout(function () { b.textContent = label; }, 2000);
        }
      });
    });
  });
  // <form data-confirm="ID">: its submit buttons stay disabled until the
  // input[data-confirm-input] holds ID. The server checks it anyway.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    var input = f.querySelector("input[data-confirm-input]");
    var buttons = f.querySelectorAll("button[type=submit]");
    if (!input) return;
    var check = function () {
      var ok = input.value.trim() === f.dataset.confirm;
      buttons.forEach(function (b) { b.disabled = !ok; });
    };
    input.addEventListener("input", check);
    check();
  });
});
