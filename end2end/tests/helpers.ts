import { expect, type Page } from "@playwright/test";

/** Demo console users (see the README); all share the demo password. */
export const users = {
  admin: { email: "admin@northwind.example", name: "Maya Okafor" },
  approver: { email: "approver@northwind.example", name: "Daniel Reyes" },
  dpo: { email: "dpo@northwind.example", name: "Ingrid Larsen" },
  auditor: { email: "auditor@northwind.example", name: "Tomás Ribeiro" },
  member: { email: "member@northwind.example", name: "Priya Nair" },
  /** The team lead of Bluebird Telecom: an Approver of that account only. */
  bluebirdApprover: { email: "ben.bauer@northwind.example", name: "Ben Bauer" },
} as const;

export const DEMO_PASSWORD = "gatehouse-demo";

/** Waits until the page is hydrated, so that clicks go through the WASM app. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => document.body.dataset.hydrated === "true");
}

export async function signIn(page: Page, who: keyof typeof users, next = "") {
  await page.goto(`/login${next ? `?next=${encodeURIComponent(next)}` : ""}`);
  await hydrated(page);
  await page.getByLabel("Email").fill(users[who].email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".who-name")).toHaveText(users[who].name);
}
