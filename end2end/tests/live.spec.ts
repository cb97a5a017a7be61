import { test, expect, signUp, otherDevice, waitForHydration, row, AGENTS, PASSWORD, type Page } from "./fixtures";

/** The alert a tab shows by itself when its session ends. */
async function expectSignedOut(page: Page, reason: string) {
  const alert = page.getByRole("alert").filter({ hasText: "signed out" });
  await expect(alert).toBeVisible({ timeout: 1000 });
  await expect(alert).toContainText(reason);
  await expect(alert.getByRole("link", { name: "Log in" })).toBeVisible();
}

/** Waits until the page's event stream is open. */
async function streaming(page: Page) {
  await expect(page.locator("#live-status[data-stream=open]")).toHaveCount(1, { timeout: 10_000 });
}

test("a tab learns within a second that its session was terminated elsewhere", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const b = await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await b.goto("/settings/account");
  await streaming(b);
  await page.reload();
  await waitForHydration(page);
  await row(page, "Firefox on Windows").getByRole("button", { name: /^Session actions/ }).click();
  await page.getByRole("menuitem", { name: "Terminate" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Terminate" }).click();
  await expectSignedOut(b, "Your session was ended from another device");
});

test("every other tab is told when all other sessions are logged out, or the password changes", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const b = await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  const c = await otherDevice(newDevice, email, AGENTS.edgeWindows);
  await streaming(b);
  await streaming(c);
  await page.reload();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Log out all other sessions" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Log out all" }).click();
  await expectSignedOut(b, "Your session was ended from another device");
  await expectSignedOut(c, "Your session was ended from another device");

  const d = await otherDevice(newDevice, email, AGENTS.safariIphone);
  await streaming(d);
  await page.goto("/settings/account");
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill("a new and different passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expectSignedOut(d, "Your password was changed");
});

test("the list gains and loses rows by itself, and announces a new sign-in", async ({ page, newDevice }) => {
  const email = await signUp(page);
  await page.reload();
  await waitForHydration(page);
  await streaming(page);
  const list = page.getByRole("list", { name: "Active sessions" });
  await expect(list.getByRole("listitem")).toHaveCount(1);
  const b = await otherDevice(newDevice, email, AGENTS.firefoxWindows, "81.2.69.142");
  await expect(list.getByRole("listitem")).toHaveCount(2);
  await expect(row(page, "Firefox on Windows")).toContainText("London, United Kingdom");
  await expect(page.getByRole("status").filter({ hasText: "New sign-in: Firefox on Windows, London, United Kingdom" })).toBeVisible();
  // The new row works like the others: its menu opens.
  await row(page, "Firefox on Windows").getByRole("button", { name: /^Session actions/ }).click();
  await expect(page.getByRole("menuitem", { name: "Terminate" })).toBeVisible();
  await page.keyboard.press("Escape");
  // It logs out on its own: the row goes.
  await b.getByRole("button", { name: "Log out" }).first().click();
  await expect(list.getByRole("listitem")).toHaveCount(1);
});

test("offline: an action says the server could not be reached and the row stays; the stream reconnects", async ({ page, newDevice, context }) => {
  const email = await signUp(page);
  await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await page.reload();
  await waitForHydration(page);
  await streaming(page);
  await context.setOffline(true);
  await row(page, "Firefox on Windows").getByRole("button", { name: /^Session actions/ }).click();
  await page.getByRole("menuitem", { name: "Terminate" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: "Terminate" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("Could not reach the server. Check your connection and try again.");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(row(page, "Firefox on Windows")).toHaveCount(1);
  await expect(page.getByRole("status").filter({ hasText: "Reconnecting…" })).toBeVisible({ timeout: 10_000 });
  await context.setOffline(false);
  await expect(page.getByRole("status").filter({ hasText: "Reconnecting…" })).toHaveCount(0, { timeout: 15_000 });
  await expect(row(page, "Firefox on Windows")).toHaveCount(1);
});
