import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3005);
/** The OpenID provider the single sign-on test signs in at (see oidc/provider.mjs). */
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? 3015);
const databaseUrl = process.env.E2E_DATABASE_URL;
if (!databaseUrl) {
  throw new Error("Set E2E_DATABASE_URL (the test command does) to a database the suite may fill.");
}

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
      command: "target/release/gatehouse serve --demo-if-empty",
      cwd: "..",
      url: `http://127.0.0.1:${port}/healthz`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        DATABASE_URL: databaseUrl,
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        RUST_LOG: "warn",
        // The test provider runs on loopback.
        GATEHOUSE_SIGN_ON_ALLOW_PRIVATE: "true",
      },
    },
    {
      command: `node oidc/provider.mjs --port ${oidcPort} --redirect http://localhost:${port}/auth/sso/callback`,
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
