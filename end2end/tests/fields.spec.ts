import { execFileSync } from "node:child_process";
import { expect } from "@playwright/test";
import { test, hydrated, signIn } from "./helpers";

test("a field declared confidential is removed from what /api/v1/filter returns to a reader cleared for internal", async ({ page }) => {
  await signIn(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Fields and clearances" }).click();
  await hydrated(page);
  await page.getByLabel("Resource").selectOption({ label: "Acme CRM — contacts" });
  await page.getByLabel("Field").fill("phone");
  await page.getByLabel("Sensitivity").selectOption("confidential");
  await page.getByRole("button", { name: "Save field" }).click();
  const contacts = page.locator("h3", { hasText: "Acme CRM — contacts" }).locator("xpath=following-sibling::div[1]");
  await expect(contacts.locator("tr").filter({ hasText: "phone" })).toContainText("confidential");

  await page.goto("/tokens");
  await hydrated(page);
  await page.getByLabel("Application").selectOption({ label: "Acme CRM" });
  await page.getByLabel("Name").fill("CRM assistant");
  await page.getByRole("button", { name: "Make token" }).click();
  const secret = page.locator("code.secret");
  await expect(secret).toHaveText(/^gtk_[0-9a-f]{64}$/);
  const token = (await secret.textContent()) ?? "";
  const origin = new URL(page.url()).origin;
  const call = (args: string[]) =>
    JSON.parse(execFileSync("curl", ["-sS", "-H", `Authorization: Bearer ${token}`, ...args]).toString());

  // Someone who may view Acme Retail's contacts with no condition attached.
  const holders = call([`${origin}/api/v1/permissions/contacts.view/holders?account=Acme%20Retail`]);
  const reader = holders.holders.find((h: { conditional: boolean }) => !h.conditional);
  expect(reader).toBeTruthy();
  const answer = call([
    `${origin}/api/v1/filter`,
    "-H", "Content-Type: application/json",
    "-d", JSON.stringify({
      principal: reader.principal.id, resource: "contacts", account: "Acme Retail",
      record: { name: "Ada Lovelace", phone: "+44 20 7946 0000" },
    }),
  ]);
  expect(answer.allowed).toBe(true);
  expect(answer.clearance).toBe("internal");
  expect(answer.record).toEqual({ name: "Ada Lovelace" });
  expect(answer.removed[0].field).toBe("phone");
  expect(answer.removed[0].text).toContain("confidential");
});
