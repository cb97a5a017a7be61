import AxeBuilder from "@axe-core/playwright";
import { test, expect, signUp, otherDevice, operator, AGENTS } from "./fixtures";

test("an administrator ends a user's session; that device is told so", async ({ page, newDevice }) => {
  const adminEmail = await signUp(page);
  expect(operator("admin", "grant", adminEmail)).toContain("is now an administrator");
  const userPage = await newDevice();
  const userEmail = await signUp(userPage);
  const userB = await otherDevice(newDevice, userEmail, AGENTS.firefoxWindows);

  await page.goto("/active-sessions");
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Users" }).click();
  await page.getByRole("searchbox", { name: "Search users" }).fill(userEmail);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("list", { name: "Users" }).getByRole("link", { name: userEmail }).click();
  const sessions = page.getByRole("list", { name: "Active sessions" });
  await expect(sessions.getByRole("listitem")).toHaveCount(2);
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

  const firefox = sessions.getByRole("listitem").filter({ hasText: "Firefox on Windows" });
  await firefox.getByText("End session").first().click();
  await firefox.getByLabel("Reason").fill("Reported lost");
  await firefox.getByRole("button", { name: "End session", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Ended 1 session(s)." })).toBeVisible();
  await expect(page.getByRole("list", { name: "Active sessions" }).getByRole("listitem")).toHaveCount(1);

  await userB.goto("/active-sessions");
  await expect(userB).toHaveURL(/\/login\?/);
  await expect(userB.getByRole("status")).toHaveText("Your session was ended by an administrator");

  await nav.getByRole("link", { name: "Admin log" }).click();
  // The log is every administrator's (other tests and API tokens write to it at the same
  // time): this test's line is the one about this user.
  const line = page.getByRole("list", { name: "Admin log" }).getByRole("listitem").filter({ hasText: userEmail });
  await expect(line).toHaveCount(1);
  await expect(line).toContainText("Reported lost");
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await nav.getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("img", { name: /Sign-ins .* per hour/ })).toBeVisible();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
});

test("the console does not exist for anyone else", async ({ page }) => {
  await signUp(page);
  await expect(page.getByRole("navigation", { name: "Main" }).getByText("Administration")).toHaveCount(0);
  for (const path of ["/admin", "/admin/users", "/admin/log"]) {
    const res = await page.goto(path);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }
});
