import { writeFileSync } from "node:fs";
import { test, expect, signUp, otherDevice, AGENTS } from "../tests/fixtures";

// Report only: how long from navigation start until the first ⋮ button works (the island has
// hydrated), with the CPU slowed down like a mid-range laptop (4×) or phone (6×).
test("time to interactive of /active-sessions", async ({ page, newDevice }, testInfo) => {
  test.setTimeout(120_000);
  const isMobile = !!testInfo.project.use.isMobile;
  const throttle = isMobile ? 6 : 4;
  const email = await signUp(page);
  await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await otherDevice(newDevice, email, AGENTS.safariIphone);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto("/active-sessions");
    const kebab = page.locator(".sessions-panel[data-live] button[aria-haspopup=menu]").first();
    await expect(kebab).toBeVisible({ timeout: 30_000 });
    runs.push(await page.evaluate(() => performance.now()));
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const result = { project: testInfo.project.name, throttle, median: sorted[2], runs };
  console.log(JSON.stringify(result));
  const out = process.env.TTI_OUT;
  if (out) writeFileSync(`${out}.${testInfo.project.name}.json`, JSON.stringify(result));
});
