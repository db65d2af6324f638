import { expect } from "@playwright/test";
import { test, signIn, users } from "./helpers";

test("a Member sees only their navigation and is refused the audit trail", async ({ page }) => {
  await signIn(page, "member");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Home" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Audit trail" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Accounts" })).toHaveCount(0);

  await page.goto("/audit");
  await expect(page.getByText("Not available to you")).toBeVisible();
  await expect(page.locator("table.audit")).toHaveCount(0);

  await page.goto("/accounts");
  await expect(page.getByText("Not available to you")).toBeVisible();
});

test("an Auditor reads accounts but cannot create one", async ({ page }) => {
  await signIn(page, "auditor");
  await page.goto("/accounts");
  await expect(page.getByRole("cell", { name: "Acme Retail" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create account" })).toHaveCount(0);
});

test("an admin's change is written to the audit trail with before and after", async ({ page }) => {
  const name = `Harbour Bikes ${Date.now()}`;
  await signIn(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Accounts" }).click();
  await expect(page.getByRole("heading", { name: "Client accounts" })).toBeVisible();

  // Bad input is refused next to its field.
  await page.getByLabel("Name").fill("Acme Retail");
  await page.getByLabel("Region").fill("EU");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#name-error")).toHaveText("An account named “Acme Retail” already exists.");

  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Region").fill("APAC");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("status")).toHaveText(`Account “${name}” created.`);
  await expect(page.getByRole("cell", { name })).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit trail" }).click();
  await page.getByLabel("Action").fill("account.created");
  await page.getByLabel("Target").fill(name);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=account.created/);
  const row = page.locator("table.audit tbody tr").filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(users.admin.name);
  await row.getByText("Before / after").click();
  await expect(row.locator(".diff")).toContainText('"region": "APAC"');
});

test("an Approver of Bluebird Telecom only sees and acts on nothing of Evergreen Foods", async ({ page, browser }) => {
  // Evergreen Foods' team lead, as the organisation-wide admin finds her.
  const admin = await browser.newPage();
  await signIn(admin, "admin");
  await admin.goto("/principals?search=elena.eriksen%40northwind.example");
  await admin.getByRole("link", { name: "Elena Eriksen" }).click();
  await expect(admin.getByRole("heading", { name: "Elena Eriksen" })).toBeVisible();
  const evergreenLead = new URL(admin.url()).pathname;
  await admin.close();

  await signIn(page, "bluebirdApprover");
  await page.goto("/accounts");
  await expect(page.getByRole("cell", { name: "Bluebird Telecom" })).toBeVisible();
  await expect(page.getByRole("cell", { name: "Evergreen Foods" })).toHaveCount(0);

  await page.goto("/principals?search=elena.eriksen%40northwind.example");
  await expect(page.getByRole("heading", { name: "Principals" })).toBeVisible();
  await expect(page.locator("#p-account option", { hasText: "Evergreen Foods" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Elena Eriksen" })).toHaveCount(0);
  await page.goto(evergreenLead);
  await expect(page.getByText("Not available to you")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Elena Eriksen" })).toHaveCount(0);

  // Evergreen Foods' request waits for its own approvers, not for this one.
  await page.goto("/approvals");
  await expect(page.getByRole("heading", { name: "Pending approvals" })).toBeVisible();
  await expect(page.locator("#q-account option", { hasText: "Evergreen Foods" })).toHaveCount(0);
  await expect(page.getByText("Jade Lindqvist")).toHaveCount(0);
});
