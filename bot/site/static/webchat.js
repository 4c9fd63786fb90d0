/* Starts rasa-webchat (npm, served from /widget/rasa-webchat.js) against
 * Kommunebot's Rasa server, with the settings our socket.io channel needs.
 * A municipality's own page uses the same call (docs/operations.md):
 *
 *   <script src="https://<this server>/widget/rasa-webchat.js"></script>
 *   <script src="https://<this server>/widget/webchat.js"
 *           data-server="https://<rasa server>" data-kommune="nyborg"></script>
 *
 * A separate file rather than an inline call, so the page's
 * Content-Security-Policy can forbid inline scripts.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var kommune = script.getAttribute("data-kommune") || "";
  window.WebChat.default(
    {
      socketUrl: script.getAttribute("data-server"),
      // Rasa's socket.io channel listens on /socket.io (credentials.yml).
      socketPath: "/socket.io/",
      // Sent with every message; the channel guard passes on only a known
      // municipality key, which picks the municipality's answers per turn.
      customData: { kommune: kommune },
      // Sent as the first (hidden) message of a new conversation, so the
      // assistant greets. Plain words: slash payloads other than the
      // assistant's own buttons are refused by the channel guard.
      initPayload: "hej",
      // The server-issued, signed session id is kept here and sent in
      // session_request after a reload, so the conversation continues.
      params: { storage: "local" },
      title: script.getAttribute("data-title") || "Chatbot",
      // Said from the first look (EU AI Act Art. 50): no person answers here.
      subtitle: "Chatbot med automatiske svar, ikke et menneske",
      inputTextFieldHint: "Skriv dit spørgsmål …",
      connectingText: "Forbinder …",
      showFullScreenButton: false
    },
    null
  );
})();
