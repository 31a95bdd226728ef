/* Passkeys (WebAuthn), the browser's half; the server's is postgov/identity/passkeys.py.

   A form marked data-passkey="create" or "get" names, in data-options, a JSON script
   element holding the options the server made. Its [data-passkey-start] button asks the
   authenticator, puts the answer (JSON, binary fields base64url-encoded, as py_webauthn
   reads it) into the form's hidden "credential" field and submits the form.
   Elements marked data-passkey-supported stay hidden unless this browser runs
   JavaScript and knows WebAuthn: without them, passkeys are simply not offered;
   elements marked data-passkey-unsupported (the explanation) are hidden when it does. */
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = { type: item.type, id: toBytes(item.id) };
      if (item.transports) copy.transports = item.transports;
      return copy;
    });
  }

  function publicKey(kind, options) {
    options.challenge = toBytes(options.challenge);
    if (kind === "create") {
      options.user.id = toBytes(options.user.id);
      options.excludeCredentials = descriptors(options.excludeCredentials);
    } else {
      options.allowCredentials = descriptors(options.allowCredentials);
    }
    return options;
  }

  function answer(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (credential.authenticatorAttachment) {
      out.authenticatorAttachment = credential.authenticatorAttachment;
    }
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(out);
  }

  document.querySelectorAll("[data-passkey-supported]").forEach(function (element) {
    element.hidden = false;
  });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (element) {
    element.hidden = true;
  });

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var kind = form.dataset.passkey;
    var source = document.getElementById(form.dataset.options);
    var button = form.querySelector("[data-passkey-start]");
    var field = form.querySelector("input[name=credential]");
    var problem = form.querySelector("[data-passkey-error]");
    if (!source || !button || !field) return;
    var busy = false;

    function start(event) {
      if (event) event.preventDefault();
      if (busy) return;
      busy = true;
      button.disabled = true;
      if (problem) problem.hidden = true;
      // Fresh options each time: a cancelled attempt may be tried again.
      var options = publicKey(kind, JSON.parse(source.textContent));
      var call =
        kind === "create"
          ? navigator.credentials.create({ publicKey: options })
          : navigator.credentials.get({ publicKey: options });
      call
        .then(function (credential) {
          field.value = answer(credential);
          form.submit();
        })
        .catch(function () {
          busy = false;
          button.disabled = false;
          if (problem) problem.hidden = false;
        });
    }

    button.addEventListener("click", start);
    if (kind === "create") {
      // Enter in the name field starts the ceremony rather than posting an empty answer.
      form.addEventListener("submit", function (event) {
        if (!field.value) start(event);
      });
    }
  });
})();
