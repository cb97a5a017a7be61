import AxeBuilder from "@axe-core/playwright";
import * as OTPAuth from "otpauth";
import { test, expect, signUp, logIn, PASSWORD, type Page } from "./fixtures";

/** The code an authenticator app shows `steps` steps from now, from the page's setup key. */
function code(secret: string, steps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
  return totp.generate({ timestamp: Date.now() + steps * 30_000 });
}

async function axeClean(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations).toEqual([]);
}

/** Turns the authenticator app on from the account settings; returns the secret and the codes. */
async function turnOnTwoFactor(page: Page): Promise<{ secret: string; codes: string[] }> {
  await page.goto("/settings/account");
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page).toHaveURL(/\/settings\/two-factor$/);
  const key = page.getByLabel("Setup key");
  await expect(key).toBeVisible();
  const secret = (await key.inputValue()).replace(/\s+/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  await axeClean(page);
  await page.getByLabel("Authentication code").fill(code(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  const list = page.getByRole("list", { name: "Recovery codes" });
  await expect(list.getByRole("listitem")).toHaveCount(10);
  const codes = await list.getByRole("listitem").allInnerTexts();
  await axeClean(page);
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page).toHaveURL(/\/settings\/account/);
  await expect(page.getByRole("region", { name: "Two-factor authentication" })).toContainText("On.");
  return { secret, codes: codes.map((c) => c.trim()) };
}

test("turn on an authenticator app, then sign in with a code", async ({ page }) => {
  const email = await signUp(page);
  const { secret } = await turnOnTwoFactor(page);
  await page.getByRole("button", { name: "Log out" }).first().click();
  await logIn(page, email);
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible();
  await axeClean(page);
  // The code used to turn it on is spent: the app's next one (one step ahead is accepted).
  await page.getByLabel("Authentication code").fill(code(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/active-sessions$/);
  const row = page.getByRole("list", { name: "Active sessions" }).getByRole("listitem").first();
  await expect(row).toContainText("Current session");
  await expect(row).toContainText("Password + authenticator app");
  // With two-factor on, the page no longer suggests it.
  await expect(page.getByText("Set up two-factor authentication")).toHaveCount(0);
});

test("a recovery code signs in once", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const { codes } = await turnOnTwoFactor(page);
  const other = await newDevice();
  await logIn(other, email);
  await expect(other).toHaveURL(/\/login\/two-factor$/);
  await other.getByRole("link", { name: "Use a recovery code" }).click();
  await other.getByLabel("Recovery code").fill(codes[0]);
  await other.getByRole("button", { name: "Verify" }).click();
  await expect(other).toHaveURL(/\/active-sessions$/);
  await expect(other.getByRole("list", { name: "Active sessions" }).getByRole("listitem").first()).toContainText(
    "Password + recovery code",
  );
  // The same code again, from a third browser: refused.
  const third = await newDevice();
  await logIn(third, email);
  await third.getByRole("link", { name: "Use a recovery code" }).click();
  await third.getByLabel("Recovery code").fill(codes[0]);
  await third.getByRole("button", { name: "Verify" }).click();
  await expect(third.getByRole("alert")).toContainText("That code is not right");
  await third.goto("/active-sessions");
  await expect(third).toHaveURL(/\/login/);
});

test("the Active sessions page suggests two-factor authentication while it is off", async ({ page }) => {
  await signUp(page);
  const nudge = page.getByRole("complementary", { name: "Add a second step to sign-ins" });
  await expect(nudge).toBeVisible();
  await nudge.getByRole("link", { name: "Set up two-factor authentication" }).click();
  await expect(page.getByRole("button", { name: "Set up authenticator app" })).toBeVisible();
  await axeClean(page);
});

test("turn two-factor authentication off with the password", async ({ page }) => {
  await signUp(page);
  await turnOnTwoFactor(page);
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByLabel("Password").fill(PASSWORD);
  await section.getByRole("button", { name: "Turn off two-factor authentication" }).click();
  await expect(page.getByRole("region", { name: "Two-factor authentication" })).toContainText("Off.");
  await expect(page.getByRole("status").filter({ hasText: "Two-factor authentication is off." })).toBeVisible();
});
