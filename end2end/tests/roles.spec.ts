import { expect } from "@playwright/test";
import { test, hydrated, signIn } from "./helpers";

test("an admin toggles a matrix cell; it stays after reload and is on the audit trail", async ({ page }) => {
  await signIn(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Role matrix" }).click();
  await expect(page.getByRole("heading", { name: "Role matrix" })).toBeVisible();
  await page.getByRole("link", { name: "Acme CRM" }).click();
  await expect(page.getByRole("link", { name: "Acme CRM" })).toHaveAttribute("aria-current", "page");
  // A tick is saved by the WASM app's listener: before hydration it would change nothing.
  await hydrated(page);

  const cell = page.getByRole("checkbox", { name: "Analyst holds billing.view" });
  await expect(cell).not.toBeChecked();
  await cell.check();
  await expect(cell).toBeChecked();

  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("checkbox", { name: "Analyst holds billing.view" })).toBeChecked({ timeout: 1000 });
  }).toPass();

  await page.goto("/audit?action=role.permission_added");
  const row = page.locator("table.audit tbody tr").filter({ hasText: "Analyst → billing.view" });
  await expect(row).toHaveCount(1);

  // The Lead Scoring Agent holds Analyst on every account: it now has billing.view.
  await page.goto("/principals?search=Lead+Scoring");
  await page.getByRole("link", { name: "Lead Scoring Agent" }).click();
  await expect(page.getByRole("heading", { name: "Lead Scoring Agent" })).toBeVisible();
  const effective = page.locator("table.effective tbody tr").filter({ hasText: "billing.view" });
  await expect(effective).toHaveCount(1);
  await expect(effective).toContainText("Analyst");
});

test("deleting a role that grants still hold is refused with the count", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/roles");
  await page.getByRole("link", { name: "Acme CRM" }).click();
  await page.getByRole("button", { name: "Delete Client Viewer" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "cannot be deleted" })).toContainText(/\d+ grants? still holds? it/);
  await expect(page.getByRole("checkbox", { name: "Client Viewer holds reports.view" })).toBeChecked();
});

test("a Member cannot reach the role matrix", async ({ page }) => {
  await signIn(page, "member");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Role matrix" })).toHaveCount(0);
  await page.goto("/roles");
  await expect(page.getByText("Not available to you")).toBeVisible();
  await expect(page.locator("table.matrix")).toHaveCount(0);
});

test("an Auditor reads the matrix but cannot change it", async ({ page }) => {
  await signIn(page, "auditor");
  await page.goto("/roles");
  await page.getByRole("link", { name: "Acme CRM" }).click();
  await expect(page.getByRole("checkbox", { name: "CRM Admin holds contacts.export" })).toBeDisabled();
  await expect(page.getByRole("button", { name: /^Create role/ })).toHaveCount(0);

  // Two roles side by side, compared in place by the server.
  await hydrated(page);
  const compare = page.locator("section.compare");
  await compare.getByLabel("First").selectOption({ label: "CRM Admin" });
  await compare.getByLabel("Second").selectOption({ label: "Client Viewer" });
  await expect(compare.getByRole("heading", { name: "Only CRM Admin" })).toBeVisible();
  await expect(compare.locator(".compare-grid > div").filter({ has: page.getByRole("heading", { name: "Only CRM Admin" }) })).toContainText("contacts.export");
  await expect(compare.locator(".compare-grid > div").filter({ has: page.getByRole("heading", { name: "Both" }) })).toContainText("reports.view");
});

test("the matrix turns round: roles as rows, permissions as columns", async ({ page }) => {
  await signIn(page, "auditor");
  await page.goto("/roles");
  await page.getByRole("link", { name: "Acme CRM" }).click();
  await page.getByRole("link", { name: "Roles as rows" }).click();
  await expect(page).toHaveURL(/layout=bundles-as-rows/);
  await expect(page.getByRole("rowheader").filter({ hasText: "Client Viewer" })).toBeVisible();
  await expect(page.getByRole("columnheader").filter({ hasText: "reports.view" })).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Client Viewer holds reports.view" })).toBeChecked();
  await page.getByLabel("Resource").selectOption("billing");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/resource=billing/);
  await expect(page.getByRole("columnheader").filter({ hasText: "reports.view" })).toHaveCount(0);
  await expect(page.getByText(/^Permissions 1–\d+ of \d+$/)).toBeVisible();
  // Turned back, the filter stays.
  await page.getByRole("link", { name: "Permissions as rows" }).click();
  await expect(page).toHaveURL(/resource=billing/);
  await expect(page.getByRole("rowheader").filter({ hasText: "Client Viewer" })).toHaveCount(0);
  await expect(page.getByRole("checkbox", { name: "Client Viewer holds billing.view" })).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Client Viewer holds reports.view" })).toHaveCount(0);
});
