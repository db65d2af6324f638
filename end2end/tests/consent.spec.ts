import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { expect } from "@playwright/test";
import { test, hydrated, signIn } from "./helpers";

test("consent sent with curl shows on the subject's page; a DPO records a withdrawal by hand, then erases the subject on request", async ({ browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, "admin");
  await admin.goto("/tokens");
  await hydrated(admin);
  await admin.getByLabel("Application").selectOption({ label: "Chatbot Builder" });
  await admin.getByLabel("Name").fill("Chatbot consent");
  await admin.getByRole("button", { name: "Make token" }).click();
  const secret = admin.locator("code.secret");
  await expect(secret).toHaveText(/^gtk_[0-9a-f]{64}$/);
  const token = (await secret.textContent()) ?? "";

  const notice = createHash("sha256").update("We would like to send you offers on WhatsApp.").digest("hex");
  const origin = new URL(admin.url()).origin;
  const event = (id: string, status: string, minutesAgo: number) => ({
    id, subject: "wa-351900000001", email: "rita.sousa@example.com", name: "Rita Sousa", country: "PT",
    account: "Acme Retail", channel: "whatsapp", purpose: "marketing", status, lawful_basis: "consent",
    method: "chatbot", source: "Chatbot Builder", notice_version: "2026-10", notice_sha256: notice,
    language: "pt-PT", jurisdiction: "EU", at: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    evidence: { message_id: `wamid.${id}` },
  });
  const answer = JSON.parse(execFileSync("curl", [
    "-sS", `${origin}/api/v1/consent-events`,
    "-H", `Authorization: Bearer ${token}`,
    "-H", "Content-Type: application/json",
    "-d", JSON.stringify({ events: [event("wa-1", "granted", 30), { ...event("wa-2", "granted", 20), channel: "fax" }] }),
  ]).toString());
  expect(answer.recorded).toBe(1);
  expect(answer.events[1].status).toBe("rejected");
  expect(answer.events[1].error).toContain("\"channel\"");

  const dpo = await (await browser.newContext()).newPage();
  await signIn(dpo, "dpo");
  await dpo.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Consent" }).click();
  await hydrated(dpo);
  await dpo.getByLabel("Email, external id or name").fill("rita.sousa@example.com");
  await dpo.getByRole("button", { name: "Search" }).click();
  await dpo.getByRole("link", { name: "Rita Sousa" }).click();
  await hydrated(dpo);
  const grid = dpo.locator("table.consent-grid");
  await expect(grid.getByRole("row", { name: /^marketing/ })).toContainText("granted");
  await expect(dpo.locator("table.consent-history tbody tr")).toHaveCount(1);
  await expect(dpo.locator("table.subject-access")).toContainText("Ingrid Larsen");

  await dpo.getByLabel("Channel").selectOption("whatsapp");
  await dpo.getByLabel("Purpose").selectOption("marketing");
  await dpo.getByLabel("Status").selectOption("withdrawn");
  await dpo.getByLabel("Notice version").fill("2026-10");
  await dpo.getByLabel("SHA-256 of the notice text").fill(notice);
  await dpo.getByLabel("Reason").fill("Customer phoned to stop WhatsApp offers");
  await dpo.getByRole("button", { name: "Record" }).click();
  await expect(dpo.getByRole("status")).toContainText("Recorded.");
  await expect(grid.getByRole("row", { name: /^marketing/ })).toContainText("withdrawn");
  await expect(dpo.locator("table.consent-history tbody tr").first()).toContainText("Customer phoned to stop WhatsApp offers");
  await expect(dpo.locator("ol.timeline")).toContainText("marketing on whatsapp: withdrawn (Ingrid Larsen)");

  // She asks to be erased: the request is opened from her page and carried out.
  await dpo.getByLabel("Kind").selectOption("erasure");
  await dpo.getByLabel("Details").fill("Email from rita.sousa@example.com: please delete everything about me");
  await dpo.getByRole("button", { name: "Open the request" }).click();
  await expect(dpo).toHaveURL(/\/dsr\/[0-9a-f-]{36}$/);
  await hydrated(dpo);
  const heading = dpo.getByRole("heading", { level: 1 });
  await expect(heading).toHaveText(/^DSR-\d+ · Erasure$/);
  const number = ((await heading.textContent()) ?? "").split(" ")[0];
  await dpo.getByRole("button", { name: "Identity verified" }).click();
  await dpo.getByRole("button", { name: "Start work" }).click();
  await dpo.getByLabel(`Type ${number} to confirm`).fill(number);
  await dpo.getByRole("button", { name: "Erase the subject" }).click();
  await expect(dpo.locator("section.outcome")).toContainText(/Erased: the subject is now erased-[0-9a-f]{12}\./);
  await expect(dpo.locator("p").filter({ hasText: "Completed" }).first()).toBeVisible();

  // Her page keeps the history as pseudonymised proof; her name and email are gone.
  await dpo.getByRole("link", { name: /^erased-/ }).click();
  await hydrated(dpo);
  await expect(dpo.getByRole("heading", { level: 1 })).toHaveText(/^erased-[0-9a-f]{12}$/);
  await expect(dpo.locator(".notice-warn")).toContainText("pseudonymised proof");
  await expect(dpo.locator("table.consent-history tbody tr")).toHaveCount(2);
  await expect(dpo.locator("table.subject-requests")).toContainText("Completed");
  await expect(dpo.locator("main")).not.toContainText("Rita Sousa");
  await expect(dpo.locator("main")).not.toContainText("rita.sousa@example.com");
  await dpo.goto("/consent?q=rita.sousa%40example.com");
  await expect(dpo.getByText("No data subject matches.")).toBeVisible();
  await dpo.goto("/dsr?show=closed");
  await expect(dpo.locator("table.requests-list")).toContainText(number);

  // The demo's own requests: the overdue one stands out.
  await dpo.goto("/dsr");
  await expect(dpo.locator("tr.urgency-row-overdue")).toHaveCount(1);
  await expect(dpo.locator("tr.urgency-row-overdue")).toContainText("overdue");
  await expect(dpo.locator("tr.urgency-row-duesoon")).toContainText("due soon");

  // An account's consent over the year, drawn on the server.
  await dpo.goto("/consent");
  await dpo.getByRole("link", { name: "Bluebird Telecom" }).click();
  await expect(dpo.getByRole("heading", { level: 1 })).toHaveText("Consent in Bluebird Telecom");
  await expect(dpo.locator(".stat").filter({ hasText: "Data subjects" })).toContainText("24");
  await expect(dpo.locator("figure.monthly svg polyline")).toHaveCount(2);
  await expect(dpo.locator("table.monthly-figures tbody tr")).toHaveCount(2);
});
