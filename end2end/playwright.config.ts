import { defineConfig, devices } from "@playwright/test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(__dirname, "..");
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = resolve(__dirname, ".tmp");

// A fresh database for every run (the server command wipes it; this file is also loaded by
// every worker, so it must not touch files itself). E2E_DATABASE_URL may point at Postgres.
const databaseUrl = process.env.E2E_DATABASE_URL ?? `sqlite://${dataDir}/e2e.db`;

// Debian's Chromium where there is one (no browser downloads here); Playwright's own otherwise.
const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const launchOptions = {
  executablePath: chromium,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 7_000 },
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions,
  },
  projects: [
    {
      name: "desktop",
      use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 }, launchOptions },
    },
    {
      name: "mobile",
      use: {
        viewport: { width: 360, height: 780 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        userAgent:
          "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        launchOptions,
      },
    },
  ],
  webServer: [
    server(port, databaseUrl, dataDir, {}),
    // A second server whose re-authentication window is one second, for the password prompt.
    server(port + 1, `sqlite://${dataDir}-reauth/e2e.db`, `${dataDir}-reauth`, { REAUTH_WINDOW: "1s" }),
    // A third under a domain name (WebAuthn needs one), for passkeys; same database kind.
    server(port + 2, databaseUrl.startsWith("sqlite:") ? `sqlite://${dataDir}-passkeys/e2e.db` : databaseUrl, `${dataDir}-passkeys`, {
      PUBLIC_URL: `http://localhost:${port + 2}`,
    }),
    // A fourth with mail configured: over SMTP to a listener the tests start (new-device
    // verification is on by default then, and sign-ups wait for their confirmation link).
    server(port + 3, `sqlite://${dataDir}-smtp/e2e.db`, `${dataDir}-smtp`, { SMTP_URL: `smtp://127.0.0.1:${port + 5}` }),
  ],
});

function server(port: number, databaseUrl: string, dir: string, extra: Record<string, string>) {
  const baseURL = `http://127.0.0.1:${port}`;
  return {
    command: `rm -rf '${dir}' && mkdir -p '${dir}' && exec '${root}/target/release/active-sessions'`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DATABASE_URL: databaseUrl,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      PUBLIC_URL: baseURL,
      LEPTOS_SITE_ROOT: `${root}/target/site`,
      GEOIP_DB: `${root}/tests/fixtures/GeoLite2-City-Test.mmdb`,
      // Mail lands in the server's own folder (no SMTP server here); the tests read it.
      MAIL_OUTBOX: `${dir}/outbox`,
      // The tests play a proxy in front of the app to appear from other addresses.
      TRUSTED_PROXIES: "127.0.0.1",
      LOGIN_MAX_FAILURES_PER_IP: "100000",
      SIGNUP_MAX_PER_IP: "100000",
      RUST_LOG: "warn",
      // The webhook receivers of the tests listen on 127.0.0.1.
      WEBHOOK_ALLOW_PRIVATE: "1",
      ...extra,
    },
  };
}

