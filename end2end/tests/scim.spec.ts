import { expect, test } from "@playwright/test";
import { hydrated, signIn, users } from "./helpers";

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
