import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import {
  test, expect, signUp, otherDevice, row, waitForHydration, AGENTS, REAUTH_BASE_URL, PASSWORD, logIn,
} from "./fixtures";

/** The name the list gives this browser itself (the projects' User-Agents: Playwright's
 * desktop Chrome on Windows, and a Pixel phone). */
function thisDevice(isMobile: boolean) {
  return isMobile ? "Chrome on Android" : /Chrome on Windows/;
}

test("device A sees both sessions, terminates B, and B must log in again", async ({ page, newDevice }, testInfo) => {
  const isMobile = !!testInfo.project.use.isMobile;
  const email = await signUp(page);
  const b = await otherDevice(newDevice, email, AGENTS.firefoxWindows, "81.2.69.142");

  await page.reload();
  await waitForHydration(page);
  const list = page.getByRole("list", { name: "Active sessions" });
  await expect(list.getByRole("listitem")).toHaveCount(2);
  // This device first, with its badge; the other with its words and place.
  await expect(list.getByRole("listitem").first()).toContainText(thisDevice(isMobile));
  await expect(list.getByRole("listitem").first()).toContainText("Current session");
  const other = row(page, "Firefox on Windows");
  await expect(other).toContainText("81.2.69.142");
  await expect(other).toContainText("London, United Kingdom");
  await expect(other).toContainText(/Updated (just now|\d+ minutes? ago)/);
  await expect(other).not.toContainText("Current session");

  if (process.env.SCREENSHOTS) {
    const dir = resolve(__dirname, "../../docs/screenshots");
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: `${dir}/active-sessions-${testInfo.project.name}.png`, fullPage: true });
  }

  // No reload from here on: a marker on the window would vanish with one.
  await page.evaluate(() => ((window as any).__still_here = true));
  await other.getByRole("button", { name: /^Session actions — Firefox on Windows/ }).click();
  await page.getByRole("menu").getByRole("menuitem", { name: "Terminate" }).click();
  const dialog = page.getByRole("dialog", { name: /Terminate the session on Firefox on Windows/ });
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAttribute("aria-modal", "true");
  await dialog.getByRole("button", { name: "Terminate" }).click();

  await expect(dialog).toBeHidden();
  await expect(other).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Session terminated" })).toBeVisible();
  await expect(list).toBeFocused();
  expect(await page.evaluate(() => (window as any).__still_here)).toBe(true);
  await expect(list.getByRole("listitem")).toHaveCount(1);
  await expect(page.getByText("This is the only device signed in to your account.")).toBeVisible();

  // B's very next request is signed out, and told why.
  await b.goto("/active-sessions");
  await expect(b).toHaveURL(/\/login\?msg=/);
  await expect(b.getByRole("status")).toHaveText("Your session was ended from another device");
});

test("log out this device from its own row", async ({ page }) => {
  await signUp(page);
  await waitForHydration(page);
  await page.getByRole("button", { name: /^Session actions — .*\(this device\)$/ }).click();
  await page.getByRole("menuitem", { name: "Log out" }).click();
  const dialog = page.getByRole("dialog", { name: "Log out of this device?" });
  await expect(dialog.getByLabel("Password")).toBeHidden();
  await dialog.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login\?msg=[^&]+$/);
  await expect(page.getByRole("status")).toHaveText("You have been logged out");
  await page.goto("/active-sessions");
  await expect(page).toHaveURL(/\/login/);
});

test("log out all other sessions leaves exactly this one, and twice is harmless", async ({ page, newDevice }) => {
  const email = await signUp(page);
  const others = [
    await otherDevice(newDevice, email, AGENTS.firefoxWindows),
    await otherDevice(newDevice, email, AGENTS.safariIphone, "89.160.20.112"),
    await otherDevice(newDevice, email, AGENTS.edgeWindows),
  ];
  await page.reload();
  await waitForHydration(page);
  const list = page.getByRole("list", { name: "Active sessions" });
  await expect(list.getByRole("listitem")).toHaveCount(4);
  await expect(row(page, "Safari on iPhone")).toContainText("Linköping, Sweden");
  await expect(row(page, "Edge on Windows")).toHaveCount(1);

  await page.getByRole("button", { name: "Log out all other sessions" }).click();
  const dialog = page.getByRole("dialog", { name: "Log out all other sessions?" });
  await dialog.getByRole("button", { name: "Log out all" }).click();
  await expect(list.getByRole("listitem")).toHaveCount(1);
  await expect(list.getByRole("listitem")).toContainText("Current session");
  await expect(page.getByRole("status").filter({ hasText: "Logged out of 3 other sessions" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out all other sessions" })).toBeHidden();

  // A second tab still showing the button presses it again: nothing else ends.
  const second = await page.context().newPage();
  await second.goto("/active-sessions");
  await expect(second.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);
  for (const other of others) {
    await other.goto("/active-sessions");
    await expect(other).toHaveURL(/\/login\?msg=/);
  }
  await page.reload();
  await expect(list.getByRole("listitem")).toHaveCount(1);
});

test("keyboard only: menu, modal, focus", async ({ page, newDevice }, testInfo) => {
  test.skip(!!testInfo.project.use.isMobile, "keyboard flow on the desktop project");
  const email = await signUp(page);
  await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await page.reload();
  await waitForHydration(page);
  const kebab = page.getByRole("button", { name: /^Session actions — Firefox on Windows/ });
  await expect(kebab).toHaveAttribute("aria-haspopup", "menu");

  // Enter opens the menu on its first item; the arrows move through its items (wrapping
  // around), Home and End jump; Esc closes it and returns focus.
  await kebab.focus();
  await page.keyboard.press("Enter");
  const first = page.getByRole("menu").getByRole("menuitem").first();
  const item = page.getByRole("menuitem", { name: "Terminate" });
  await expect(first).toBeFocused();
  await expect(kebab).toHaveAttribute("aria-expanded", "true");
  await page.keyboard.press("End");
  await expect(item).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(first).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(item).toBeFocused();
  await page.keyboard.press("Home");
  await expect(first).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toBeHidden();
  await expect(kebab).toBeFocused();
  await expect(kebab).toHaveAttribute("aria-expanded", "false");

  // Space and ArrowDown open it too.
  await page.keyboard.press(" ");
  await expect(first).toBeFocused();
  await page.keyboard.press("Escape");
  await page.keyboard.press("ArrowDown");
  await expect(first).toBeFocused();

  // The modal keeps focus inside; Esc cancels back to the ⋮ button.
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => !!document.activeElement?.closest("dialog"))).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(kebab).toBeFocused();
  await expect(row(page, "Firefox on Windows")).toHaveCount(1);

  // And through to the end: the row goes, focus lands on the list.
  await page.keyboard.press("Enter");
  await page.keyboard.press("End");
  await expect(item).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Terminate" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(row(page, "Firefox on Windows")).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Active sessions" })).toBeFocused();
});

test("touch at phone width", async ({ page, newDevice }, testInfo) => {
  test.skip(!testInfo.project.use.isMobile, "the mobile project");
  const email = await signUp(page);
  await otherDevice(newDevice, email, AGENTS.safariIphone);
  await page.reload();
  await waitForHydration(page);
  // Nothing sticks out sideways at 360 px.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const kebab = page.getByRole("button", { name: /^Session actions — Safari on iPhone/ });
  const box = await kebab.boundingBox();
  expect(box!.width).toBeGreaterThanOrEqual(44);
  expect(box!.height).toBeGreaterThanOrEqual(44);
  await kebab.tap();
  await page.getByRole("menuitem", { name: "Terminate" }).tap();
  const dialog = page.getByRole("dialog");
  const dialogBox = await dialog.boundingBox();
  expect(dialogBox!.x).toBeGreaterThanOrEqual(0);
  expect(dialogBox!.x + dialogBox!.width).toBeLessThanOrEqual(360);
  await dialog.getByRole("button", { name: "Terminate" }).tap();
  await expect(row(page, "Safari on iPhone")).toHaveCount(0);
  // A tap elsewhere closes an open menu.
  await page.getByRole("button", { name: /^Session actions — .*this device/ }).tap();
  await expect(page.getByRole("menu")).toBeVisible();
  await page.getByRole("heading", { level: 1 }).tap();
  await expect(page.getByRole("menu")).toBeHidden();
});

test.describe("with JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("terminate through the confirm page", async ({ page, newDevice }) => {
    const email = await signUp(page);
    const b = await otherDevice(newDevice, email, AGENTS.firefoxWindows);
    await page.goto("/active-sessions");
    const other = row(page, "Firefox on Windows");
    await other.locator("summary").click();
    await other.getByRole("link", { name: "Terminate" }).click();
    await expect(page).toHaveURL(/\/active-sessions\/[A-Za-z0-9_-]{22}\/end$/);
    await expect(page.getByRole("heading", { name: "Terminate the session on Firefox on Windows?" })).toBeVisible();
    await page.getByRole("button", { name: "Terminate" }).click();
    await expect(page).toHaveURL(/\/active-sessions\?msg=[^&]+$/);
    await expect(page.getByRole("status").filter({ hasText: "Session terminated" })).toBeVisible();
    await expect(page.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);
    await b.goto("/active-sessions");
    await expect(b).toHaveURL(/\/login\?msg=/);
  });

  test("log out all others through the confirm page", async ({ page, newDevice }) => {
    const email = await signUp(page);
    await otherDevice(newDevice, email, AGENTS.firefoxWindows);
    await page.goto("/active-sessions");
    await page.getByRole("link", { name: "Log out all other sessions" }).click();
    await page.getByRole("button", { name: "Log out all" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Logged out of 1 other session" })).toBeVisible();
  });
});

test("ending another session asks for the password once the window has passed", async ({ page, newDevice }) => {
  const base = REAUTH_BASE_URL;
  await page.goto(`${base}/signup`);
  const email = `reauth-${Date.now()}-${Math.random().toString(16).slice(2)}@example.com`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  const b = await newDevice({ userAgent: AGENTS.firefoxWindows, baseURL: base });
  await logIn(b, email);
  // Until the server says the window after the last password entry has passed.
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
  const password = dialog.getByLabel("Password");
  await expect(password).toBeVisible();
  await expect(password).toBeFocused();
  await password.fill("not my password");
  await dialog.getByRole("button", { name: "Terminate" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("That password is not right.");
  await expect(row(page, "Firefox on Windows")).toHaveCount(1);
  await password.fill(PASSWORD);
  await dialog.getByRole("button", { name: "Terminate" }).click();
  await expect(row(page, "Firefox on Windows")).toHaveCount(0);
});

test("no accessibility violations: page, open menu, open modal", async ({ page, newDevice }) => {
  const email = await signUp(page);
  await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await page.reload();
  await waitForHydration(page);
  const axe = () => new AxeBuilder({ page }).analyze();
  expect((await axe()).violations).toEqual([]);
  await page.getByRole("button", { name: /^Session actions — Firefox on Windows/ }).click();
  await expect(page.getByRole("menu")).toBeVisible();
  expect((await axe()).violations).toEqual([]);
  await page.getByRole("menuitem", { name: "Terminate" }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  expect((await axe()).violations).toEqual([]);
});

test("the sidebar search filters the menu", async ({ page }) => {
  await signUp(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  const search = nav.getByRole("searchbox", { name: "Search menu" });
  // Wait until the search box is live (islands hydrate when the browser is idle).
  await expect(async () => {
    await search.fill("sess");
    await expect(nav.getByRole("link", { name: "Security activity" })).toBeHidden({ timeout: 500 });
  }).toPass();
  await expect(nav.getByRole("link", { name: "Active sessions" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Account settings" })).toBeHidden();
  await search.fill("zzz");
  await expect(nav.getByText("No menu entries match.")).toBeVisible();
  await search.fill("");
  await expect(nav.getByRole("link")).toHaveCount(3);
  await nav.getByRole("link", { name: "Account settings" }).click();
  await expect(page).toHaveURL(/\/settings\/account$/);
  // The same list is a section of the account settings.
  await expect(page.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);
});

test("the Active sessions page downloads no code or styles of other pages", async ({ page }) => {
  await signUp(page);
  const requested: string[] = [];
  page.on("request", (r) => requested.push(new URL(r.url()).pathname));
  await page.reload();
  await waitForHydration(page);
  expect(requested.filter((p) => p.startsWith("/styles/") || p === "/passkeys.js")).toEqual([]);
  expect(requested).toContain("/pkg/active-sessions.wasm");
});
