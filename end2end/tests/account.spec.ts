import { test, expect, signUp, otherDevice, logIn, AGENTS, PASSWORD } from "./fixtures";

test("change the password and log out the other sessions", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const b = await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await page.goto("/settings/account");
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill("a new and different passphrase");
  await expect(page.getByLabel("Also log out all other sessions")).toBeChecked();
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password changed" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);
  await b.goto("/active-sessions");
  await expect(b.getByRole("status")).toHaveText("Your password was changed, so this device was signed out");
});

test("delete the account", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const b = await otherDevice(newDevice, email, AGENTS.safariIphone);
  await page.goto("/settings/account");
  const danger = page.getByRole("region", { name: "Delete account" });
  await danger.getByLabel("Password").fill("wrong password here");
  await danger.getByRole("button", { name: "Delete account" }).click();
  await expect(page.getByRole("alert")).toHaveText("That password is not right.");
  await page.getByRole("region", { name: "Delete account" }).getByLabel("Password").fill(PASSWORD);
  await page.getByRole("region", { name: "Delete account" }).getByRole("button", { name: "Delete account" }).click();
  await expect(page).toHaveURL(/\/login\?msg=/);
  await b.goto("/active-sessions");
  await expect(b.getByRole("status")).toHaveText("This account was deleted");
  await logIn(page, email);
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
});

test("security activity lists what happened", async ({ page, newDevice }) => {
  const email = await signUp(page);
  await otherDevice(newDevice, email, AGENTS.edgeWindows);
  await page.goto("/settings/security");
  const events = page.getByRole("list", { name: "Security activity" });
  await expect(events.getByRole("listitem").first()).toContainText("Signed in");
  await expect(events.getByRole("listitem").first()).toContainText("Edge on Windows");
  await expect(events.getByRole("listitem").last()).toContainText("Account created");
});
