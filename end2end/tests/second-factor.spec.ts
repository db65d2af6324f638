import { expect } from "@playwright/test";
import { test, authenticatorCode, DEMO_PASSWORD, hydrated, signIn, users } from "./helpers";

test("an authenticator app is set up on /security; approving high-impact access then asks for a code in place, and sign-in asks for one", async ({ page, browser }) => {
  // A high-impact request waits for Cobalt Insurance's approvers.
  const member = await (await browser.newContext()).newPage();
  await signIn(member, "member");
  const options = await (await member.request.post("/api/requests/form")).json();
  const why = "Refunds for the storm-claims backlog at Cobalt";
  const created = await member.request.post("/api/requests/create", {
    form: {
      principal: options.principals[0][0],
      bundle: options.bundles.find((b: { name: string }) => b.name === "Refund Authority").id,
      account: options.accounts.find((a: [string, string]) => a[1] === "Cobalt Insurance")[0],
      duration: "7",
      until: "",
      justification: why,
    },
  });
  expect(created.status()).toBe(200);

  await signIn(page, "cobaltApprover");
  await page.locator("a.who-name").click();
  await expect(page).toHaveURL(/\/security$/);
  await expect(page.getByRole("heading", { name: "Authenticator app: off" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(page.getByRole("img", { name: "QR code of the authenticator link" }).locator("svg")).toBeVisible();
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  expect(secret).toMatch(/^[A-Z2-7]{26,}$/);

  // A wrong code is refused next to the field, which keeps what was typed; the app's
  // code turns it on.
  const field = page.getByLabel("The six digits the app shows now");
  const now = Date.now() / 1000;
  const good = [-30, 0, 30].map((d) => authenticatorCode(secret, now + d));
  const wrong = good.includes("000000") ? "000001" : "000000";
  await field.fill(wrong);
  await page.getByRole("button", { name: "Turn it on" }).click();
  await expect(page.locator("#code-error")).toContainText("not the code your app shows now");
  await expect(field).toHaveValue(wrong);
  const confirmedAt = Date.now() / 1000;
  await field.fill(authenticatorCode(secret, confirmedAt));
  await page.getByRole("button", { name: "Turn it on" }).click();
  await expect(page.getByTestId("recovery-codes").locator("li")).toHaveCount(10);
  await expect(page.getByRole("heading", { name: "Authenticator app: on" })).toBeVisible();
  await expect(page.getByTestId("codes-left")).toHaveText("10");
  const recovery = await page.getByTestId("recovery-codes").locator("li").allTextContents();

  // Setting the app up proved nothing about this session: approving high-impact access
  // asks for a code in place, and once given, the approval goes through.
  await page.goto("/approvals");
  await hydrated(page);
  const item = page.locator("table.requests tbody tr").filter({ hasText: why });
  await item.getByRole("button", { name: "Approve" }).click();
  const prompt = page.getByRole("group", { name: "Confirm it is you" });
  await expect(prompt).toContainText("given in the last 15 minutes");
  await expect(item).toHaveCount(1);
  await prompt.getByLabel("Code from your app").fill(recovery[0]);
  await prompt.getByRole("button", { name: "Confirm and carry on" }).click();
  await expect(item).toHaveCount(0);
  await expect(prompt).toHaveCount(0);
  await member.goto("/requests");
  await expect(member.locator("table.requests tbody tr").filter({ hasText: why })).toContainText(`${users.cobaltApprover.name}: approved`);

  // Signed out, the password alone leads to the code page, and the code signs in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/login?next=%2Fapprovals");
  await hydrated(page);
  await page.getByLabel("Email").fill(users.cobaltApprover.email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/code\?next=%2Fapprovals$/);
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
  await hydrated(page);
  // The code it was turned on with is used up; the next one works.
  await page.getByLabel("Code").fill(authenticatorCode(secret, confirmedAt));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#code-error")).toContainText("used already");
  await page.getByLabel("Code").fill(authenticatorCode(secret, confirmedAt + 30));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/approvals$/);
  await expect(page.locator(".who-name")).toHaveText(users.cobaltApprover.name);
});

test("a Governance admin without a second factor is asked to set one up, and sees the policy", async ({ page }) => {
  await signIn(page, "admin");
  const due = page.getByTestId("second-factor-due");
  await expect(due).toContainText("Your organisation asks you to sign in with a second factor, by");
  await due.getByRole("link", { name: "Set up an authenticator app" }).click();
  await expect(page).toHaveURL(/\/security$/);
  await expect(page.getByRole("heading", { name: "Your organisation's policy" })).toBeVisible();
  await expect(page.getByText("Needed for: Governance admin, Data Protection Officer.")).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Governance admin" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "Approver" })).not.toBeChecked();
});
