import AxeBuilder from "@axe-core/playwright";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { test, expect, signUp, otherDevice, operator, AGENTS } from "./fixtures";

type Hook = { headers: IncomingHttpHeaders; body: string };

/** A webhook receiver on 127.0.0.1 that answers 204 and keeps what it was sent. */
async function receiver() {
  const received: Hook[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

/** The Standard Webhooks check, as a receiver in Node writes it. */
function verifies(secret: string, hook: Hook): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = `${hook.headers["webhook-id"]}.${hook.headers["webhook-timestamp"]}.${hook.body}`;
  const expected = createHmac("sha256", key).update(signed).digest("base64");
  return String(hook.headers["webhook-signature"]).split(" ").some((s) => s === `v1,${expected}`);
}

test("an ending through the API reaches the open tab within a second, and the webhook receiver", async ({ page, newDevice, request }) => {
  const email = await signUp(page);
  const laptop = await otherDevice(newDevice, email, AGENTS.firefoxWindows);
  await laptop.goto("/active-sessions");
  await expect(laptop.locator("#live-status[data-stream=open]")).toHaveCount(1, { timeout: 10_000 });

  const hooks = await receiver();
  const secret = operator("webhook", "add", hooks.url, "--events", "session.ended").trim().split("\n").pop()!;
  expect(secret).toMatch(/^whsec_/);
  const name = `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const token = operator("api-token", "create", "--name", name, "--scope", "sessions:read", "--scope", "sessions:write").trim().split("\n").pop()!;
  const auth = { Authorization: `Bearer ${token}` };

  const users = await request.get(`/api/v1/users?email=${encodeURIComponent(email)}`, { headers: auth });
  expect(users.status()).toBe(200);
  const userId = (await users.json()).users[0].id;
  const sessions = (await (await request.get(`/api/v1/users/${userId}/sessions`, { headers: auth })).json()).sessions;
  const firefox = sessions.find((s: { device: string }) => s.device === "Firefox on Windows");
  expect(firefox.status).toBe("active");

  const ended = await request.delete(`/api/v1/sessions/${firefox.id}`, { headers: auth, data: { reason: "Laptop reported stolen" } });
  expect(ended.status()).toBe(204);
  const alert = laptop.getByRole("alert").filter({ hasText: "signed out" });
  await expect(alert).toBeVisible({ timeout: 1000 });
  await expect(alert).toContainText("Your session was ended by an administrator");

  // Other tests end sessions too: this test's message is the one about this session.
  const ours = () => hooks.received.find((h) => JSON.parse(h.body).data?.session_id === firefox.id);
  await expect.poll(() => ours() !== undefined, { timeout: 5000 }).toBe(true);
  const hook = ours()!;
  expect(verifies(secret, hook)).toBe(true);
  const message = JSON.parse(hook.body);
  expect(message.type).toBe("session.ended");
  expect(message.data).toMatchObject({ user_id: userId, session_id: firefox.id, reason: "api", detail: "Laptop reported stolen" });

  // The administrators' overview shows the endpoint and the delivery.
  const admin = await newDevice();
  const adminEmail = await signUp(admin);
  operator("admin", "grant", adminEmail);
  await admin.goto("/admin");
  const endpoints = admin.getByRole("list", { name: "Webhook endpoints" });
  await expect(endpoints.getByRole("listitem").filter({ hasText: hooks.url })).toContainText("Delivering");
  await expect(admin.getByRole("list", { name: "Webhook deliveries" }).getByRole("listitem").filter({ hasText: hooks.url }).first()).toContainText("session.ended");
  expect((await new AxeBuilder({ page: admin }).analyze()).violations).toEqual([]);

  operator("webhook", "remove", hooks.url);
  operator("api-token", "revoke", name);
  expect((await request.get(`/api/v1/users?email=${encodeURIComponent(email)}`, { headers: auth })).status()).toBe(401);
  await hooks.close();
});
