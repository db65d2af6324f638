import { expect } from "@playwright/test";
import { test, signIn } from "./helpers";

test("a member asks for access, an approver grants it, and it shows on the principal and the audit trail", async ({ browser }) => {
  const member = await (await browser.newContext()).newPage();
  await signIn(member, "member");
  await member.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Requests" }).click();
  await member.getByLabel("Role or permission set").selectOption({ label: "Acme CRM — Client Viewer (role)" });
  await member.getByLabel("Account").selectOption({ label: "Evergreen Foods" });
  await expect(member.locator("ul.adds")).toContainText("reports.view");
  await member.getByLabel("For how long").selectOption("7");
  await member.getByLabel("Why").fill("Reviewing Evergreen's quarterly results with the client");
  await member.getByRole("button", { name: "Send request" }).click();
  await expect(member.getByRole("status")).toContainText("Sent");
  const mine = member.locator("table.requests tbody tr").filter({ hasText: "Client Viewer" }).filter({ hasText: "Evergreen Foods" });
  await expect(mine).toContainText("pending");

  const approver = await (await browser.newContext()).newPage();
  await signIn(approver, "approver");
  await approver.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Approvals" }).click();
  const item = approver.locator("table.requests tbody tr").filter({ hasText: "Priya Nair" }).filter({ hasText: "Evergreen Foods" });
  await expect(item).toContainText("Reviewing Evergreen's quarterly results");
  await item.locator("summary").click();
  await expect(item.locator("details")).toContainText("Holds now");
  await expect(item.locator("details code").filter({ hasText: "reports.view" })).toBeVisible();
  await item.getByRole("button", { name: "Approve" }).click();
  await expect(item).toHaveCount(0);

  await member.reload();
  await expect(mine).toContainText("approved");
  await expect(mine).toContainText("Daniel Reyes: approved");

  await approver.goto("/principals?search=member%40northwind");
  await approver.getByRole("link", { name: "Priya Nair" }).click();
  const grant = approver.locator("table.grants").first().locator("tr").filter({ hasText: "Client Viewer" });
  await expect(grant).toContainText("Evergreen Foods");
  await expect(approver.locator("table.effective tbody tr").filter({ hasText: "Evergreen Foods" }).filter({ hasText: "reports.view" })).toHaveCount(1);

  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "admin");
  await admin.goto("/audit?action=request.approved");
  await expect(admin.locator("table.audit tbody tr").filter({ hasText: "Priya Nair → Client Viewer" })).toHaveCount(1);
});

test("an approver cannot approve their own request", async ({ page }) => {
  await signIn(page, "approver");
  const form = await page.request.post("/api/requests/form");
  const options = await form.json();
  const me = options.principals[0][0];
  const bundle = options.bundles.find((b: { name: string }) => b.name === "Analyst").id;
  const account = options.accounts.find((a: [string, string]) => a[1] === "Bluebird Telecom")[0];
  const created = await page.request.post("/api/requests/create", {
    form: { principal: me, bundle, account, duration: "7", until: "", justification: "Checking the Bluebird reporting numbers myself" },
  });
  expect(created.status()).toBe(200);
  const request = await created.json();

  await page.goto("/approvals");
  await expect(page.getByRole("heading", { name: "Pending approvals" })).toBeVisible();
  await expect(page.locator("table.requests tbody tr").filter({ hasText: "Checking the Bluebird reporting numbers" })).toHaveCount(0);
  const decided = await page.request.post("/api/approvals/decide", { form: { request, approve: "true", comment: "" } });
  expect(decided.status()).toBe(409);
  expect(await decided.text()).toContain("Nobody decides their own request");
});
