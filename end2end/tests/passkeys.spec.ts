import AxeBuilder from "@axe-core/playwright";
import { test, expect, uniqueEmail, PASSWORD, PASSKEY_BASE_URL, type Page } from "./fixtures";

/** Chromium's virtual authenticator (DevTools protocol): a platform authenticator that keeps
 * discoverable credentials and verifies the user without asking. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

test("add a passkey and sign in with it, no email needed", async ({ page }) => {
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const email = uniqueEmail("passkey");
  await page.goto(`${PASSKEY_BASE_URL}/signup`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/active-sessions$/);

  await page.goto(`${PASSKEY_BASE_URL}/settings/account#passkeys`);
  const section = page.getByRole("region", { name: "Passkeys" });
  await section.getByLabel("Passkey name").fill("Test laptop");
  const add = section.getByRole("button", { name: "Add a passkey" });
  await expect(add).toBeEnabled();
  await add.click();
  await expect(page.getByRole("list", { name: "Passkeys" }).getByRole("listitem")).toHaveCount(1);
  await expect(page.getByRole("list", { name: "Passkeys" })).toContainText("Test laptop");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations).toEqual([]);

  await page.getByRole("button", { name: "Log out" }).first().click();
  await expect(page).toHaveURL(/\/login/);
  const passkey = page.getByRole("button", { name: "Sign in with a passkey" });
  await expect(passkey).toBeEnabled();
  await passkey.click();
  await expect(page).toHaveURL(/\/active-sessions$/);
  const row = page.getByRole("list", { name: "Active sessions" }).getByRole("listitem").first();
  await expect(row).toContainText("Current session");
  await expect(row).toContainText("Passkey");
});

test("passkey buttons say they need JavaScript when it is off", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ ...testInfo.project.use, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${PASSKEY_BASE_URL}/login`);
  await expect(page.getByText("Signing in with a passkey needs JavaScript, which is turned off.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign in with a passkey" })).toBeDisabled();
  await context.close();
});
