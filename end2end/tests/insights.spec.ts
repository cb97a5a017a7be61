import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import {
  test,
  expect,
  signUp,
  otherDevice,
  row,
  waitForHydration,
  waitForMail,
  linkTo,
  AGENTS,
} from "./fixtures";

const noViolations = async (page: import("@playwright/test").Page) =>
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

/** With SCREENSHOTS=1: the README's pictures go to docs/screenshots, the others (for looking
 * at every page changed, desktop and 360 px) to test-results/screens. */
const README_PICTURES = ["flagged-row-desktop", "alert-email"];
const screenshot = async (page: import("@playwright/test").Page, name: string) => {
  if (!process.env.SCREENSHOTS) return;
  const dir = README_PICTURES.includes(name) ? resolve(__dirname, "../../docs/screenshots") : resolve(__dirname, "../test-results/screens");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
};

test("forgot password: a link by email, a new password, every device signed out", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const other = await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  const browser = await newDevice();
  await browser.goto("/login");
  await browser.getByRole("link", { name: "Forgot password?" }).click();
  await expect(browser).toHaveURL(/\/forgot-password$/);
  await noViolations(browser);
  await browser.getByLabel("Email").fill(email);
  await browser.getByRole("button", { name: "Send reset link" }).click();
  await expect(browser.getByRole("status")).toContainText("If an account uses that email address");

  const mail = await waitForMail(email, "Set a new password");
  await browser.goto(linkTo(mail, "/reset-password"));
  // The token leaves the address at once.
  await expect(browser).toHaveURL(/\/reset-password$/);
  await noViolations(browser);
  await browser.getByLabel("New password").fill("a fresh and different passphrase");
  await browser.getByRole("button", { name: "Set new password" }).click();
  // A reset leads to the review of sign-in methods.
  await expect(browser.getByRole("heading", { name: "Review sign-in methods" })).toBeVisible();
  await expect(browser.getByRole("status").filter({ hasText: "Your new password is set" })).toBeVisible();
  await browser.getByRole("button", { name: "Done" }).click();
  await expect(browser).toHaveURL(/\/active-sessions\??$/);
  await expect(browser.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);

  await other.goto("/active-sessions");
  await expect(other.getByRole("status")).toHaveText("Your password was changed, so this device was signed out");
  // The link worked once.
  await browser.goto(linkTo(mail, "/reset-password"));
  await expect(browser.getByText("This link has expired or was already used")).toBeVisible();
});

test("a new device is told by email and on open tabs; \"This wasn't me\" ends it", async ({ page, newDevice }, testInfo) => {
  const email = await signUp(page);
  await page.goto("/settings/account");
  const intruder = await otherDevice(newDevice, email, AGENTS.firefoxWindows, "89.160.20.112");
  // The open tab says so at once, with where.
  await expect(page.getByRole("status").filter({ hasText: "New sign-in from a new device" })).toContainText(
    "Firefox on Windows, Linköping, Sweden",
  );

  const alert = await waitForMail(email, "New sign-in to your account");
  expect(alert.text).toContain("Firefox on Windows");
  expect(alert.text).toContain("Linköping, Sweden (IP address 89.160.20.112)");
  if (testInfo.project.name === "desktop") {
    const view = await newDevice();
    await view.setContent(alert.html);
    await view.setViewportSize({ width: 640, height: 420 });
    await screenshot(view, "alert-email");
  }

  // Followed from the mail on a browser that is not signed in.
  const owner = await newDevice();
  await owner.goto(linkTo(alert, "/not-me"));
  await expect(owner).toHaveURL(/\/not-me$/);
  await expect(owner.getByRole("heading", { name: "Secure your account" })).toBeVisible();
  await expect(owner.getByText(/Firefox on Windows in Linköping, Sweden/)).toBeVisible();
  await noViolations(owner);
  await screenshot(owner, `not-me-${testInfo.project.name}`);
  await owner.getByRole("button", { name: "This wasn't me" }).click();
  await expect(owner).toHaveURL(/\/not-me\?msg=/);
  await expect(owner.getByRole("status")).toContainText("Every device signed in to your account was signed out");

  await intruder.goto("/active-sessions");
  await expect(intruder.getByRole("status")).toHaveText("Your session was ended from another device");
  // The new password comes through the ordinary 30-minute reset link, emailed.
  const reset = await waitForMail(email, "Set a new password");
  await owner.goto(linkTo(reset, "/reset-password"));
  await expect(owner.getByText(/Choose a new password for .\u2022\u2022\u2022@example\.com/)).toBeVisible();
  await owner.getByLabel("New password").fill("taken back for good passphrase");
  await owner.getByRole("button", { name: "Set new password" }).click();
  await expect(owner.getByRole("status").filter({ hasText: "Your new password is set" })).toBeVisible();
});

test("flags, details, rename and auto sign-out", async ({ page, newDevice }, testInfo) => {
  const email = await signUp(page);
  await otherDevice(newDevice, email, AGENTS.firefoxWindows, "89.160.20.112");
  await page.reload();
  await waitForHydration(page);
  const flagged = row(page, "Firefox on Windows");
  await expect(flagged.getByText("New device", { exact: true })).toBeVisible();
  await expect(flagged).toContainText("First sign-in to your account from this browser");
  await screenshot(page, `flagged-row-${testInfo.project.name}`);

  // Rename, from the menu and its dialog.
  await page.getByRole("button", { name: /^Session actions — Firefox on Windows/ }).click();
  await expect(page.getByRole("menuitem")).toHaveText(["Details", "Rename", "This wasn't me", "Terminate"]);
  await page.getByRole("menuitem", { name: "Rename" }).click();
  const dialog = page.getByRole("dialog", { name: "Rename Firefox on Windows" });
  await expect(dialog.getByLabel("Session name")).toBeFocused();
  await noViolations(page);
  await screenshot(page, `rename-dialog-${testInfo.project.name}`);
  await dialog.getByLabel("Session name").fill("Work laptop");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  const named = row(page, "Work laptop");
  await expect(named).toContainText("Firefox on Windows");
  await expect(page.getByRole("button", { name: /^Session actions — Work laptop/ })).toBeFocused();
  await page.reload();
  await expect(row(page, "Work laptop")).toHaveCount(1);

  // Details: a page of its own with the session's history.
  await waitForHydration(page);
  await page.getByRole("button", { name: /^Session actions — Work laptop/ }).click();
  await page.getByRole("menuitem", { name: "Details" }).click();
  await expect(page.getByRole("main").getByRole("heading", { level: 1 })).toHaveText(/^Session details/);
  await expect(page.getByRole("list", { name: "Session history" }).getByRole("listitem")).toHaveCount(1);
  await expect(page.getByRole("main")).toContainText("Linköping, Sweden");
  await noViolations(page);
  await screenshot(page, `session-details-${testInfo.project.name}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // Auto sign-out, in the account settings.
  await page.goto("/settings/account");
  await page.getByLabel("Sign out devices I haven't used in").selectOption("30");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Auto sign-out saved" })).toBeVisible();
  await expect(page.getByLabel("Sign out devices I haven't used in")).toHaveValue("30");
  await noViolations(page);
  await page.locator("#auto-sign-out").scrollIntoViewIfNeeded();
  await screenshot(page, `account-settings-${testInfo.project.name}`);
});

test("\"This wasn't me\" on a flagged row signs the others out and leads to the password", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const intruder = await otherDevice(newDevice, email, AGENTS.edgeWindows);
  await page.reload();
  await waitForHydration(page);
  await page.getByRole("button", { name: /^Session actions — Edge on Windows/ }).click();
  await page.getByRole("menuitem", { name: "This wasn't me" }).click();
  const dialog = page.getByRole("dialog", { name: /^Don't recognise Edge on Windows/ });
  await expect(dialog).toBeVisible();
  await noViolations(page);
  await dialog.getByRole("button", { name: "Sign them out" }).click();
  await expect(page).toHaveURL(/\/settings\/review\?msg=/);
  await expect(page.getByRole("status").filter({ hasText: "Every other device was signed out" })).toBeVisible();
  await intruder.goto("/active-sessions");
  await expect(intruder.getByRole("status")).toHaveText("Your session was ended from another device");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("rename and details are plain pages", async ({ page }) => {
    await signUp(page);
    const only = () => page.getByRole("list", { name: "Active sessions" }).getByRole("listitem").first();
    await only().locator("summary").click();
    await only().getByRole("link", { name: "Rename" }).click();
    await page.getByLabel("Session name").fill("Kitchen tablet");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page).toHaveURL(/\/active-sessions\?msg=/);
    await expect(page.getByRole("status").filter({ hasText: "Session renamed" })).toBeVisible();
    await expect(row(page, "Kitchen tablet")).toHaveCount(1);
    await only().locator("summary").click();
    await only().getByRole("link", { name: "Details" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Session details — Kitchen tablet/);
  });
});
