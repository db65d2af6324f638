import { test as base, expect, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";

/** Demo console users (see the README); all share the demo password. */
export const users = {
  admin: { email: "admin@northwind.example", name: "Maya Okafor" },
  approver: { email: "approver@northwind.example", name: "Daniel Reyes" },
  dpo: { email: "dpo@northwind.example", name: "Ingrid Larsen" },
  auditor: { email: "auditor@northwind.example", name: "Tomás Ribeiro" },
  member: { email: "member@northwind.example", name: "Priya Nair" },
  /** The team lead of Bluebird Telecom: an Approver of that account only. */
  bluebirdApprover: { email: "ben.bauer@northwind.example", name: "Ben Bauer" },
  /** The team lead of Cobalt Insurance, an Approver of that account only; no other test's
   * user, for her authenticator changes how she signs in. */
  cobaltApprover: { email: "chloe.costa@northwind.example", name: "Chloé Costa" },
  /** The team lead of Driftwood Hotels, an Approver of that account only; no other test's
   * user, for his passkey changes how he signs in. */
  driftwoodApprover: { email: "dmitri.dubois@northwind.example", name: "Dmitri Dubois" },
} as const;

export const DEMO_PASSWORD = "gatehouse-demo";

/**
 * Every test, with one more check at its end: the page's WASM app did not panic (a
 * failed hydration, say). After a panic the page still shows its markup but no longer
 * answers, so a test would otherwise fail later and far from the cause, or not at all.
 */
export const test = base.extend<{ noPanics: void }>({
  noPanics: [
    async ({ page }, use) => {
      const panics: string[] = [];
      page.on("pageerror", (error) => panics.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error" && message.text().includes("panicked")) panics.push(message.text());
      });
      await use();
      expect(panics, "the page's WASM app panicked").toEqual([]);
    },
    { auto: true },
  ],
});

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

/**
 * The six-digit code an authenticator app shows for `secret` (base 32) at `at`
 * (seconds): RFC 6238 with SHA-1 and 30-second steps, worked out here independently of
 * the server.
 */
export function authenticatorCode(secret: string, at: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...secret.replace(/=+$/, "").toUpperCase()]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0"))
    .join("");
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, "0");
}
