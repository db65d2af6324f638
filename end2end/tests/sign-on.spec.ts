import { expect, type Browser } from "@playwright/test";
import { test, signIn, users } from "./helpers";

// The provider sends people back to the console's own name (localhost when no public
// address is set), where the sign-in started.
const consoleUrl = `http://localhost:${process.env.E2E_PORT ?? 3005}`;
const issuer = `http://127.0.0.1:${process.env.E2E_OIDC_PORT ?? 3015}`;
test.use({ baseURL: consoleUrl });

/** A new browser at the sign-in page, sent to the provider and signed in there as `email`. */
async function throughTheProvider(browser: Browser, email: string) {
  const context = await browser.newContext({ baseURL: consoleUrl });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByRole("link", { name: "Sign in with Northwind SSO" }).click();
  await expect(page.getByRole("heading", { name: "Test provider" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

test("an admin sets up single sign-on; people sign in through the provider, and an unverified email is told why not", async ({ page, browser }) => {
  await signIn(page, "admin", "/security");
  await expect(page.getByRole("heading", { name: "Single sign-on" })).toBeVisible();
  await expect(page.getByTestId("redirect-uri")).toHaveText(`${consoleUrl}/auth/sso/callback`);
  await page.getByLabel("Provider's name, on the sign-in button").fill("Northwind SSO");
  await page.getByLabel("Issuer").fill(issuer);
  await page.getByLabel("Client id").fill("gatehouse");
  await page.getByLabel("Client secret").fill("gatehouse-test-secret");
  await page.getByLabel("Email domains it signs in").fill("northwind.example");
  await page.getByRole("button", { name: "Save single sign-on" }).click();
  await expect(page.getByText("Single sign-on saved.")).toBeVisible();
  await expect(page.getByTestId("sign-on-summary")).toContainText("sign in with Northwind SSO");

  const auditor = await throughTheProvider(browser, users.auditor.email);
  await expect(auditor.locator(".who-name")).toHaveText(users.auditor.name);
  await expect(auditor).toHaveURL(`${consoleUrl}/`);

  const unverified = await throughTheProvider(browser, "unverified.someone@northwind.example");
  await expect(unverified).toHaveURL(`${consoleUrl}/login`);
  await expect(unverified.getByRole("alert")).toContainText("has not verified the email address");
});
