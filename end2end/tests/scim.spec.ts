import { expect, type Page } from "@playwright/test";
import { test, hydrated, signIn, users } from "./helpers";

test("a person provisioned over SCIM appears in the console and is suspended by it", async ({ page, request }) => {
  await signIn(page, "admin");
  // Who takes over what leavers without a manager owned.
  await page.goto("/lifecycle");
  await hydrated(page);
  await page.getByLabel("Fallback owner's email").fill("nobody@northwind.example");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Nobody active in the organisation has this email")).toBeVisible();
  await page.getByLabel("Fallback owner's email").fill(users.admin.email);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("p.fallback-owner")).toHaveText(`Now: ${users.admin.name}.`);

  await page.goto("/tokens");
  await hydrated(page);
  await page.getByLabel("Identity provider").fill("Entra ID");
  const until = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Provisioning token ends on").fill(until);
  await page.getByRole("button", { name: "Make provisioning token" }).click();
  const secret = page.locator("code.secret");
  await expect(secret).toHaveText(/^gtk_[0-9a-f]{64}$/);
  const token = (await secret.textContent()) ?? "";
  await expect(page.locator("table.tokens tbody tr").filter({ hasText: "Entra ID" })).toContainText("Provisioning (SCIM)");

  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" };
  const created = await request.post("/scim/v2/Users", {
    headers,
    data: {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "grace.hopper@northwind.example",
      name: { givenName: "Grace", familyName: "Hopper" },
      emails: [{ value: "grace.hopper@northwind.example", type: "work", primary: true }],
      title: "Rear admiral",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Engineering" },
    },
  });
  expect(created.status()).toBe(201);
  const user = await created.json();

  await page.goto("/principals?search=grace.hopper%40northwind.example");
  await page.getByRole("link", { name: "Grace Hopper" }).click();
  await expect(page.getByRole("heading", { name: "Grace Hopper" })).toBeVisible();
  await expect(page.locator("dd span.status")).toHaveText("active");
  await expect(page.getByText("Rear admiral")).toBeVisible();

  const patched = await request.patch(`/scim/v2/Users/${user.id}`, {
    headers,
    data: {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "active", value: false }],
    },
  });
  expect(patched.status()).toBe(200);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Grace Hopper" })).toBeVisible();
  await expect(page.locator("dd span.status")).toHaveText("suspended");
});

/** A provisioning token made on /tokens by the signed-in admin. */
async function provisioningToken(page: Page, name: string): Promise<string> {
  await page.goto("/tokens");
  await hydrated(page);
  await page.getByLabel("Identity provider").fill(name);
  const until = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("Provisioning token ends on").fill(until);
  await page.getByRole("button", { name: "Make provisioning token" }).click();
  const secret = page.locator("code.secret");
  await expect(secret).toHaveText(/^gtk_[0-9a-f]{64}$/);
  return (await secret.textContent()) ?? "";
}

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

test("birthright access follows a person in, across and out", async ({ page, request }) => {
  await signIn(page, "admin");
  await page.goto("/lifecycle");
  await hydrated(page);
  for (const [name, criteria, role] of [
    ["Field sales: analyst", "department = Field Sales", "Analyst"],
    ["Customer care: agent", "department = Customer Care", "Support Agent"],
  ]) {
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel(/^For people whose/).fill(criteria);
    await page.getByLabel("Gives").selectOption({ label: `Acme CRM · ${role} (role)` });
    await page.getByRole("button", { name: "Make the rule" }).click();
    await expect(page.locator("table.birthright-rules tbody tr").filter({ hasText: name })).toContainText(role);
  }
  // Criteria that cannot be read are refused in place.
  await page.getByLabel("Name", { exact: true }).fill("Typo");
  await page.getByLabel(/^For people whose/).fill("department");
  await page.getByRole("button", { name: "Make the rule" }).click();
  await expect(page.getByText("write “attribute = value”")).toBeVisible();

  const token = await provisioningToken(page, "Okta");
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" };
  const managers = await request.get(
    `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${users.approver.email}"`)}`,
    { headers },
  );
  const manager = (await managers.json()).Resources[0].id;
  const created = await request.post("/scim/v2/Users", {
    headers,
    data: {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
      userName: "katherine.johnson@northwind.example",
      name: { givenName: "Katherine", familyName: "Johnson" },
      emails: [{ value: "katherine.johnson@northwind.example", primary: true }],
      [ENTERPRISE]: { department: "Field Sales", manager: { value: manager } },
    },
  });
  expect(created.status()).toBe(201);
  const user = await created.json();

  // Joined: the analyst role, from its rule.
  await page.goto(`/principals/${user.id}`);
  const grants = page.locator("table.grants").first();
  await expect(grants.locator("tr").filter({ hasText: "Analyst" })).toContainText("from rule “Field sales: analyst”");

  // Her agent answers to her.
  await page.goto("/principals?kind=ai_agent");
  await page.locator("table tbody tr a").first().click();
  const agentUrl = page.url();
  await hydrated(page);
  await page.getByLabel("Owner's email").fill("katherine.johnson@northwind.example");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  // Moved: the new role at once, the old one waiting for her manager.
  const moved = await request.patch(`/scim/v2/Users/${user.id}`, {
    headers,
    data: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: `${ENTERPRISE}:department`, value: "Customer Care" }] },
  });
  expect(moved.status()).toBe(200);
  await page.goto(`/principals/${user.id}`);
  await expect(grants.locator("tr").filter({ hasText: "Support Agent" })).toContainText("from rule “Customer care: agent”");
  await expect(grants.locator("tr").filter({ hasText: "Analyst" })).toContainText("unless their manager keeps it");

  // The manager is asked.
  await page.context().clearCookies();
  await signIn(page, "approver");
  await page.goto("/reviews");
  await page.getByRole("link", { name: /Katherine Johnson moved/ }).click();
  await expect(page.locator("main")).toContainText("Analyst");

  // Deactivated: suspended, and her agent goes to her manager.
  const gone = await request.patch(`/scim/v2/Users/${user.id}`, {
    headers,
    data: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] },
  });
  expect(gone.status()).toBe(200);
  await page.context().clearCookies();
  await signIn(page, "admin");
  await page.goto(`/principals/${user.id}`);
  await expect(page.locator("dd span.status")).toHaveText("suspended");
  await page.goto(agentUrl);
  await expect(page.locator("dl")).toContainText(users.approver.name);
});

test("inactivity is previewed before it is switched on, and the failsafe's limits are set", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/lifecycle");
  await hydrated(page);
  await page.getByLabel("Kind", { exact: true }).selectOption("bot");
  await page.getByLabel("Days to preview").fill("7");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByText("Give a whole number of days from 14 to 3650")).toBeVisible();
  await page.getByLabel("Days to preview").fill("30");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.locator("p.inactivity-preview")).toContainText("quiet longer than 30 days");

  await page.getByLabel("Suspend", { exact: true }).selectOption("bot");
  await page.getByLabel("after days without activity").fill("90");
  await page.getByRole("button", { name: "Set inactivity" }).click();
  await expect(page.locator("p.inactivity-now")).toHaveText("Now: bot after 90 days.");
  // A form that went through comes back as it is drawn (sent without the page's script,
  // the whole page is drawn again): the kind is chosen again.
  await page.getByLabel("Suspend", { exact: true }).selectOption("bot");
  await page.getByLabel("after days without activity").fill("");
  await page.getByRole("button", { name: "Set inactivity" }).click();
  await expect(page.locator("p.inactivity-now")).toHaveText("Now: no kind is suspended for inactivity.");

  await page.getByLabel("Principals suspended per hour").fill("0");
  await page.getByRole("button", { name: "Set the limits" }).click();
  await expect(page.getByText("Give a whole number from 1 to 1000000")).toBeVisible();
  await page.getByLabel("Principals suspended per hour").fill("20");
  // The page is read again only once the limits are saved: a reload sooner would cut the
  // request short.
  const saved = page.waitForResponse((r) => r.url().includes("/api/lifecycle/failsafe"));
  await page.getByRole("button", { name: "Set the limits" }).click();
  // 200 to the page's script; 303 back to the page to a form posted without it.
  expect([200, 303]).toContain((await saved).status());
  await page.reload();
  await expect(page.getByLabel("Principals suspended per hour")).toHaveValue("20");
  await page.getByRole("link", { name: "No held changes." }).click();
  await expect(page.getByRole("heading", { name: "Held changes" })).toBeVisible();
  await expect(page.getByText("Nothing is held.")).toBeVisible();
});
