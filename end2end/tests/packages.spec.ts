import { expect } from "@playwright/test";
import { test, hydrated, signIn, users } from "./helpers";

test("an admin makes an access package, a member asks for it, their manager approves, and it shows on the member's page", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "admin");
  await admin.goto("/packages");
  await hydrated(admin);
  // The demo's package is offered with its policy.
  const demo = admin.getByRole("article", { name: "Acme Retail support desk" });
  await expect(demo).toContainText("Acme CRM — Support Agent on Acme Retail");
  await expect(demo).toContainText("Step 1: their manager");

  // A line naming nothing is refused next to the field, with its line number.
  await admin.getByLabel("Name", { exact: true }).fill("Driftwood content desk");
  await admin.getByLabel("Gives (one per line").fill("Acme CRM / Content Writer / Driftwood Hotels");
  await admin.getByLabel("Lasts at most (days)").fill("30");
  await admin.getByLabel("Reviewed every (months, optional)").fill("6");
  await admin.getByRole("button", { name: "Make the package" }).click();
  await expect(admin.locator("form").filter({ hasText: "Make the package" })).toContainText("Line 1: there is no role or permission set");
  await admin
    .getByLabel("Gives (one per line")
    .fill("Acme CRM / Content Editor / Driftwood Hotels\nChatbot Builder / Flow Designer / Driftwood Hotels");
  await admin.getByRole("button", { name: "Make the package" }).click();
  await expect(admin.getByRole("status")).toContainText("Package made");
  const made = admin.getByRole("article", { name: "Driftwood content desk" });
  await expect(made).toContainText("Chatbot Builder — Flow Designer on Driftwood Hotels");
  await expect(made).toContainText("every 6 months");

  // The member asks for it for themselves.
  const member = await (await browser.newContext()).newPage();
  await signIn(member, "member");
  await member.goto("/packages");
  await hydrated(member);
  await member.getByLabel("Package", { exact: true }).selectOption({ label: "Driftwood content desk (at most 30 days)" });
  await member.getByLabel("For", { exact: true }).selectOption({ label: users.member.name });
  await member.getByLabel("Days", { exact: true }).fill("14");
  await member.getByLabel("Why").fill("Writing Driftwood's winter campaign with the content team");
  await member.getByRole("button", { name: "Ask for the package" }).click();
  await expect(member.getByRole("status")).toContainText("Asked");
  await expect(member.locator("table.package-requests-mine tbody tr").first()).toContainText("pending");

  // Their manager, the admin, finds it waiting and approves it.
  await admin.goto("/packages");
  await hydrated(admin);
  const waiting = admin.getByRole("article", { name: `Driftwood content desk for ${users.member.name}` });
  await expect(waiting).toContainText("Writing Driftwood's winter campaign");
  await waiting.getByRole("button", { name: "Approve" }).click();
  await expect(admin.getByRole("status")).toContainText("Approved: the package's grants are in force.");
  await expect(waiting).toHaveCount(0);

  // The member's page lists the package and its grants, ending together.
  await admin.goto("/principals?search=Priya");
  await admin.getByRole("link", { name: users.member.name }).click();
  const held = admin.locator("table.packages-held tbody tr").filter({ hasText: "Driftwood content desk" });
  await expect(held).toContainText("in force (2 of 2 grants)");
  const grants = admin.locator("table.grants").first().locator("tr").filter({ hasText: "package “Driftwood content desk”" });
  await expect(grants).toHaveCount(2);
  const until = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  await expect(grants.first()).toContainText(until);
  await expect(grants.last()).toContainText(until);

  await member.reload();
  await expect(member.locator("table.package-requests-mine tbody tr").first()).toContainText("approved");
});
