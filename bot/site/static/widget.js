/*
 * Kommunebot chat widget. Embed with one tag:
 *   <script src="https://<widget server>/widget/widget.js" data-server="https://<rasa server>"
 *           data-kommune="nyborg" defer></script>
 *
 * No framework and no CDN: the stylesheet, the socket.io client and the
 * municipality's settings come from the same server as this file.
 * Messages go over Rasa's socket.io channel; when it cannot connect, over the
 * REST channel. A message that could not be delivered stays in the
 * conversation marked "Ikke sendt" with a button to send it again.
 * Message text is only ever inserted as text nodes, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__kommunebotWidget) return;
  window.__kommunebotWidget = true;

  var SERVER = (script.getAttribute("data-server") || "").replace(/\/+$/, "");
  var KOMMUNE = script.getAttribute("data-kommune") || "";
  var BASE = new URL(".", script.src).href;
  var STORE_KEY = "kommunebot:" + KOMMUNE;
  var REPLY_TIMEOUT_MS = 20000;

  // The title and the first message say that a program answers, not a
  // person, that it cannot see the citizen's case, and how to reach a
  // person: the EU AI Act (Art. 50) requires it from the first interaction.
  // The English texts are shown once a reply comes in English.
  var T = {
    launcher: "Chat med os",
    title: "Chatbot (automatiske svar)",
    close: "Luk chatten",
    restart: "Start forfra",
    restartDone: "Ny samtale startet.",
    label: "Skriv dit spørgsmål",
    labelName: "Skriv dit navn",
    labelTel: "Skriv dit telefonnummer",
    // Asked to cancel another conversation's booking (issue 27): never autofilled.
    labelDigits: "Skriv de sidste 4 cifre i telefonnummeret",
    send: "Send",
    placeholder: "Fx: Hvordan fornyer jeg mit pas?",
    intro: "Hej! Jeg er en chatbot: et automatisk program. Der sidder ikke et menneske og svarer, og jeg kan " +
      "ikke se din sag. Jeg kan hjælpe dig med at finde den rigtige selvbetjening. Skriv dit spørgsmål med " +
      "dine egne ord.",
    person: "Vil du tale med et menneske, så skriv \"ring mig op\", så bestiller jeg en opringning fra en " +
      "medarbejder, eller ring til {name}",
    privacy: "Skriv ikke CPR-nummer eller andre personlige oplysninger i chatten. Bestiller du en opringning, " +
      "kan medarbejderen, der ringer, se hele samtalen.",
    you: "Du",
    bot: "Assistent",
    typing: "Assistenten skriver …",
    notSent: "Ikke sendt.",
    resend: "Send igen",
    offline: "Chatten kan ikke få forbindelse lige nu. Din besked er ikke sendt.",
    online: "Forbindelsen er tilbage.",
    reconnecting: "Forbindelsen blev afbrudt. Prøver igen …",
    cprWarning: "Din besked ser ud til at indeholde et CPR-nummer. Skriv aldrig CPR-nummer i chatten.",
    cprRemove: "Fjern nummeret og send",
    cprEdit: "Ret beskeden",
    cprRemoved: "[CPR-nummer fjernet]",
    booked: "Din opringning er bestilt",
    bookedKept: "Bestilt opringning: {ref}. Gem nummeret, hvis du vil aflyse.",
    restartAsk: "Vil du starte en ny samtale? Samtalen her forsvinder fra skærmen.",
    restartAskBooked: "Din opringning {ref} er stadig bestilt, og nummeret bliver stående her.",
    restartYes: "Ja, start forfra",
    restartNo: "Nej, fortsæt",
    newWindow: "(åbner i nyt vindue)",
    asked: "Fik du svar?",
    yes: "Ja",
    no: "Nej",
    why: "Hvad manglede? (valgfrit)",
    reasons: [["not_my_question", "Svaret passede ikke til mit spørgsmål"], ["not_understood", "Jeg forstod ikke svaret"],
              ["link_failed", "Linket virkede ikke"], ["other", "Andet"], [null, "Spring over"]],
    thanks: "Tak for dit svar.",
    conversation: "Samtale"
  };
  var T_EN = {
    intro: "This is a chatbot: an automated program. No person is answering here, and it cannot see your " +
      "case. To talk to a person, write \"please call me back\" to book a call from a member of staff, or call {name}",
    bot: "Assistant",
    booked: "Your call is booked",
    asked: "Did you get an answer?",
    yes: "Yes",
    no: "No",
    why: "What was missing? (optional)",
    reasons: [["not_my_question", "The answer did not fit my question"], ["not_understood", "I did not understand it"],
              ["link_failed", "The link did not work"], ["other", "Something else"], [null, "Skip"]],
    thanks: "Thank you for your answer.",
    newWindow: "(opens in a new window)"
  };

  // ---------------------------------------------------------------- state
  // ---------------------------------------------------------------- state

  var state = load() || fresh();
  var config = { name: "", phone: null, phoneHours: null, website: "", colour: "#1d4f91" };
  var socket = null;
  var socketReady = false;
  var awaiting = null; // {id, timer} while a reply is outstanding
  var pending = []; // the assistant's messages since the citizen's last one, awaiting their mark
  var el = {};

  // A booking's reference outlives "Start forfra" (state.booking): the
  // citizen needs it to cancel.
  function fresh(booking) {
    return { sessionId: newId(), messages: [], open: false, booking: booking || null };
  }

  // Letters only: a run of digits in an id could read as a CPR number, and the
  // server refuses such ids. The server replaces this one by its own signed id.
  function newId() {
    var letters = "abcdefghijklmnopqrstuvwxyz", id = "w", bytes = new Uint8Array(24);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    for (var j = 0; j < bytes.length; j++) id += letters.charAt(bytes[j] % 26);
    return id;
  }

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
      if (saved && saved.sessionId && Array.isArray(saved.messages)) {
        // A message that was on its way when the page closed did not get an answer here.
        saved.messages.forEach(function (m) { if (m.status === "sending") m.status = "failed"; });
        return saved;
      }
    } catch (e) { /* private mode or damaged data: start afresh */ }
    return null;
  }

  function save() {
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* storage full or blocked */ }
  }

  // ------------------------------------------------------------------ CPR

  // DDMMYY-SSSS with dash, space or nothing, with a real calendar date
  // (the server checks the century too; this is only a warning).
  var CPR = /(^|[^\d])(\d{2})(\d{2})(\d{2})[ \-\u2013]?(\d{4})(?!\d)/g;

  function findCpr(text) {
    var found = [];
    text.replace(CPR, function (match, before, dd, mm, yy, serial, offset) {
      var d = +dd, m = +mm;
      if (m >= 1 && m <= 12 && d >= 1 && d <= new Date(2000, m, 0).getDate()) {
        found.push(match.slice(before.length));
      }
      return match;
    });
    return found;
  }

  function removeCpr(text) {
    findCpr(text).forEach(function (number) { text = text.split(number).join(T.cprRemoved); });
    return text;
  }

  // ------------------------------------------------------------------- DOM

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function build() {
    var css = make("link", { rel: "stylesheet", href: BASE + "widget.css" });
    if (!document.querySelector('link[href="' + BASE + 'widget.css"]')) document.head.appendChild(css);

    // The id lets the focus ring's rules outrank a host page's (widget.css).
    // Danish whatever the host page's language; English replies say lang="en" themselves.
    el.root = make("div", { id: "kb-widget", "class": "kb-widget", "data-kommune": KOMMUNE, lang: "da" });
    el.launcher = make("button", { type: "button", "class": "kb-launcher", "aria-expanded": "false",
                                   "aria-controls": "kb-panel" });
    el.launcherText = make("span", {}, T.launcher);
    el.launcher.appendChild(el.launcherText);

    el.panel = make("section", { id: "kb-panel", "class": "kb-panel", role: "dialog", "aria-modal": "false",
                                 "aria-labelledby": "kb-title", hidden: "" });
    var header = make("div", { "class": "kb-header" });
    el.title = make("h2", { id: "kb-title", "class": "kb-title" }, T.title);
    el.restart = make("button", { type: "button", "class": "kb-restart" }, T.restart);
    el.close = make("button", { type: "button", "class": "kb-close", "aria-label": T.close });
    el.close.appendChild(make("span", { "aria-hidden": "true" }, "\u00d7"));
    header.appendChild(el.title);
    header.appendChild(el.restart);
    header.appendChild(el.close);

    el.privacy = make("p", { "class": "kb-privacy" }, T.privacy);
    el.booking = make("p", { "class": "kb-booking", hidden: "" });
    el.status = make("div", { "class": "kb-status", role: "status", "aria-live": "polite" });
    // A scrollable live region around a plain list: <ol> itself may not take role="log".
    el.logBox = make("div", { "class": "kb-log", role: "log", "aria-live": "polite", "aria-label": T.conversation,
                              tabindex: "0" });
    el.log = make("ol", { "class": "kb-list" });
    el.logBox.appendChild(el.log);
    // A status region that is always there, so "Assistenten skriver …" is
    // announced when its text appears (a region shown from display:none is not).
    el.typingBox = make("div", { "class": "kb-typing-box", role: "status", "aria-live": "polite" });
    el.typing = make("p", { "class": "kb-typing", hidden: "" });
    el.typingBox.appendChild(el.typing);

    el.cpr = make("div", { "class": "kb-cpr", role: "alertdialog", "aria-labelledby": "kb-cpr-text", hidden: "" });
    el.cprText = make("p", { id: "kb-cpr-text" }, T.cprWarning);
    el.cprRemove = make("button", { type: "button", "class": "kb-primary" }, T.cprRemove);
    el.cprEdit = make("button", { type: "button" }, T.cprEdit);
    el.cpr.appendChild(el.cprText);
    el.cpr.appendChild(el.cprRemove);
    el.cpr.appendChild(el.cprEdit);

    el.confirm = make("div", { "class": "kb-confirm", role: "alertdialog", "aria-labelledby": "kb-confirm-text",
                               hidden: "" });
    el.confirmText = make("p", { id: "kb-confirm-text" });
    el.confirmYes = make("button", { type: "button", "class": "kb-primary" }, T.restartYes);
    el.confirmNo = make("button", { type: "button" }, T.restartNo);
    el.confirm.appendChild(el.confirmText);
    el.confirm.appendChild(el.confirmYes);
    el.confirm.appendChild(el.confirmNo);

    el.form = make("form", { "class": "kb-form" });
    var label = el.label = make("label", { "for": "kb-input", "class": "kb-label" }, T.label);
    el.input = make("textarea", { id: "kb-input", rows: "2", maxlength: "2000", placeholder: T.placeholder,
                                  autocomplete: "off" });
    el.send = make("button", { type: "submit", "class": "kb-send kb-primary" }, T.send);
    el.form.appendChild(label);
    el.form.appendChild(el.input);
    el.form.appendChild(el.send);

    [header, el.privacy, el.booking, el.status, el.logBox, el.typingBox, el.cpr, el.confirm, el.form].forEach(function (node) {
      el.panel.appendChild(node);
    });
    el.root.appendChild(el.panel);
    el.root.appendChild(el.launcher);
    document.body.appendChild(el.root);

    el.launcher.addEventListener("click", function () { setOpen(!state.open, true); });
    el.close.addEventListener("click", function () { setOpen(false, true); });
    el.restart.addEventListener("click", askRestart);
    el.confirmYes.addEventListener("click", restart);
    el.confirmNo.addEventListener("click", function () { el.confirm.hidden = true; el.restart.focus(); });
    el.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        // Escape closes only what is open on top: the warning or the question, then the chat.
        if (!el.cpr.hidden) { dismissCpr(); return; }
        if (!el.confirm.hidden) { el.confirm.hidden = true; el.restart.focus(); return; }
        setOpen(false, true);
      } else if (event.key === "Tab") {
        trapFocus(event);
      }
    });
    document.addEventListener("focusin", keepFocusVisible);
    el.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter makes a new line.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    el.form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
    el.cprRemove.addEventListener("click", function () {
      var text = removeCpr(el.input.value);
      hideCpr();
      el.input.value = "";
      send(text, text);
    });
    el.cprEdit.addEventListener("click", function () { hideCpr(); el.input.focus(); });
  }

  function applyConfig() {
    // The phone number arrives with the settings: say it in the disclosure.
    var intro = el.log.querySelector(".kb-intro .kb-text");
    if (intro) { intro.textContent = ""; appendText(intro, introText("da")); }
    if (config.name) {
      el.launcherText.textContent = "Chat med " + config.name;
      el.title.textContent = config.name + " – " + T.title.toLowerCase();
    }
    if (config.colour) el.root.style.setProperty("--kb-colour", config.colour);
  }

  function setOpen(open, moveFocus) {
    state.open = open;
    save();
    el.panel.hidden = !open;
    el.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    el.root.classList.toggle("kb-is-open", open);
    if (!moveFocus) return;
    if (open) { el.input.focus(); scrollDown(); } else { el.launcher.focus(); }
  }

  function scrollDown() {
    el.logBox.scrollTop = el.logBox.scrollHeight;
  }

  // A new reply opens at its first line, where the main link is, not at its
  // end; the scroll container is the log, or the panel at 400 % zoom
  // (widget.css), so the browser finds it.
  function showStart(item) {
    if (item && item.scrollIntoView) item.scrollIntoView({ block: "start", inline: "nearest" });
  }

  // On a phone the open panel covers the page: Tab stays inside it, so focus
  // never lands on a page element hidden behind it (WCAG 2.4.11).
  var COVERS_PAGE = "(max-width: 480px), (max-height: 420px)";

  function trapFocus(event) {
    if (!state.open || !window.matchMedia || !window.matchMedia(COVERS_PAGE).matches) return;
    var stops = Array.prototype.filter.call(
      el.panel.querySelectorAll("a[href], button, textarea, [tabindex]:not([tabindex='-1'])"),
      function (node) { return !node.disabled && node.getClientRects().length > 0; });
    if (!stops.length) return;
    var first = stops[0], last = stops[stops.length - 1], active = document.activeElement;
    if (event.shiftKey && (active === first || !el.panel.contains(active))) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (active === last || !el.panel.contains(active))) { event.preventDefault(); first.focus(); }
  }

  // A page element that gets focus behind the closed launcher (at 400 %
  // zoom it covers a good part of the page) or the open panel (beside the
  // page on a wide screen) is scrolled clear of it; where the page cannot
  // scroll further, the closed launcher moves to the top.
  function keepFocusVisible(event) {
    // After the browser has scrolled the newly focused element into view.
    var target = event.target;
    window.requestAnimationFrame(function () { clearOfWidget(target); });
  }

  function clearOfWidget(target) {
    if (!target || !target.getBoundingClientRect || el.root.contains(target)) return;
    var cover = state.open ? el.panel : el.launcher;
    if (!state.open) el.root.classList.remove("kb-tucked");
    var covered = overlap(target.getBoundingClientRect(), cover.getBoundingClientRect());
    if (!covered) return;
    window.scrollBy(0, covered + 8);
    if (!state.open && overlap(target.getBoundingClientRect(), cover.getBoundingClientRect())) {
      el.root.classList.add("kb-tucked");
    }
  }

  // How far the bottom of ``a`` reaches into ``b``; 0 when they do not meet.
  function overlap(a, b) {
    if (a.right <= b.left || a.left >= b.right || a.bottom <= b.top || a.top >= b.bottom) return 0;
    return a.bottom - b.top;
  }

  // Escape in the CPR warning: the warning closes and the number leaves the
  // input; the chat stays open.
  function dismissCpr() {
    el.input.value = removeCpr(el.input.value);
    hideCpr();
    el.input.focus();
  }

  // The booking form's questions say what they ask for, so the browser can
  // offer the citizen's name or number (WCAG 1.3.5).
  function expect(kind) {
    var purpose = kind === "name" ? "name" : kind === "tel" ? "tel" : "off";
    el.input.setAttribute("autocomplete", purpose);
    if (purpose === "tel") el.input.setAttribute("inputmode", "tel");
    else if (kind === "digits") el.input.setAttribute("inputmode", "numeric");
    else el.input.removeAttribute("inputmode");
    el.label.textContent = purpose === "name" ? T.labelName : purpose === "tel" ? T.labelTel
      : kind === "digits" ? T.labelDigits : T.label;
  }

  // Links in the assistant's text become real links; everything else stays text.
  var URL_RE = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;

  function appendText(parent, text) {
    var last = 0;
    text.replace(URL_RE, function (url, offset) {
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = make("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url);
      link.appendChild(make("span", { "class": "kb-visually-hidden" }, " " + T.newWindow));
      parent.appendChild(link);
      last = offset + url.length;
      return url;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // How to reach a person: the booked callback, or the municipality's
  // verified phone number (else its website, where the number is).
  function introText(lang) {
    var name = config.name || (lang === "en" ? "the municipality" : "kommunen"), reach;
    if (config.phone) {
      reach = name + (lang === "en" ? " on " : " på ") + config.phone +
        (config.phoneHours ? " (" + config.phoneHours + ")" : "") + ".";
    } else {
      reach = name + (lang === "en" ? " (the phone number is on " : " (telefonnummeret står på ") +
        (config.website || (lang === "en" ? "the municipality's website" : "kommunens hjemmeside")) + ").";
    }
    if (lang === "en") return T_EN.intro.replace("{name}", reach);
    return T.intro + "\n" + T.person.replace("{name}", reach);
  }

  // The whole log is drawn only at start and on "Start forfra"; afterwards
  // messages are appended or replaced one at a time, so a screen reader
  // announces each new message once instead of the whole conversation again.
  function render() {
    el.log.textContent = "";
    // The disclosure stays at the top of every conversation.
    el.log.appendChild(renderOne({ from: "bot", text: introText("da"), intro: true }));
    state.messages.forEach(function (message, index) {
      el.log.appendChild(renderOne(message, index === state.messages.length - 1));
    });
    scrollDown();
  }

  function add(message) {
    // Earlier quick replies no longer apply once the conversation moves on.
    Array.prototype.forEach.call(el.log.querySelectorAll(".kb-buttons, .kb-feedback"), function (node) {
      node.parentNode.removeChild(node);
    });
    var item = renderOne(message, true);
    el.log.appendChild(item);
    // The citizen's own message: to the end. A reply: to the start of its first message.
    if (message.from === "bot" && pending.length > 1) return;
    if (message.from === "bot") showStart(item); else scrollDown();
  }

  function update(message) {
    var old = el.log.querySelector('[data-id="' + message.id + '"]');
    var isLast = state.messages[state.messages.length - 1] === message;
    if (old) old.parentNode.replaceChild(renderOne(message, isLast), old);
  }

  function renderOne(message, isLast) {
    var item = make("li", { "class": "kb-msg kb-" + message.from });
    if (message.id) item.setAttribute("data-id", message.id);
    if (message.intro) item.classList.add("kb-intro");
    item.appendChild(make("span", { "class": "kb-visually-hidden" }, (message.from === "user" ? T.you : T.bot) + ": "));
    var body = make("p", { "class": "kb-text" });
    appendText(body, message.text || "");
    item.appendChild(body);
    if (message.lang) item.setAttribute("lang", message.lang);
    if (message.booked) markBooked(item, message);
    if (message.answer && !message.rated && isLast) item.appendChild(askAnswered(message));
    if (message.from === "user" && message.status === "failed") {
      item.classList.add("kb-failed");
      var failed = make("p", { "class": "kb-failed-note" }, T.notSent + " ");
      var again = make("button", { type: "button", "class": "kb-resend" }, T.resend);
      again.addEventListener("click", function () { resend(message.id); });
      failed.appendChild(again);
      item.appendChild(failed);
    }
    if (message.buttons && message.buttons.length && isLast) {
      var group = make("div", { "class": "kb-buttons", role: "group", "aria-label": "Svarmuligheder" });
      message.buttons.forEach(function (button) {
        var choice = make("button", { type: "button", "class": "kb-choice" }, button.title);
        choice.addEventListener("click", function () {
          send(button.payload, button.title);
          el.input.focus(); // the pressed button is gone; continue where the citizen types
        });
        group.appendChild(choice);
      });
      item.appendChild(group);
    }
    return item;
  }

  // The card comes only from the action's booking event (the reply's mark),
  // never from a reference in the text: a cancellation, "which number?" or
  // "not found" also name one.
  function markBooked(item, message) {
    item.classList.add("kb-confirmation");
    var title = (message.lang === "en" ? T_EN.booked : T.booked) + ": " + message.booked;
    item.insertBefore(make("p", { "class": "kb-confirmation-title" }, title), item.querySelector(".kb-text"));
  }

  // "Fik du svar?" under the latest answer: yes or no, then for a no an
  // optional reason from a fixed list; sent to the widget server without
  // any text (bot/records/feedback.py), once per answer.
  function askAnswered(message) {
    var words = message.lang === "en" ? T_EN : T;
    var box = make("div", { "class": "kb-feedback", role: "group", "aria-label": words.asked });
    var question = make("p", { "class": "kb-feedback-question" }, words.asked);
    box.appendChild(question);
    var choices = make("div", { "class": "kb-buttons" });
    [[true, words.yes], [false, words.no]].forEach(function (pair) {
      var choice = make("button", { type: "button", "class": "kb-choice" }, pair[1]);
      choice.addEventListener("click", function () {
        if (pair[0]) { rate(message, box, true, null); return; }
        question.textContent = words.why;
        choices.textContent = "";
        words.reasons.forEach(function (reason) {
          var why = make("button", { type: "button", "class": "kb-choice" }, reason[1]);
          why.addEventListener("click", function () { rate(message, box, false, reason[0]); });
          choices.appendChild(why);
        });
        choices.firstChild.focus();
      });
      choices.appendChild(choice);
    });
    box.appendChild(choices);
    return box;
  }

  function rate(message, box, answered, reason) {
    var parts = String(message.answer).split("/");
    message.rated = true;
    save();
    box.textContent = "";
    box.appendChild(make("p", { "class": "kb-feedback-thanks", role: "status" },
                         (message.lang === "en" ? T_EN : T).thanks));
    el.input.focus();
    fetch(BASE + "feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ kommune: KOMMUNE || config.kommune, topic: parts[0], situation: parts[1] || null,
                             answered: answered, reason: reason })
    }).catch(function () { /* an answer that is not counted costs the citizen nothing */ });
  }

  function showBooking() {
    el.booking.hidden = !state.booking;
    el.booking.textContent = state.booking ? T.bookedKept.replace("{ref}", state.booking) : "";
  }

  // A reply's mark (glue/turn.py): its language and, for a booking or a
  // cancellation, the event. Applied to the messages that already stand
  // (socket.io sends it after them) without redrawing them, so a screen
  // reader hears only what the mark adds.
  function applyMark(mark) {
    if (!mark || typeof mark !== "object") return;
    var lang = mark.lang === "en" || mark.lang === "da" ? mark.lang : null;
    var reference = typeof mark.reference === "string" && /^CB-\d{4}-\d{6}$/.test(mark.reference) ? mark.reference : null;
    var marked = pending;
    pending = [];
    expect(mark.expects);
    if (lang === "en" && !state.toldInEnglish && marked.length) discloseInEnglish(marked[0]);
    marked.forEach(function (message, index) {
      var item = el.log.querySelector('[data-id="' + message.id + '"]');
      if (lang) { message.lang = lang; if (item) item.setAttribute("lang", lang); }
      if (typeof mark.answer === "string" && index === marked.length - 1 && /^[a-z0-9_]+(\/[a-z0-9_]+)?$/.test(mark.answer)) {
        message.answer = mark.answer;
        if (item && !item.querySelector(".kb-feedback") && item === el.log.lastChild) item.appendChild(askAnswered(message));
      }
      if (mark.event === "callback_booked" && reference && index === marked.length - 1) {
        message.booked = reference;
        if (item) markBooked(item, message);
      }
    });
    if (mark.event === "callback_booked" && reference) state.booking = reference;
    if (mark.event === "callback_cancelled" && reference === state.booking) state.booking = null;
    showBooking();
    save();
  }

  // The disclosure again, in English, before the first English reply.
  function discloseInEnglish(before) {
    var message = { id: newId(), from: "bot", text: introText("en"), lang: "en", buttons: [] };
    state.toldInEnglish = true;
    var at = state.messages.indexOf(before);
    state.messages.splice(at < 0 ? state.messages.length : at, 0, message);
    var node = el.log.querySelector('[data-id="' + before.id + '"]');
    el.log.insertBefore(renderOne(message, false), node);
  }

  function setStatus(text, problem) {
    el.status.textContent = "";
    el.status.classList.toggle("kb-problem", !!problem);
    if (!text) return;
    var line = make("p", {});
    appendText(line, text);
    el.status.appendChild(line);
  }

  function offlineText(lead) {
    var name = config.name || "kommunen";
    lead = lead || T.offline;
    if (config.phone) {
      return lead + " Ring til " + name + " på " + config.phone +
        (config.phoneHours ? " (" + config.phoneHours + ")" : "") + ", eller prøv igen om lidt.";
    }
    return lead + " Kontakt " + name + " – telefonnummeret står på " + (config.website || "kommunens hjemmeside") +
      " – eller prøv igen om lidt.";
  }

  function showCpr() {
    el.cpr.hidden = false;
    el.cprRemove.focus();
  }

  function hideCpr() {
    el.cpr.hidden = true;
  }

  // ------------------------------------------------------------- sending

  function submit() {
    var text = el.input.value.trim();
    if (!text) { el.input.focus(); return; }
    if (findCpr(text).length) { showCpr(); return; }
    el.input.value = "";
    send(text, text);
  }

  function send(payload, shown) {
    pending = [];
    expect(null);
    var message = { id: newId(), from: "user", text: shown, payload: payload, status: "sending" };
    state.messages.push(message);
    save();
    add(message);
    deliver(message);
  }

  function resend(id) {
    var message = state.messages.filter(function (m) { return m.id === id; })[0];
    if (!message) return;
    // Move it to the end, so the answer follows the question.
    state.messages = state.messages.filter(function (m) { return m.id !== id; });
    var old = el.log.querySelector('[data-id="' + id + '"]');
    if (old) old.parentNode.removeChild(old);
    message.status = "sending";
    state.messages.push(message);
    save();
    add(message);
    deliver(message);
    el.input.focus();
  }

  function deliver(message) {
    el.typing.textContent = T.typing;
    el.typing.hidden = false;
    if (socket && socketReady) {
      awaiting = { id: message.id, timer: window.setTimeout(function () { failed(message.id); }, REPLY_TIMEOUT_MS) };
      socket.emit("user_uttered", { message: message.payload, session_id: state.sessionId,
                                     metadata: { kommune: KOMMUNE } });
      return;
    }
    viaRest(message);
  }

  function viaRest(message) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = window.setTimeout(function () { if (controller) controller.abort(); }, REPLY_TIMEOUT_MS);
    fetch(SERVER + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sessionId, message: message.payload, metadata: { kommune: KOMMUNE } }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (replies) {
      window.clearTimeout(timer);
      delivered(message.id);
      // Each part of a reply carries its reply's mark; a new mark ends the reply before it.
      var last = null;
      (replies || []).forEach(function (reply) {
        var mark = reply.custom ? JSON.stringify(reply.custom) : null;
        if (last && last !== mark) applyMark(JSON.parse(last));
        receive({ text: reply.text, buttons: reply.buttons });
        last = mark;
      });
      if (last) applyMark(JSON.parse(last));
      pending = [];
      done();
    }).catch(function () {
      window.clearTimeout(timer);
      failed(message.id);
    });
  }

  function delivered(id) {
    state.messages.forEach(function (m) { if (m.id === id) m.status = "sent"; });
    setStatus("");
  }

  function failed(id) {
    if (awaiting && awaiting.id === id) { window.clearTimeout(awaiting.timer); awaiting = null; }
    state.messages.forEach(function (m) {
      if (m.id === id && m.status === "sending") { m.status = "failed"; update(m); }
    });
    save();
    done();
    setStatus(offlineText(), true);
  }

  function done() {
    el.typing.hidden = true;
    el.typing.textContent = "";
  }

  function receive(reply) {
    if (!reply || (!reply.text && !(reply.buttons || []).length)) return;
    var message = { id: newId(), from: "bot", text: reply.text || "", buttons: reply.buttons || [] };
    state.messages.push(message);
    pending.push(message);
    save();
    add(message);
  }

  // "Start forfra" asks first: the conversation leaves the screen. A
  // booking's reference stays (state.booking).
  function askRestart() {
    if (!state.messages.length) { restart(); return; }
    el.confirmText.textContent = T.restartAsk +
      (state.booking ? " " + T.restartAskBooked.replace("{ref}", state.booking) : "");
    el.confirm.hidden = false;
    el.confirmNo.focus();
  }

  function restart() {
    if (awaiting) { window.clearTimeout(awaiting.timer); awaiting = null; }
    el.confirm.hidden = true;
    pending = [];
    state = fresh(state.booking);
    state.open = true;
    save();
    if (socket && socketReady) socket.emit("session_request", { session_id: state.sessionId });
    render();
    done();
    setStatus(T.restartDone);
    el.input.focus();
  }

  // ------------------------------------------------------------ transport

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = make("script", { src: src });
      tag.onload = resolve;
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  function connect() {
    if (!window.io) return;
    // WebSocket only: the server checks the page's origin on connect; the REST
    // channel covers networks where WebSockets are blocked.
    socket = window.io(SERVER, { path: "/socket.io", transports: ["websocket"], reconnection: true,
                                 reconnectionDelay: 1000, reconnectionDelayMax: 5000 });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      // The server issues (and signs) the session id; keep it for reloads
      // and for the REST fallback.
      if (typeof sessionId === "string" && sessionId && sessionId !== state.sessionId) {
        state.sessionId = sessionId;
        save();
      }
      var wasDown = socketReady === false && el.status.classList.contains("kb-problem");
      socketReady = true;
      if (wasDown) setStatus(T.online);
    });
    socket.on("disconnect", function () {
      socketReady = false;
      if (awaiting) failed(awaiting.id);
      else setStatus(offlineText(T.reconnecting), true);
    });
    socket.on("kommunebot_mark", applyMark);
    socket.on("bot_uttered", function (data) {
      if (awaiting) {
        window.clearTimeout(awaiting.timer);
        delivered(awaiting.id);
        awaiting = null;
      }
      var buttons = (data && (data.quick_replies || data.buttons)) || [];
      receive({ text: data && data.text, buttons: buttons.map(function (b) {
        return { title: b.title, payload: b.payload };
      }) });
      // Replies come as several events without an end marker: keep the
      // indicator briefly in case more follow.
      window.clearTimeout(receive.quiet);
      receive.quiet = window.setTimeout(done, 400);
    });
  }

  function start() {
    build();
    render();
    showBooking();
    setOpen(state.open, false);
    fetch(BASE + "config.json?kommune=" + encodeURIComponent(KOMMUNE))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) { if (c) { config = c; applyConfig(); } })
      .catch(function () { /* the widget works with its defaults */ });
    // Until the socket is ready (or if its client cannot load), messages go over REST.
    loadScript(BASE + "socket.io.min.js").then(connect).catch(function () { /* REST only */ });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
