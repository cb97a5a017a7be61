// Passkeys in the browser: the WebAuthn ceremonies of adding a passkey and signing in with one.
// Loaded only by the pages that offer passkeys (account settings, log-in), so the Active
// sessions page never downloads it. The browser's own JSON helpers
// (PublicKeyCredential.parse*OptionsFromJSON, credential.toJSON) do the encoding; the server
// (webauthn-rs) does every check.

const supported =
  typeof window.PublicKeyCredential === "function" &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
  typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

/** Calls a passkey server function; its answer as JSON, or an Error with the server's code. */
async function call(endpoint, fields) {
  const res = await fetch(`/api/passkeys/${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(fields),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(text.split(" ")[0] || "internal");
  return text ? JSON.parse(text) : null;
}

/** The sentence the server rendered into `root` for a message code (`data-<code>`). */
function message(root, code) {
  return root.dataset[code.replace(/_(\w)/g, (_, c) => c.toUpperCase())];
}

/** The sentence for what went wrong. */
function sentence(root, error) {
  if (error && error.name === "NotAllowedError") return message(root, "cancelled");
  const code = error instanceof Error ? error.message : "";
  return message(root, code) || message(root, "passkey_failed");
}

function say(root, text) {
  root.querySelector("[role=alert]")?.remove();
  if (!text) return;
  const p = document.createElement("p");
  p.className = "message error";
  p.setAttribute("role", "alert");
  p.textContent = text;
  root.append(p);
}

async function add(form) {
  const fields = new FormData(form);
  const password = fields.get("password");
  const started = await call("add_start", password ? { password } : {});
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(started.options).publicKey);
  const credential = await navigator.credentials.create({ publicKey });
  await call("add_finish", {
    token: started.token,
    credential: JSON.stringify(credential.toJSON()),
    name: fields.get("name"),
  });
  window.location.reload();
}

async function signIn() {
  const started = await call("sign_in_start", {});
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(started.options).publicKey);
  const credential = await navigator.credentials.get({ publicKey });
  const next = await call("sign_in_finish", { token: started.token, credential: JSON.stringify(credential.toJSON()) });
  window.location.assign(next);
}

/** Runs `work` with the button busy, and says what went wrong in `root`. */
function wire(root, button, start) {
  // Without JavaScript the page says passkeys need it; with it, that is not true.
  root.querySelector("[data-needs-js]")?.remove();
  if (!supported) {
    say(root, message(root, "unsupported"));
    return;
  }
  button.disabled = false;
  start(async (work) => {
    if (button.disabled) return;
    button.disabled = true;
    say(root, "");
    try {
      await work();
    } catch (error) {
      say(root, sentence(root, error));
    } finally {
      button.disabled = false;
    }
  });
}

for (const form of document.querySelectorAll("form[data-passkey-add]")) {
  const button = form.querySelector("button[type=submit]");
  wire(form, button, (run) =>
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(() => add(form));
    }),
  );
}

for (const root of document.querySelectorAll("[data-passkey-sign-in]")) {
  const button = root.querySelector("button");
  wire(root, button, (run) => button.addEventListener("click", () => run(signIn)));
}
