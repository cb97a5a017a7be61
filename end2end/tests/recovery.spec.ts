import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import * as OTPAuth from "otpauth";
import PostalMime from "postal-mime";
import { SMTPServer } from "smtp-server";
import {
  test,
  expect,
  signUp,
  logIn,
  otherDevice,
  row,
  waitForHydration,
  waitForMail,
  linkTo,
  uniqueEmail,
  AGENTS,
  PASSWORD,
  PASSKEY_BASE_URL,
  PASSKEY_OUTBOX,
  REAUTH_BASE_URL,
  SMTP_BASE_URL,
  SMTP_PORT,
  type Mail,
} from "./fixtures";
import type { Page } from "@playwright/test";

const noViolations = async (page: Page) => expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

function code(secret: string, steps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
  return totp.generate({ timestamp: Date.now() + steps * 30_000 });
}

/** Chromium's virtual authenticator, as in passkeys.spec.ts. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

/** Turns the authenticator app on from `base`'s account settings. */
async function turnOnTwoFactor(page: Page, base = ""): Promise<string> {
  await page.goto(`${base}/settings/account`);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page).toHaveURL(/\/settings\/two-factor$/);
  const secret = (await page.getByLabel("Setup key").inputValue()).replace(/\s+/g, "");
  await expect(page.getByRole("link", { name: "open it in your authenticator app" })).toHaveAttribute("href", /^otpauth:\/\//);
  await page.getByLabel("Authentication code").fill(code(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await page.getByRole("button", { name: "I have saved them" }).click();
  return secret;
}

const screenshot = async (page: Page, name: string) => {
  if (!process.env.SCREENSHOTS) return;
  const dir = name.startsWith("review-") ? resolve(__dirname, "../../docs/screenshots") : resolve(__dirname, "../test-results/screens");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
};

test("an intruder's passkey and two-factor go with its session", async ({ page, newDevice }, testInfo) => {
  // The owner, and an intruder who has the password, on a second device.
  const email = uniqueEmail("owner");
  await page.goto(`${PASSKEY_BASE_URL}/signup`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/active-sessions$/);
  const intruder = await newDevice({ userAgent: AGENTS.firefoxWindows });
  await virtualAuthenticator(intruder);
  await intruder.goto(`${PASSKEY_BASE_URL}/login`);
  await intruder.getByLabel("Email").fill(email);
  await intruder.getByLabel("Password").fill(PASSWORD);
  await intruder.getByRole("button", { name: "Log in" }).click();
  await expect(intruder).toHaveURL(/\/active-sessions$/);

  // It adds a passkey and turns on two-factor authentication.
  await intruder.goto(`${PASSKEY_BASE_URL}/settings/account#passkeys`);
  const section = intruder.getByRole("region", { name: "Passkeys" });
  await section.getByLabel("Passkey name").fill("Spare key");
  await section.getByRole("button", { name: "Add a passkey" }).click();
  await expect(intruder.getByRole("list", { name: "Passkeys" })).toContainText("Spare key");
  await turnOnTwoFactor(intruder, PASSKEY_BASE_URL);
  // The owner is told.
  const added = await waitForMail(email, "A passkey was added to your account", PASSKEY_OUTBOX);
  expect(added.text).toContain("Firefox on Windows");
  expect(added.text).toMatch(/\/not-me\?token=/);

  // The owner disowns it from its row.
  await page.goto(`${PASSKEY_BASE_URL}/active-sessions`);
  await waitForHydration(page);
  await page.getByRole("button", { name: /^Session actions — Firefox on Windows/ }).click();
  await page.getByRole("menuitem", { name: "This wasn't me" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sign them out" }).click();
  await expect(page).toHaveURL(/\/settings\/review\?msg=/);
  await expect(page.getByRole("heading", { name: "Review sign-in methods" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Removed: passkey \u201cSpare key\u201d, added from Firefox on Windows" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Removed: authenticator app" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Done" })).toBeVisible();
  await noViolations(page);
  await screenshot(page, `review-${testInfo.project.name}`);

  // The passkey no longer signs in.
  await intruder.goto(`${PASSKEY_BASE_URL}/login`);
  await intruder.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(intruder.getByRole("alert")).toContainText("That passkey could not be used");
  await expect(intruder).toHaveURL(/\/login/);

  // The owner's next sign-in, on a third device, is not asked for the intruder's code.
  const third = await newDevice();
  await third.goto(`${PASSKEY_BASE_URL}/login`);
  await third.getByLabel("Email").fill(email);
  await third.getByLabel("Password").fill(PASSWORD);
  await third.getByRole("button", { name: "Log in" }).click();
  await expect(third).toHaveURL(/\/active-sessions$/);
});

test("an authenticator set-up begun by the owner is invisible to another session", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const other = await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await page.goto("/settings/account");
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.getByLabel("Setup key")).toBeVisible();
  await other.goto("/settings/two-factor");
  await expect(other.getByText("There is no authenticator app being set up")).toBeVisible();
  await expect(other.getByLabel("Setup key")).toHaveCount(0);
});

test("an outsider's failed log-ins never stop the owner confirming with the password", async ({ page, newDevice, request }) => {
  const base = REAUTH_BASE_URL;
  const email = uniqueEmail("flooded");
  await page.goto(`${base}/signup`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  const other = await newDevice({ userAgent: AGENTS.firefoxWindows, baseURL: base });
  await logIn(other, email);
  await expect(other).toHaveURL(/\/active-sessions$/);
  // Fourteen wrong log-ins for the owner's email, from elsewhere: its budget is spent.
  const statuses: number[] = [];
  for (let i = 0; i < 14; i++) {
    const res = await request.post(`${base}/api/login`, {
      headers: { origin: base, accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      data: `email=${encodeURIComponent(email)}&password=guess-${i}`,
    });
    statuses.push(res.status());
  }
  expect(statuses).toContain(429);
  // The owner, once the window after the last password entry has passed, ends the other.
  await expect
    .poll(async () => {
      const res = await page.request.post(`${base}/api/sessions/list`, {
        headers: { origin: base, accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
        data: "",
      });
      const list = await res.json();
      return list.now > list.reauth_until;
    }, { timeout: 10_000 })
    .toBe(true);
  await page.goto(`${base}/active-sessions`);
  await waitForHydration(page);
  await page.getByRole("button", { name: /^Session actions — Firefox on Windows/ }).click();
  await page.getByRole("menuitem", { name: "Terminate" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Password").fill(PASSWORD);
  await dialog.getByRole("button", { name: "Terminate" }).click();
  await expect(row(page, "Firefox on Windows")).toHaveCount(0);
});

test("a change of how one signs in is emailed, and its \"This wasn't me\" undoes it", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const intruder = await otherDevice(newDevice, email, AGENTS.firefoxWindows, "81.2.69.142");
  await turnOnTwoFactor(intruder);
  // The owner's open tab says so at once.
  await page.goto("/active-sessions");
  const mail: Mail = await waitForMail(email, "Two-factor authentication was turned on");
  expect(mail.text).toContain("Firefox on Windows");
  expect(mail.text).toContain("London, United Kingdom (IP address 81.2.69.142)");
  const owner = await newDevice();
  await owner.goto(linkTo(mail, "/not-me"));
  await expect(owner.getByText(/Firefox on Windows in London, United Kingdom/)).toBeVisible();
  await owner.getByRole("button", { name: "This wasn't me" }).click();
  await expect(owner.getByRole("status")).toContainText("The 2 sign-in methods that device had added were removed");
  await noViolations(owner);
  await intruder.goto("/active-sessions");
  await expect(intruder.getByRole("status")).toHaveText("Your session was ended from another device");
  const reset = await waitForMail(email, "Set a new password");
  expect(reset.text).toContain("Removed: authenticator app, added from Firefox on Windows in London, United Kingdom");
  await owner.goto(linkTo(reset, "/reset-password"));
  await owner.getByLabel("New password").fill("mine again, and only mine");
  await owner.getByRole("button", { name: "Set new password" }).click();
  await expect(owner.getByRole("heading", { name: "Review sign-in methods" })).toBeVisible();
  // Two-factor is off again: the review offers it, and a new device signs in with the password.
  await expect(owner.getByRole("button", { name: "Set up authenticator app" })).toBeVisible();
});

test.describe("with mail over SMTP", () => {
  // One listener on one port: the desktop project runs it (the page is the same on a phone).
  test.skip(({ isMobile }) => isMobile, "one SMTP listener per run");
  let server: SMTPServer;
  const received: Mail[] = [];

  test.beforeAll(async () => {
    server = new SMTPServer({
      // The app keeps its SMTP connection pooled: closing does not wait for it.
      closeTimeout: 200,
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", async () => {
          const mail = await PostalMime.parse(Buffer.concat(chunks));
          received.push({ to: mail.to?.[0]?.address ?? "", subject: mail.subject ?? "", text: mail.text ?? "", html: mail.html ?? "" });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(SMTP_PORT, "127.0.0.1", () => resolve());
    });
  });

  test.afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function smtpMail(to: string, subject: RegExp): Promise<Mail> {
    let found: Mail | undefined;
    await expect
      .poll(() => {
        found = received.find((m) => m.to === to && subject.test(m.subject));
        return !!found;
      }, { message: `a mail ${subject} to ${to} over SMTP`, timeout: 10_000 })
      .toBe(true);
    return found!;
  }

  test("a new browser needs the code emailed to the account", async ({ page, newDevice }) => {
    const email = uniqueEmail("verified");
    await page.goto(`${SMTP_BASE_URL}/signup`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("status")).toContainText("Check your email");
    const welcome = await smtpMail(email, /^Finish creating your account$/);
    await page.goto(`${SMTP_BASE_URL}${linkTo(welcome, "/verify-email")}`);
    await page.getByRole("button", { name: "Confirm and sign in" }).click();
    await expect(page).toHaveURL(/\/active-sessions$/);

    const other = await newDevice({ userAgent: AGENTS.firefoxWindows });
    await other.goto(`${SMTP_BASE_URL}/login`);
    await other.getByLabel("Email").fill(email);
    await other.getByLabel("Password").fill(PASSWORD);
    await other.getByRole("button", { name: "Log in" }).click();
    await expect(other).toHaveURL(/\/login\/verify$/);
    await expect(other.getByRole("heading", { name: "Check your email" })).toBeVisible();
    await noViolations(other);
    // No session yet.
    await other.goto(`${SMTP_BASE_URL}/active-sessions`);
    await expect(other).toHaveURL(/\/login/);
    await other.goto(`${SMTP_BASE_URL}/login/verify`);
    const mail = await smtpMail(email, /^Your sign-in code: \d{6}$/);
    const sent = mail.subject.slice(-6);
    await other.getByLabel("Verification code").fill(sent);
    await other.getByRole("button", { name: "Verify" }).click();
    await expect(other).toHaveURL(/\/active-sessions$/);
    await expect(row(other, "Firefox on Windows")).toContainText("Current session");
  });
});
