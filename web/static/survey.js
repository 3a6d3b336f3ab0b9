// Progressive enhancement of the survey form: live progress, draft autosave, a jump to the
// first unanswered topic. The form works the same without it.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) {
    return;
  }
  var topics = Array.prototype.slice.call(form.querySelectorAll(".topic"));
  var progressText = document.getElementById("progress");
  var progressBar = document.getElementById("progress-bar");
  var jump = form.querySelector("[data-jump]");
  var status = document.getElementById("autosave-status");
  var draftUrl = form.getAttribute("data-draft-url");
  var timer = null;
  var dirty = false;

  function unanswered() {
    return topics.filter(function (topic) {
      return !topic.querySelector("input[type=radio]:checked");
    });
  }

  function showProgress() {
    var left = unanswered().length;
    var answered = topics.length - left;
    progressText.textContent = form
      .getAttribute("data-progress")
      .replace("{answered}", String(answered))
      .replace("{total}", String(topics.length));
    progressBar.value = answered;
    jump.hidden = left === 0 || left === topics.length;
  }

  function goTo(topic) {
    topic.scrollIntoView({ block: "start" });
    var first = topic.querySelector("input[type=radio]");
    if (first) {
      first.focus({ preventScroll: true });
    }
  }

  function body() {
    return new URLSearchParams(new FormData(form));
  }

  function say(text) {
    if (status.textContent !== text) {
      status.textContent = text;
    }
  }

  function save() {
    timer = null;
    if (!draftUrl || !dirty) {
      return;
    }
    dirty = false;
    fetch(draftUrl, { method: "POST", body: body(), credentials: "same-origin" })
      .then(function (answer) {
        say(form.getAttribute(answer.ok ? "data-saved" : "data-save-failed"));
        if (!answer.ok && answer.status !== 409) {
          dirty = true;
        }
      })
      .catch(function () {
        dirty = true;
        say(form.getAttribute("data-save-failed"));
      });
  }

  function later(delay) {
    dirty = true;
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(save, delay);
  }

  form.addEventListener("change", function (event) {
    if (event.target.type === "radio") {
      showProgress();
      var topic = event.target.closest(".topic");
      var error = topic && topic.querySelector(".error");
      if (error) {
        error.hidden = true;
      }
    }
    later(400);
  });
  form.addEventListener("input", function (event) {
    if (event.target.type !== "radio") {
      later(1500);
    }
  });
  // Leaving the page (another language, closing the tab): keep what was typed since the last save.
  window.addEventListener("pagehide", function () {
    if (draftUrl && dirty && navigator.sendBeacon) {
      navigator.sendBeacon(draftUrl, body());
      dirty = false;
    }
  });
  jump.addEventListener("click", function () {
    var left = unanswered();
    if (left.length) {
      goTo(left[0]);
    }
  });
  // After a submission with gaps: once the page has loaded (and the browser has scrolled to
  // #missing), put the keyboard on the first unanswered topic.
  var firstMissing = document.getElementById("missing");
  if (firstMissing) {
    window.addEventListener("load", function () {
      goTo(firstMissing.closest(".topic"));
    });
  }
  showProgress();
})();
