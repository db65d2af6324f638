import { expect } from "@playwright/test";
import { test, DEMO_PASSWORD, hydrated, signIn, users } from "./helpers";

test("an anonymous visitor is sent to the sign-in page, and back after signing in", async ({ page }) => {
  await page.goto("/audit");
  await expect(page).toHaveURL(/\/login\?next=%2Faudit$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await hydrated(page);
  await page.getByLabel("Email").fill(users.admin.email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
  // The server sealed the trail into its hash chain and walked it when it started.
  await expect(page.locator("p.chain")).toContainText(/Sealed in a hash chain: verified whole up to link \d+/);
});

test("a wrong password gets one message that does not say whether the email exists", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(users.auditor.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const message = page.getByRole("alert");
  await expect(message).toHaveText("That email and password do not match an active account.");
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Email").fill("nobody-here@northwind.example");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(message).toHaveText("That email and password do not match an active account.");
});

test("signing in shows the console, signing out ends the session", async ({ page }) => {
  await signIn(page, "admin");
  await expect(page.getByRole("heading", { name: `Welcome, ${users.admin.name}` })).toBeVisible();
  await expect(page.locator(".who-roles")).toHaveText("Governance admin");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Audit trail" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Accounts" })).toBeVisible();
  await expect(page.locator(".stat").first()).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
});
