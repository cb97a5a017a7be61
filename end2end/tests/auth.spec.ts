import { test, expect, signUp, logIn, uniqueEmail, PASSWORD } from "./fixtures";

test("sign up lands on a signed-in page with the sidebar and log-out", async ({ page }) => {
  await signUp(page);
  // Every page here runs under the app's CSP; the fixture fails the test on any violation.
  const response = await page.reload();
  const csp = response!.headers()["content-security-policy"];
  expect(csp).toContain("object-src 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  await expect(page.getByRole("heading", { level: 1, name: "Active sessions" })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("heading", { name: "Account" })).toBeAttached();
  await expect(nav.getByRole("link", { name: "Active sessions" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);
});

test("log out, then log in again", async ({ page }) => {
  const email = await signUp(page);
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("status")).toHaveText("You have been logged out");
  await page.goto("/active-sessions");
  await expect(page).toHaveURL(/\/login/);

  await logIn(page, email);
  await expect(page).toHaveURL(/\/active-sessions$/);
  await expect(page.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);
});

test("a signed-out visit to a signed-in page lands on /login", async ({ page }) => {
  await page.goto("/settings/account");
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings%2Faccount$/);
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
});

test("after logging in, the page asked for is shown", async ({ page }) => {
  const email = await signUp(page);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.goto("/settings/security");
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
});

test("a replayed cookie after log-out is rejected", async ({ page, context }) => {
  await signUp(page);
  const cookies = await context.cookies();
  expect(cookies.map((c) => c.name)).toContain("session");
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await context.addCookies(cookies);
  await page.goto("/active-sessions");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
});

test("clear errors for bad sign-ups and log-ins", async ({ page }) => {
  const email = await signUp(page);
  await page.getByRole("button", { name: "Log out" }).click();

  await page.goto("/signup");
  await page.getByLabel("Email").fill(email.toUpperCase());
  await page.getByLabel("Password").fill("another good passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("already exists");

  await page.getByLabel("Email").fill(uniqueEmail());
  await page.getByLabel("Password").fill("password1234");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("most common");

  await logIn(page, email, "not the password");
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  await logIn(page, uniqueEmail(), "not the password");
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
});
