import { expect } from "@playwright/test";
import { type Page } from "@playwright/test";
import { test, DEMO_PASSWORD, users } from "./helpers";

// A browser that runs no script at all: no WASM, no hydration, no streamed fragments.
test.use({ javaScriptEnabled: false });

/** Each console page, and what shows that its data is in the HTML itself. */
const pages: [string, string][] = [
  ["/", "section.stats"],
  ["/roles", "table.matrix tbody tr"],
  ["/principals", "table.principals tbody tr"],
  ["/approvals", "h1"],
  ["/requests", "h1"],
  ["/reports/dormant", "table.dormant tbody tr"],
  ["/reports/client-bleed", "table.report"],
  ["/audit", "table.audit tbody tr"],
  ["/accounts", "table tbody tr"],
  ["/reviews", "table.campaigns tbody tr"],
  ["/lifecycle", "p.fallback-owner"],
  ["/lifecycle/held", "main p.empty"],
  ["/packages", "article.package"],
];

/** The pages of a Data Protection Officer. */
const dpoPages: [string, string][] = [
  ["/consent", "ul.account-links li"],
  ["/consent?q=Oscar", "table.subjects tbody tr"],
  ["/dsr", "table.requests-list"],
];

async function signInWithoutScript(page: Page, who: keyof typeof users) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(users[who].email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".who-name")).toHaveText(users[who].name);
}

async function everyPageShowsItsData(page: Page, list: [string, string][]) {
  for (const [path, data] of list) {
    await page.goto(path);
    await expect(page.locator(data).first(), path).toBeVisible();
    // Nothing waits for a script to replace it.
    await expect(page.locator("main"), path).not.toContainText("Loading");
  }
}

test("without JavaScript a person signs in, reads every page's data and follows its links and search forms", async ({ page }) => {
  await signInWithoutScript(page, "admin");
  await everyPageShowsItsData(page, pages);

  // A search form is a GET form: it navigates with its query, and the list follows it.
  await page.goto("/principals");
  await page.getByLabel("Search").fill("Support Copilot");
  await page.getByLabel("Search").press("Enter");
  await expect(page).toHaveURL(/search=Support(\+|%20)Copilot/);
  await expect(page.locator("table.principals tbody tr")).toHaveCount(1);
  // The form comes back holding what was searched for.
  await expect(page.getByLabel("Search")).toHaveValue("Support Copilot");
  // A link navigates to the principal's own page, whose data is there too.
  await page.getByRole("link", { name: "Support Copilot" }).click();
  await expect(page.getByRole("heading", { name: "Support Copilot" })).toBeVisible();
  await expect(page.locator("main")).not.toContainText("Loading");

  // The role matrix is filtered by the server, and two roles compared by it.
  await page.goto("/roles");
  await page.getByRole("link", { name: "Acme CRM" }).click();
  await page.getByLabel("Resource").selectOption("billing");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/resource=billing/);
  await expect(page.getByRole("checkbox", { name: "Client Viewer holds billing.view" })).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Client Viewer holds reports.view" })).toHaveCount(0);
  await expect(page.getByLabel("Resource")).toHaveValue("billing");
  const compare = page.locator("section.compare");
  await compare.getByLabel("First").selectOption({ label: "CRM Admin" });
  await compare.getByLabel("Second").selectOption({ label: "Client Viewer" });
  await compare.getByRole("button", { name: "Compare" }).click();
  await expect(page).toHaveURL(/resource=billing.*left=/);
  await expect(compare.locator(".compare-grid > div").filter({ has: page.getByRole("heading", { name: "Only CRM Admin" }) })).toContainText("contacts.export");
});

test("without JavaScript a Data Protection Officer reads consent figures, subjects and data-subject requests", async ({ page }) => {
  await signInWithoutScript(page, "dpo");
  await everyPageShowsItsData(page, dpoPages);
});

test("without JavaScript a refused sign-in comes back with its message, and a forged one does not", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("nobody-without-script@northwind.example");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an active account.");
  // What was typed comes back, the password aside.
  await expect(page.getByLabel("Email")).toHaveValue("nobody-without-script@northwind.example");
  await expect(page.getByLabel("Password")).toHaveValue("");

  // A link that carries its own refusal text, as the framework would read one from an
  // address (URL-safe base64, padded), is sent to the page without it.
  const forged = Buffer.from(JSON.stringify({ SignInRefused: "Your account is locked: call 555-0100." }))
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
  await page.goto(`/login?__path=${encodeURIComponent("/api/auth/login")}&__err=${encodeURIComponent(forged)}`);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("alert")).toHaveCount(0);
  await expect(page.locator("main")).not.toContainText("555-0100");
});

test("without JavaScript a form that changes something answers on its page", async ({ page }) => {
  await signInWithoutScript(page, "admin");
  await page.goto("/accounts");
  const name = `Without script ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Region").fill("EU");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(page.getByRole("status")).toHaveText(`Account “${name}” created.`);
  await expect(page.locator("table tbody")).toContainText(name);

  // Shown once: the page read again has the account and no notice.
  await page.reload();
  await expect(page.getByRole("status")).toHaveCount(0);

  // A refusal comes back under its field, with the form as it was sent.
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Region").fill("APAC");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator(".field-error, .form-error").first()).toContainText("already exists");
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await expect(page.getByLabel("Region")).toHaveValue("APAC");
});

test("without JavaScript a token is made and shown once, in the answer to its form", async ({ page }) => {
  await signInWithoutScript(page, "admin");
  await page.goto("/tokens");
  const name = `Export without script ${Date.now()}`;
  await page.locator("section.card").filter({ hasText: "New token" }).first().getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Make token", exact: true }).click();
  const secret = page.locator("code.secret");
  await expect(secret).toHaveText(/^gtk_[0-9a-f]{64}$/);
  await expect(page.locator("table.tokens tbody tr").filter({ hasText: name })).toContainText("never");

  // Read again, the page lists the token and shows no secret.
  await page.goto("/tokens");
  await expect(page.locator("table.tokens tbody tr").filter({ hasText: name })).toHaveCount(1);
  await expect(secret).toHaveCount(0);
});
