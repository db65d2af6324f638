import { expect, type Page } from "@playwright/test";
import { test, hydrated, signIn } from "./helpers";

/** Asks, as the signed-in member, for a role on an account; answers the request id. */
async function ask(page: Page, role: string, account: string, why: string): Promise<string> {
  const options = await (await page.request.post("/api/requests/form")).json();
  const me = options.principals[0][0];
  const bundle = options.bundles.find((b: { name: string }) => b.name === role).id;
  const accountId = options.accounts.find((a: [string, string]) => a[1] === account)[0];
  const created = await page.request.post("/api/requests/create", {
    form: { principal: me, bundle, account: accountId, duration: "7", until: "", justification: why },
  });
  expect(created.status(), await created.text()).toBe(200);
  return await created.json();
}

test("a separation-of-duties block rule refuses the request with its name", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "admin");
  await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Separation of duties" }).click();
  await hydrated(admin);
  await admin.getByLabel("Name").fill("Flow designers do not also draft flows");
  await admin.getByLabel("Whoever holds").selectOption({ label: "Chatbot Builder: flows.draft" });
  await admin.getByLabel("must not also hold").selectOption({ label: "Chatbot Builder: Flow Designer" });
  await admin.getByLabel("When a request would break it").selectOption("block");
  await admin.getByRole("button", { name: "Add rule" }).click();
  const rule = admin.locator("table.sod-rules tbody tr").filter({ hasText: "Flow designers do not also draft flows" });
  await expect(rule).toContainText("Block");

  // The rule goes again even when a step fails, so that it blocks no other test.
  try {
    const member = await (await browser.newContext()).newPage();
    await signIn(member, "member");
    await member.goto("/requests");
    await hydrated(member);
    await member.getByLabel("Role or permission set").selectOption({ label: "Chatbot Builder — Flow Designer (role)" });
    await member.getByLabel("Account").selectOption({ label: "Bluebird Telecom" });
    await expect(member.locator(".sod")).toContainText("Flow designers do not also draft flows");
    await member.getByLabel("Why").fill("Designing Bluebird's new support flows this month");
    await member.getByRole("button", { name: "Send request" }).click();
    await expect(
      member.getByText("Refused by the separation-of-duties rule \u201cFlow designers do not also draft flows\u201d"),
    ).toBeVisible();
  } finally {
    await rule.getByRole("button", { name: "Delete" }).click();
    await expect(rule).toHaveCount(0);
  }
});

test("approvers filter the queue, approve low-risk requests in bulk and decide with the keyboard", async ({ browser }) => {
  const member = await (await browser.newContext()).newPage();
  await signIn(member, "member");
  await ask(member, "Support Agent", "Driftwood Hotels", "Covering the Driftwood support desk over the holidays");
  await ask(member, "Conversation Agent", "Driftwood Hotels", "Answering Driftwood guests in the chatbot handover");
  await ask(member, "Content Editor", "Cobalt Insurance", "Editing Cobalt's renewal campaign texts this quarter");
  await ask(member, "Support Agent", "Cobalt Insurance", "Helping the Cobalt support team through the claims peak");

  const approver = await (await browser.newContext()).newPage();
  await signIn(approver, "approver");
  await expect(approver.getByRole("navigation", { name: "Main" }).locator(".count")).toHaveText(/[1-9]/);

  await approver.goto("/approvals");
  await hydrated(approver);
  await approver.getByLabel("Account").selectOption({ label: "Driftwood Hotels" });
  await approver.getByLabel("Requester").fill("Priya");
  await approver.getByRole("button", { name: "Filter" }).click();
  await expect(approver).toHaveURL(/account=/);
  // The filter loads the page again: its checkboxes count once the page is live.
  await hydrated(approver);
  const rows = approver.locator("table.requests tbody tr");
  await expect(rows).toHaveCount(2);
  for (const name of ["Support Agent", "Conversation Agent"]) {
    await rows.filter({ hasText: name }).getByRole("checkbox").check();
  }
  await approver.getByRole("button", { name: "Approve selected" }).click();
  await expect(approver.getByRole("status").filter({ hasText: "decided" })).toContainText("2 decided.");
  await expect(rows).toHaveCount(0);

  await approver.goto("/approvals?requester=Priya&account=" + (await accountId(approver, "Cobalt Insurance")));
  await hydrated(approver);
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("Content Editor");
  await approver.keyboard.press("j");
  await approver.keyboard.press("k");
  await approver.keyboard.press("a");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Support Agent");
  approver.once("dialog", (dialog) => dialog.accept("Cobalt's team already covers the peak"));
  await approver.keyboard.press("d");
  await expect(rows).toHaveCount(0);

  await member.goto("/requests");
  const mine = member.locator("table.requests tbody tr");
  await expect(mine.filter({ hasText: "Conversation Agent" }).filter({ hasText: "Driftwood Hotels" })).toContainText("approved");
  await expect(mine.filter({ hasText: "Content Editor" }).filter({ hasText: "Cobalt Insurance" })).toContainText("approved");
  await expect(mine.filter({ hasText: "Support Agent" }).filter({ hasText: "Cobalt Insurance" })).toContainText(
    "Cobalt's team already covers the peak",
  );
});

async function accountId(page: Page, name: string): Promise<string> {
  const queue = await (await page.request.post("/api/approvals/queue")).json();
  return queue.accounts.find((a: [string, string]) => a[1] === name)[0];
}

test("webhook endpoints are for Governance admins, and the secret is shown once", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "admin");
  await admin.goto("/webhooks");
  await hydrated(admin);
  // Internal addresses are refused next to the field: no probing the server's network.
  await admin.getByLabel("Address").fill("http://127.0.0.1:9/gatehouse");
  await admin.getByRole("button", { name: "Add endpoint" }).click();
  await expect(admin.getByText(/127\.0\.0\.1 is a private, loopback or link-local address/)).toBeVisible();
  await expect(admin.locator("code.secret")).toHaveCount(0);
  await admin.getByLabel("Address").fill("https://203.0.113.9/gatehouse");
  await admin.getByRole("button", { name: "Add endpoint" }).click();
  await expect(admin.locator("code.secret")).toHaveText(/^whsec_[0-9a-f]{64}$/);
  await expect(admin.locator("table.webhooks tbody tr").filter({ hasText: "203.0.113.9" })).toContainText("on");
  await admin.reload();
  await expect(admin.locator("code.secret")).toHaveCount(0);

  const approver = await (await browser.newContext()).newPage();
  await signIn(approver, "approver");
  await expect(approver.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" })).toHaveCount(0);
  await approver.goto("/webhooks");
  await expect(approver.getByText("Not available to you")).toBeVisible();
});

test("an approver sees access ending soon and asks for its renewal in one click", async ({ browser }) => {
  const approver = await (await browser.newContext()).newPage();
  await signIn(approver, "approver");
  await approver.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Expiring access" }).click();
  await hydrated(approver);
  await approver.getByRole("link", { name: "Next 30 days" }).click();
  await expect(approver).toHaveURL(/days=30/);
  const rows = approver.locator("table.expiring tbody tr");
  await expect(rows.first()).toBeVisible();
  const first = rows.filter({ has: approver.getByRole("button", { name: "Request renewal" }) }).first();
  const who = (await first.locator("td").first().locator("a").textContent()) ?? "";
  const what = (await first.locator("td").nth(1).textContent()) ?? "";
  await first.getByRole("button", { name: "Request renewal" }).click();
  await expect(approver.getByRole("status")).toContainText("Renewal requested");
  const renewed = rows.filter({ hasText: who }).filter({ hasText: what.split(/(?=[A-Z][a-z]+ CRM|Chatbot)/)[0] });
  await expect(renewed.locator(".badge").filter({ hasText: "Renewal requested" }).first()).toBeVisible();

  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "admin");
  await admin.goto("/approvals");
  await expect(admin.locator("table.requests tbody tr").filter({ hasText: "Renewal of the grant ending" }).filter({ hasText: who })).toHaveCount(1);
});
