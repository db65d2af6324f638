import { expect } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { test, hydrated, signIn } from "./helpers";

test("the home page draws its trends, and the hygiene reports filter and export", async ({ page }) => {
  await signIn(page, "auditor");
  await expect(page.locator("figure.trend svg polyline")).toHaveCount(3);
  await expect(page.locator("figure.trend figcaption")).toHaveText(["Dormant principals", "Pending requests", "Active grants"]);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
  await page.locator(".report-list").getByRole("link", { name: "Expiring access" }).click();
  await hydrated(page);
  await page.getByRole("link", { name: "7 days" }).click();
  await expect(page).toHaveURL(/days=7/);
  await expect(page.getByText(/rows match \(window: 7 days\)/)).toBeVisible();
  const rows = page.locator("table.report tbody tr");
  await expect(rows.first()).toBeVisible();
  const shown = await rows.count();
  expect(shown).toBeGreaterThan(0);

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  const csv = (await readFile(await download.path(), "utf8")).trim().split("\n");
  expect(csv[0]).toBe("Ends (UTC),Principal,Kind,Role or permission set,Application,Account,Granted by");
  expect(csv.length - 1).toBe(shown);

  await page.getByRole("navigation", { name: "Reports" }).getByRole("link", { name: "Client bleed" }).click();
  await expect(page).toHaveURL(/\/reports\/client-bleed$/);
  await expect(page.locator("table.report tbody tr").filter({ hasText: "Not assigned to" }).first()).toBeVisible();
});
