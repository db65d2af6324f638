import { execFileSync } from "node:child_process";
import { expect } from "@playwright/test";
import { test, hydrated, signIn } from "./helpers";

test("activity sent with curl takes a bot out of the dormant report", async ({ page }) => {
  await signIn(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API tokens" }).click();
  await hydrated(page);
  await page.getByLabel("Application").selectOption({ label: "Acme CRM" });
  await page.getByLabel("Name").fill("CRM activity export");
  await page.getByRole("button", { name: "Make token" }).click();
  const secret = page.locator("code.secret");
  await expect(secret).toHaveText(/^gtk_[0-9a-f]{64}$/);
  const token = (await secret.textContent()) ?? "";
  await expect(page.locator("table.tokens tbody tr").filter({ hasText: "CRM activity export" })).toContainText("never");

  await page.goto("/reports/dormant?days=30&kind=bot");
  await hydrated(page);
  const bot = page.locator("table.dormant tbody tr").filter({ hasText: "Instagram DM Bot" });
  await expect(bot).toContainText("Inactive");

  const origin = new URL(page.url()).origin;
  const answer = execFileSync("curl", [
    "-sS", `${origin}/api/v1/activity`,
    "-H", `Authorization: Bearer ${token}`,
    "-H", "Content-Type: application/json",
    "-d", JSON.stringify({
      events: [
        { id: "ig-1", principal: "bot:instagram-dm", permission: "contacts.view", account: "Acme Retail", at: new Date().toISOString() },
        { id: "ig-2", principal: "bot:no-such-bot", permission: "contacts.view", at: new Date().toISOString() },
      ],
    }),
  ]).toString();
  const report = JSON.parse(answer);
  expect(report.recorded).toBe(1);
  expect(report.events[1].status).toBe("rejected");
  expect(report.events[1].error).toContain("bot:no-such-bot");

  await page.reload();
  await hydrated(page);
  await expect(bot).toHaveCount(0);
});

test("a dormant integration is suspended from the report, and approvers only read it", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "admin");
  await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
  await admin.locator(".report-list").getByRole("link", { name: "Dormant principals" }).click();
  await hydrated(admin);
  await admin.getByLabel("Kind").selectOption("integration");
  await admin.getByRole("button", { name: "Show" }).click();
  await expect(admin).toHaveURL(/kind=integration/);
  const row = admin.locator("table.dormant tbody tr").filter({ hasText: "Warehouse Export" });
  await expect(row).toContainText("Never active");
  await row.getByRole("checkbox").check();
  await admin.getByLabel("Action").selectOption("suspend");
  await admin.getByLabel("Reason").fill("Never used since it was set up");
  await admin.getByRole("button", { name: "Apply" }).click();
  await expect(admin.getByRole("status")).toContainText("Done for 1.");
  await expect(row).toHaveCount(0);

  await admin.goto("/audit?action=principal.suspended");
  await expect(admin.locator("table tbody tr").filter({ hasText: "Warehouse Export" }).first()).toBeVisible();

  const approver = await (await browser.newContext()).newPage();
  await signIn(approver, "approver");
  await approver.goto("/reports/dormant");
  await hydrated(approver);
  await expect(approver.locator("table.dormant tbody tr").first()).toBeVisible();
  await approver.locator("table.dormant tbody tr").first().getByRole("checkbox").check();
  await approver.getByLabel("Reason").fill("Trying to suspend without the right");
  await approver.getByRole("button", { name: "Apply" }).click();
  await expect(approver.getByText("You do not have permission to do this.")).toBeVisible();
});
