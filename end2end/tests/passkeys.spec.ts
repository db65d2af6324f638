import { expect, type Page } from "@playwright/test";
import { test, DEMO_PASSWORD, hydrated, signIn, users } from "./helpers";

// Browsers offer passkeys on a host name, never on a bare IP address.
test.use({ baseURL: `http://localhost:${process.env.E2E_PORT ?? 3005}` });

/** Chromium's virtual authenticator: a platform authenticator that keeps passkeys and
 * verifies its user without asking. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test("a passkey is added on /security, signs in without a password, stands in for the code and for a step-up", async ({ page }) => {
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  await signIn(page, "driftwoodApprover");
  await page.goto("/security");
  await hydrated(page);
  const name = page.getByLabel("Name of the new passkey");
  await name.fill("Work laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  const list = page.getByTestId("passkeys");
  await expect(list.locator("li")).toHaveCount(1);
  await expect(list).toContainText("Work laptop");
  await expect(list).toContainText("never used");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  // Adding another now takes a second factor first: the passkey gives it, in place,
  // and the form carries on (to refuse a name already used).
  await name.fill("Work laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  const prompt = page.getByRole("group", { name: "Confirm it is you" });
  await expect(prompt).toBeVisible();
  await prompt.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page.locator("#name-error")).toContainText("You already have a passkey named");
  await expect(prompt).toHaveCount(0);

  // Signed out, the passkey alone signs in, and goes where the sign-in was going.
  await signOut(page);
  await page.goto("/login?next=%2Fapprovals");
  await hydrated(page);
  await page.getByRole("button", { name: "Use a passkey", exact: true }).click();
  await expect(page).toHaveURL(/\/approvals$/);
  await expect(page.locator(".who-name")).toHaveText(users.driftwoodApprover.name);

  // A password alone no longer signs in: the code page takes the passkey instead.
  await signOut(page);
  await page.goto("/login?next=%2Fapprovals");
  await hydrated(page);
  await page.getByLabel("Email").fill(users.driftwoodApprover.email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/code\?next=%2Fapprovals$/);
  await hydrated(page);
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page).toHaveURL(/\/approvals$/);
  await expect(page.locator(".who-name")).toHaveText(users.driftwoodApprover.name);

  // Removed, it signs in no more (the authenticator still holds it).
  await page.goto("/security");
  await hydrated(page);
  await expect(list).toContainText("last used");
  await list.getByRole("button", { name: "Remove" }).click();
  await expect(list.locator("li")).toHaveCount(0);
  await signOut(page);
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("button", { name: "Use a passkey", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("The passkey could not be checked");
  await expect(page).toHaveURL(/\/login$/);
});
