import { test as base, expect, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import PostalMime from "postal-mime";

export const PASSWORD = "correct horse battery staple";

/** The second server of playwright.config.ts, whose re-authentication window is one second. */
export const REAUTH_BASE_URL = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;

/** The third server of playwright.config.ts, under a domain name, for passkeys. */
export const PASSKEY_BASE_URL = `http://localhost:${Number(process.env.E2E_PORT ?? 3100) + 2}`;

/** The fourth server, with mail configured over SMTP to `SMTP_PORT` (a listener the test starts). */
export const SMTP_BASE_URL = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 3}`;
export const SMTP_PORT = Number(process.env.E2E_PORT ?? 3100) + 5;

/** Where the third server (passkeys) writes its mail. */
export const PASSKEY_OUTBOX = resolve(__dirname, "../.tmp-passkeys/outbox");

const databaseUrl = process.env.E2E_DATABASE_URL ?? `sqlite://${resolve(__dirname, "..", ".tmp")}/e2e.db`;

/** The operator's command line, against the database of the (first) server under test. */
export function operator(...args: string[]): string {
  return execFileSync(resolve(__dirname, "../../target/release/active-sessions"), args, {
    env: { DATABASE_URL: databaseUrl, WEBHOOK_ALLOW_PRIVATE: "1", PATH: process.env.PATH ?? "" },
    encoding: "utf8",
  });
}

export const AGENTS = {
  firefoxWindows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  edgeWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
};

/** Anything that means the page is broken: an uncaught error (a failed hydration shows only
 * there), a CSP refusal, or an island that could not hydrate. */
function watch(context: BrowserContext, problems: string[]) {
  context.on("weberror", (e) => problems.push(`page error: ${e.error().message}`));
  context.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (execute|load|apply)|Could not find WASM function|panicked/i.test(text)) {
      problems.push(`console ${msg.type()}: ${text}`);
    }
  });
}

type Fixtures = {
  problems: string[];
  /** A second (third…) device: its own browser context, watched like the first. */
  newDevice: (options?: BrowserContextOptions) => Promise<Page>;
};

export const test = base.extend<Fixtures>({
  problems: async ({}, use) => {
    await use([]);
  },
  context: async ({ context, problems }, use) => {
    watch(context, problems);
    await use(context);
  },
  newDevice: async ({ browser, problems }, use, testInfo) => {
    const contexts: BrowserContext[] = [];
    await use(async (options = {}) => {
      const context = await (browser as Browser).newContext({ ...testInfo.project.use, ...options });
      watch(context, problems);
      contexts.push(context);
      return context.newPage();
    });
    await Promise.all(contexts.map((c) => c.close()));
  },
});

test.afterEach(async ({ problems }) => {
  expect(problems, "the page reported errors").toEqual([]);
});

export { expect };

export function uniqueEmail(tag = "user"): string {
  return `${tag}-${randomUUID()}@example.com`;
}

export async function signUp(page: Page, email = uniqueEmail(), password = PASSWORD): Promise<string> {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/active-sessions$/);
  return email;
}

export async function logIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Signs in `email` on a new device (browser context) with the given User-Agent, optionally
 * arriving through our trusted proxy from `ip`. */
export async function otherDevice(
  newDevice: (options?: BrowserContextOptions) => Promise<Page>,
  email: string,
  userAgent: string,
  ip?: string,
): Promise<Page> {
  const page = await newDevice({ userAgent, extraHTTPHeaders: ip ? { "X-Forwarded-For": ip } : {} });
  await logIn(page, email);
  await expect(page).toHaveURL(/\/active-sessions$/);
  return page;
}

/** The list item of the session on `device` ("Firefox on Windows"). */
export function row(page: Page, device: string) {
  return page.getByRole("list", { name: "Active sessions" }).getByRole("listitem").filter({ hasText: device });
}

/** Waits until the sessions island is live (its rows have real menu buttons). */
export async function waitForHydration(page: Page) {
  await expect(page.getByRole("button", { name: /^Session actions/ }).first()).toBeVisible();
}

/** Where the first server of playwright.config.ts writes its mail (one .eml per message). */
export const OUTBOX = resolve(__dirname, "../.tmp/outbox");

export type Mail = { to: string; subject: string; text: string; html: string };

/** Every whole message in the outbox (`dir`) so far (one still being written has no HTML part
 * yet: it comes last). */
export async function outbox(dir = OUTBOX): Promise<Mail[]> {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith(".eml"));
  const mails = await Promise.all(
    files.map(async (f) => {
      const mail = await PostalMime.parse(readFileSync(resolve(dir, f)));
      return { to: mail.to?.[0]?.address ?? "", subject: mail.subject ?? "", text: mail.text ?? "", html: mail.html ?? "" };
    }),
  );
  return mails.filter((m) => m.html.includes("</p>"));
}

/** Waits (mail goes out in the background) for the message to `to` with `subject`. */
export async function waitForMail(to: string, subject: string, dir = OUTBOX): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(async () => {
      found = (await outbox(dir)).find((m) => m.to === to && m.subject === subject);
      return !!found;
    }, { message: `a mail "${subject}" to ${to}`, timeout: 10_000 })
    .toBe(true);
  return found!;
}

/** The link in `mail` that leads to `route` (e.g. "/reset-password"), as a path and query. */
export function linkTo(mail: Mail, route: string): string {
  const match = mail.text.match(new RegExp(`https?://[^\\s/]+(${route}\\?token=[A-Za-z0-9_-]+)`));
  expect(match, `a ${route} link in: ${mail.text}`).not.toBeNull();
  return match![1];
}
