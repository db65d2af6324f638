import { expect } from "@playwright/test";
import { test, hydrated, signIn, users } from "./helpers";

test("an approver filters principals and opens one with grants and effective permissions", async ({ page }) => {
  await signIn(page, "approver");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Principals", exact: true }).click();
  await expect(page.locator("table.principals tbody tr")).toHaveCount(50);
  await page.getByLabel("Kind").selectOption("integration");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/kind=integration/);
  await expect(page.locator("table.principals tbody tr")).toHaveCount(2);

  await page.getByRole("link", { name: "Warehouse Export" }).click();
  await expect(page.getByRole("heading", { name: "Warehouse Export" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Grants in force" })).toBeVisible();
  // Its only grant expired: it shows apart, and gives nothing now.
  await expect(page.locator("table.grants")).toHaveCount(1);
  await expect(page.locator("table.grants")).toContainText("Contact Export");
  await expect(page.locator("table.effective tbody tr")).toHaveCount(0);
});

test("a Member cannot list principals", async ({ page }) => {
  await signIn(page, "member");
  await page.goto("/principals");
  await expect(page.getByText("Not available to you")).toBeVisible();
});

test("an admin grants a role with a reason and a condition, sees it take effect, then revokes it; high-impact access goes to approvers", async ({ page }) => {
  // An AI agent no other test touches: its requests and grants stay out of their way.
  await signIn(page, "admin");
  await page.goto("/principals?search=Support%20Copilot");
  await page.getByRole("link", { name: "Support Copilot" }).click();
  await expect(page.getByRole("heading", { name: "Support Copilot" })).toBeVisible();
  await hydrated(page);
  const refunds = page.locator("table.effective tbody tr").filter({ hasText: "refunds.issue" });
  await expect(refunds).toHaveCount(0);

  // High-impact access is not one admin's to give: it becomes a request.
  await page.getByLabel("Role or permission set").selectOption({ label: "Acme CRM — Refund Authority (permission set)" });
  await page.getByLabel("Account", { exact: true }).selectOption({ label: "Acme Retail" });
  await page.getByLabel("Reason", { exact: true }).fill("Holiday refund peak cover for the team");
  await page.getByRole("button", { name: "Grant", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Sent for approval: Refund Authority adds high-impact permissions");
  await expect(page.getByRole("status")).toContainText("2 approvers other than you");
  await expect(refunds).toHaveCount(0);

  // Low-risk access is granted at once.
  const handover = page.locator("table.effective tbody tr").filter({ hasText: "conversations.handover" });
  await expect(handover).toHaveCount(0);
  const until = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Role or permission set").selectOption({ label: "Chatbot Builder — Conversation Agent (role)" });
  await page.getByLabel("Account", { exact: true }).selectOption({ label: "Acme Retail" });
  await page.getByLabel("Until").fill(until);
  await page.getByLabel("Reason", { exact: true }).fill("Covering the chat handover queue");
  // A condition that cannot be read is refused next to its field, with what to write.
  await page.getByLabel("Conditions (optional)").fill("region");
  await page.getByRole("button", { name: "Grant", exact: true }).click();
  await expect(page.locator("#conditions-error")).toContainText("is not a condition");
  await expect(page.locator("#conditions-error")).toContainText("region = EU");
  await expect(handover).toHaveCount(0);
  await page.getByLabel("Conditions (optional)").fill("region = EU");
  await page.getByRole("button", { name: "Grant", exact: true }).click();
  await expect(handover).toHaveCount(1);
  await expect(handover).toContainText("Conversation Agent");
  await expect(handover).toContainText("conditional");
  await expect(handover).toContainText("only when the resource's region is EU");
  await expect(page.locator("table.grants tr").filter({ hasText: "Conversation Agent" })).toContainText(
    "Only when the resource's region is EU",
  );

  // The explain page decides with the grant: an EU resource is allowed, a US one not.
  const principalPage = page.url();
  await page.goto("/access/explain");
  await hydrated(page);
  await page.getByLabel("Principal").fill("agent:support-copilot");
  await page.getByLabel("Permission").selectOption({ label: "Chatbot Builder — conversations.handover" });
  await page.getByLabel("Account").selectOption({ label: "Acme Retail" });
  await page.getByLabel("Resource attributes").fill("region = EU");
  await page.getByRole("button", { name: "Explain" }).click();
  const decision = page.getByRole("status", { name: "Decision" });
  await expect(decision).toContainText("Allowed: Support Copilot");
  await expect(decision).toContainText("allowed by the grant of Conversation Agent");
  await page.getByLabel("Resource attributes").fill("region = US");
  await page.getByRole("button", { name: "Explain" }).click();
  await expect(decision).toContainText("Denied: Support Copilot");
  await expect(decision).toContainText("region = EU");
  await page.goto(principalPage);
  await hydrated(page);
  await page.getByLabel("Reason to revoke Conversation Agent on Acme Retail").fill("Queue is staffed again");
  await page.locator("table.grants tr").filter({ hasText: "Conversation Agent" }).getByRole("button", { name: "Revoke" }).click();
  await expect(handover).toHaveCount(0);
  await expect(page.locator("table.grants").last()).toContainText("Queue is staffed again");
});

test("an admin edits a contractor's details, suspends them and reactivates them", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/principals?search=contractor1%40");
  await expect(page.locator("table.principals tbody tr")).toHaveCount(1);
  await page.locator("table.principals tbody a").first().click();
  await expect(page.getByRole("heading", { name: "Details" })).toBeVisible();

  await page.getByLabel("Job title").fill("Senior chatbot consultant");
  await page.getByLabel("Manager's email").fill("no-such-person@northwind.example");
  await page.getByRole("button", { name: "Save details" }).click();
  await expect(page.locator("#responsible-error")).toContainText("No one in the organisation has the email");

  await page.getByLabel("Manager's email").fill(users.admin.email);
  await page.getByRole("button", { name: "Save details" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  await expect(page.locator("dl.facts")).toContainText("Senior chatbot consultant");
  await expect(page.locator("dl.facts")).toContainText(users.admin.name);

  await page.getByLabel("Reason to suspend").fill("Contract paused pending review");
  await page.getByRole("button", { name: "Suspend" }).click();
  await expect(page.getByText("Suspended: cannot sign in to the console")).toBeVisible();
  await page.getByLabel("Reason to reactivate").fill("Review done, contract resumes");
  await page.getByRole("button", { name: "Reactivate" }).click();
  await expect(page.getByText("Suspended: cannot sign in to the console")).toHaveCount(0);
  await expect(page.locator("dl.facts")).toContainText("active");

  await page.goto("/audit?action=principal.suspended");
  await expect(page.locator("table.audit tbody tr").filter({ hasText: "Contract paused pending review" })).toHaveCount(1);
});

test("the principals list filters by account", async ({ page }) => {
  await signIn(page, "auditor");
  await page.goto("/principals");
  await hydrated(page);
  await page.getByLabel("Account").selectOption({ label: "Acme Retail" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/account=/);
  const accounts = page.locator("table.principals tbody tr td:nth-child(6)");
  await expect(accounts.first()).toBeVisible();
  // The filtered list replaces the whole one once it has loaded.
  await expect(accounts.filter({ hasNotText: "Acme Retail" })).toHaveCount(0);
  // The editing forms are for Governance admins only.
  await page.locator("table.principals tbody a").first().click();
  await expect(page.locator("table.effective")).toBeVisible();
  await expect(page.getByRole("button", { name: "Save details" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Suspend" })).toHaveCount(0);
});
