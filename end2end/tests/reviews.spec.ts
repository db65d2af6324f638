import { expect } from "@playwright/test";
import { test, hydrated, signIn, users } from "./helpers";

test("a small access review revokes a grant when it closes", async ({ page }) => {
  await signIn(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Access reviews" }).click();
  await hydrated(page);
  await page.getByLabel("Name").fill("Integration access check");
  await page.getByRole("checkbox", { name: "Integration" }).check();
  await page.getByRole("checkbox", { name: users.admin.name }).check();
  await page.getByLabel("Items nobody decides").selectOption("keep");
  await page.getByRole("button", { name: "Start campaign" }).click();
  await expect(page.getByRole("status")).toContainText("Campaign started with");
  await page.getByRole("status").getByRole("link", { name: "Open it" }).click();
  await expect(page.getByRole("heading", { name: "Integration access check" })).toBeVisible();
  await hydrated(page);

  const shopify = page.locator("table.review-items tbody tr").filter({ hasText: "Shopify Sync" }).first();
  await expect(shopify).toContainText("undecided");
  await shopify.getByRole("checkbox").check();
  await page.getByLabel("Decision").selectOption("revoke");
  await page.getByLabel("Reason (needed to revoke)").fill("The shop moved to another platform");
  await page.getByRole("button", { name: "Record decision" }).click();
  await expect(page.getByRole("status")).toContainText("Decision recorded for 1 items.");
  await expect(page.locator("table.review-items tbody tr").filter({ hasText: "Shopify Sync" }).filter({ hasText: "revoke" })).toHaveCount(1);

  await page.getByRole("button", { name: "Close campaign and apply" }).click();
  await expect(page.getByText("Campaign closed: 1 revoked")).toBeVisible();
  await expect(page.locator("table.review-items tbody tr").filter({ hasText: "Shopify Sync" })).toContainText("revoked");

  await page.goto("/audit?action=grant.revoked");
  await expect(
    page.locator("table tbody tr").filter({ hasText: "Shopify Sync" }).filter({ hasText: "The shop moved to another platform" }).first(),
  ).toBeVisible();
});
